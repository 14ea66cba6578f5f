//! The hosted login's HTML: one accessible form per step, no JavaScript,
//! every value escaped. A page is a [`Page`] rendered in a [`Lang`].

use super::text::{Lang, Text};

/// One page of the hosted login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The first step: who signs in.
    Username {
        /// The auth request being finished.
        auth_request: String,
        /// The application's name.
        app_name: String,
        /// What to put in the field (`login_hint`, or what was typed).
        login_name: String,
        /// Why the last try failed, if it did.
        error: Option<String>,
    },
    /// The second step: the password of the identified user.
    Password {
        /// The auth request being finished.
        auth_request: String,
        /// The application's name.
        app_name: String,
        /// Who signs in.
        username: String,
        /// Why the last try failed, if it did.
        error: Option<String>,
    },
    /// The third step, when the login needs one: a code from the user's
    /// authenticator app, or one of its recovery codes.
    SecondFactor {
        /// The auth request being finished.
        auth_request: String,
        /// The application's name.
        app_name: String,
        /// Who signs in.
        username: String,
        /// Why the last try failed, if it did.
        error: Option<String>,
    },
    /// A dead end: the request cannot be finished here.
    Problem {
        /// What went wrong, for the user.
        message: String,
    },
}

/// `text` with `& < > " '` escaped for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style of every page: readable without it, nothing loaded from
/// elsewhere.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}\
label{display:block;margin:1rem 0 .25rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}.error{color:#a40000;border-left:3px solid #a40000;padding-left:.5rem}";

impl Page {
    /// The whole HTML document, in `lang`, with the form's `csrf` value.
    pub fn render(&self, lang: Lang, csrf: &str) -> String {
        let t = lang.text();
        let body = match self {
            Page::Username {
                auth_request,
                app_name,
                login_name,
                error,
            } => format!(
                "{heading}{error}<form method=\"post\" action=\"{action}\">{hidden}\
                 <label for=\"loginName\">{label}</label>\
                 <input id=\"loginName\" name=\"loginName\" type=\"text\" autocomplete=\"username\" \
                 autocapitalize=\"none\" spellcheck=\"false\" required autofocus value=\"{value}\"{invalid}>\
                 <button type=\"submit\">{next}</button></form>",
                heading = heading(t, app_name),
                error = alert(error.as_deref()),
                action = super::USERNAME_PATH,
                hidden = hidden(auth_request, csrf),
                label = escape(t.login_name),
                value = escape(login_name),
                invalid = invalid(error.as_deref()),
                next = escape(t.next),
            ),
            Page::Password {
                auth_request,
                app_name,
                username,
                error,
            } => format!(
                "{heading}<p>{as_} <strong>{user}</strong></p>{error}\
                 <form method=\"post\" action=\"{action}\">{hidden}\
                 <input type=\"text\" name=\"username\" autocomplete=\"username\" value=\"{user}\" hidden>\
                 <label for=\"password\">{label}</label>\
                 <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" \
                 required autofocus{invalid}>\
                 <button type=\"submit\">{submit}</button></form>\
                 <p><a href=\"{restart}?authRequest={request}\">{other}</a></p>",
                heading = heading(t, app_name),
                as_ = escape(t.signing_in_as),
                user = escape(username),
                error = alert(error.as_deref()),
                action = super::PASSWORD_PATH,
                hidden = hidden(auth_request, csrf),
                label = escape(t.password),
                invalid = invalid(error.as_deref()),
                submit = escape(t.submit),
                restart = super::LOGIN_PATH,
                request = escape(auth_request),
                other = escape(t.other_user),
            ),
            Page::SecondFactor {
                auth_request,
                app_name,
                username,
                error,
            } => format!(
                "{heading}<p>{as_} <strong>{user}</strong></p>{error}\
                 <form method=\"post\" action=\"{action}\">{hidden}\
                 <label for=\"code\">{label}</label>\
                 <input id=\"code\" name=\"code\" type=\"text\" autocomplete=\"one-time-code\" \
                 autocapitalize=\"none\" spellcheck=\"false\" required autofocus{invalid} \
                 aria-describedby=\"code-help\">\
                 <p id=\"code-help\">{help}</p>\
                 <button type=\"submit\">{submit}</button></form>",
                heading = heading(t, app_name),
                as_ = escape(t.signing_in_as),
                user = escape(username),
                error = alert(error.as_deref()),
                action = super::SECOND_FACTOR_PATH,
                hidden = hidden(auth_request, csrf),
                label = escape(t.code),
                invalid = invalid(error.as_deref()),
                help = escape(t.code_help),
                submit = escape(t.submit),
            ),
            Page::Problem { message } => {
                format!("<h1>{}</h1>{}", escape(t.sign_in), alert(Some(message)))
            }
        };
        format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
            lang = lang.tag(),
            title = escape(t.sign_in),
        )
    }
}

fn heading(t: &Text, app_name: &str) -> String {
    if app_name.is_empty() {
        return format!("<h1>{}</h1>", escape(t.sign_in));
    }
    format!(
        "<h1>{}</h1><p>{} <strong>{}</strong></p>",
        escape(t.sign_in),
        escape(t.continue_to),
        escape(app_name)
    )
}

fn hidden(auth_request: &str, csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"authRequest\" value=\"{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(auth_request),
        escape(csrf)
    )
}

/// The error, announced to screen readers.
fn alert(error: Option<&str>) -> String {
    error.map_or_else(String::new, |e| {
        format!(
            "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
            escape(e)
        )
    })
}

fn invalid(error: Option<&str>) -> &'static str {
    if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"error\""
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_hostile_values_when_rendered_then_they_are_escaped() {
        let page = Page::Username {
            auth_request: "r\"><script>".into(),
            app_name: "<b>Shop</b>".into(),
            login_name: "a'b".into(),
            error: Some("x<y".into()),
        };
        let html = page.render(Lang::En, "c\"srf");
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;b&gt;Shop") && html.contains("a&#39;b"),
            "{html}"
        );
        assert!(
            html.contains("role=\"alert\"") && html.contains("x&lt;y"),
            "{html}"
        );
        assert!(html.contains("value=\"c&quot;srf\""), "{html}");
    }

    #[test]
    fn given_a_language_when_rendered_then_the_page_speaks_it() {
        let page = Page::Password {
            auth_request: "r1".into(),
            app_name: "Shop".into(),
            username: "ada".into(),
            error: None,
        };
        let html = page.render(Lang::De, "c");
        assert!(
            html.contains("lang=\"de\"") && html.contains("Passwort"),
            "{html}"
        );
        assert!(html.contains("autocomplete=\"current-password\""));
        assert!(!html.contains("<script"), "no JavaScript");
    }
}
