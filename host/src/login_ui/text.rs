//! The hosted login's words, in English and German: the language is the
//! first of the auth request's `ui_locales`, then of the browser's
//! `Accept-Language`, that the login speaks; English otherwise.

/// A language the hosted login speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
}

impl Lang {
    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The words of this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
        }
    }

    /// The language of a tag such as `de-CH`, if spoken.
    fn of(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_', ';'])
            .next()?
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            _ => None,
        }
    }
}

/// The language for `ui_locales` (space-separated, in order of preference)
/// and the `Accept-Language` header.
pub fn pick(ui_locales: &[String], accept_language: Option<&str>) -> Lang {
    let accepted = accept_language
        .unwrap_or_default()
        .split(',')
        .filter(|part| !part.trim_start().starts_with('*'));
    ui_locales
        .iter()
        .map(String::as_str)
        .chain(accepted)
        .find_map(Lang::of)
        .unwrap_or(Lang::En)
}

/// Everything the pages say.
#[derive(Debug)]
pub struct Text {
    /// The page title and heading.
    pub sign_in: &'static str,
    /// "to continue to <app>".
    pub continue_to: &'static str,
    /// The login name field.
    pub login_name: &'static str,
    /// The password field.
    pub password: &'static str,
    /// The button of the first step.
    pub next: &'static str,
    /// The button of the password step.
    pub submit: &'static str,
    /// "Not you?" link to start over.
    pub other_user: &'static str,
    /// "Signed in as".
    pub signing_in_as: &'static str,
    /// No such user.
    pub unknown_user: &'static str,
    /// Wrong password.
    pub wrong_password: &'static str,
    /// Locked or deactivated user.
    pub user_unusable: &'static str,
    /// Too many attempts from here or for this user.
    pub too_many_attempts: &'static str,
    /// The form expired or came from elsewhere (CSRF).
    pub form_expired: &'static str,
    /// The login request is unknown, expired or finished.
    pub request_closed: &'static str,
    /// The sign-in step was lost (no or a stale session cookie).
    pub start_over: &'static str,
    /// A second factor is needed and the user has none.
    pub second_factor_required: &'static str,
    /// The second-factor field.
    pub code: &'static str,
    /// What to type into it.
    pub code_help: &'static str,
    /// A wrong, used or stale code.
    pub wrong_code: &'static str,
    /// The server failed (a plugin, the store).
    pub unavailable: &'static str,
    /// A field was left empty.
    pub empty: &'static str,
}

/// English.
static EN: Text = Text {
    sign_in: "Sign in",
    continue_to: "to continue to",
    login_name: "Username or login name",
    password: "Password",
    next: "Next",
    submit: "Sign in",
    other_user: "Not you? Sign in as someone else",
    signing_in_as: "Signing in as",
    unknown_user: "There is no user with this name.",
    wrong_password: "The password is incorrect.",
    user_unusable: "This user cannot sign in: it is locked or deactivated. Ask your administrator.",
    too_many_attempts: "Too many attempts. Wait a minute, then try again.",
    form_expired: "This form has expired. Please try again.",
    request_closed: "This sign-in request has expired or was already used. Go back to the application and start again.",
    start_over: "Your sign-in was interrupted. Please start again.",
    second_factor_required: "This sign-in needs a second factor, and this user has no authenticator app set up. Ask your administrator.",
    code: "Code",
    code_help: "The 6-digit code from your authenticator app, or one of your recovery codes.",
    wrong_code: "The code is incorrect or was already used.",
    unavailable: "Sign-in is unavailable right now. Please try again later.",
    empty: "Please fill in this field.",
};

/// German.
static DE: Text = Text {
    sign_in: "Anmelden",
    continue_to: "um fortzufahren zu",
    login_name: "Benutzername oder Loginname",
    password: "Passwort",
    next: "Weiter",
    submit: "Anmelden",
    other_user: "Nicht Sie? Mit einem anderen Konto anmelden",
    signing_in_as: "Anmeldung als",
    unknown_user: "Es gibt keinen Benutzer mit diesem Namen.",
    wrong_password: "Das Passwort ist falsch.",
    user_unusable: "Dieser Benutzer kann sich nicht anmelden: er ist gesperrt oder deaktiviert. Wenden Sie sich an Ihre Administration.",
    too_many_attempts: "Zu viele Versuche. Warten Sie eine Minute und versuchen Sie es dann erneut.",
    form_expired: "Dieses Formular ist abgelaufen. Bitte versuchen Sie es erneut.",
    request_closed: "Diese Anmeldeanfrage ist abgelaufen oder wurde bereits verwendet. Kehren Sie zur Anwendung zurück und beginnen Sie erneut.",
    start_over: "Ihre Anmeldung wurde unterbrochen. Bitte beginnen Sie erneut.",
    second_factor_required: "Diese Anmeldung erfordert einen zweiten Faktor, und für diesen Benutzer ist keine Authenticator-App eingerichtet. Wenden Sie sich an Ihre Administration.",
    code: "Code",
    code_help: "Der 6-stellige Code aus Ihrer Authenticator-App oder einer Ihrer Wiederherstellungscodes.",
    wrong_code: "Der Code ist falsch oder wurde bereits verwendet.",
    unavailable: "Die Anmeldung ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.",
    empty: "Bitte füllen Sie dieses Feld aus.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_ui_locales_when_picking_then_they_win_over_the_browser() {
        assert_eq!(pick(&["de-CH".into()], Some("en-US,en;q=0.9")), Lang::De);
        assert_eq!(pick(&["fr".into(), "en".into()], Some("de")), Lang::En);
    }

    #[test]
    fn given_only_a_browser_language_when_picking_then_it_is_used_or_english() {
        assert_eq!(pick(&[], Some("fr-FR, de;q=0.8, en;q=0.5")), Lang::De);
        assert_eq!(pick(&[], Some("fr, *")), Lang::En);
        assert_eq!(pick(&[], None), Lang::En);
    }
}
