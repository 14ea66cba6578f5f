//! Message templates: the built-in text of each message, which an instance
//! may replace, and how placeholders are filled.

use rampart_plugin_sdk::catalogue::{MessageKind, MessageTemplate};

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = ["code", "username", "displayName", "instance", "minutes"];

/// The values of a message's placeholders, by name.
pub type Values = Vec<(&'static str, String)>;

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The one-time code the message carries, if any: the log channel shows
    /// it only at debug level.
    pub code: Option<String>,
}

/// The built-in template of `kind`.
pub fn built_in(kind: MessageKind) -> MessageTemplate {
    let (subject, body) = match kind {
        MessageKind::EmailVerification => (
            "Verify your e-mail address for {{instance}}",
            "Hello {{displayName}},\n\nyour code to verify the e-mail address of the account \
             {{username}} is:\n\n    {{code}}\n\nIt works for {{minutes}} minutes. If you did \
             not ask for it, you can ignore this message.\n",
        ),
        MessageKind::PasswordReset => (
            "Reset your password for {{instance}}",
            "Hello {{displayName}},\n\nyour code to set a new password for the account \
             {{username}} is:\n\n    {{code}}\n\nIt works for {{minutes}} minutes. If you did \
             not ask for it, you can ignore this message: your password stays as it is.\n",
        ),
        MessageKind::PhoneVerification => (
            "Your code for {{instance}}",
            "{{code}} is your code to verify this phone number for {{instance}}. It works for \
             {{minutes}} minutes.",
        ),
        MessageKind::PasswordChanged => (
            "Your password for {{instance}} was changed",
            "Hello {{displayName}},\n\nthe password of the account {{username}} was just \
             changed. If that was not you, contact your administrator at once.\n",
        ),
    };
    MessageTemplate {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

/// `template` with every known placeholder replaced by its value.
pub fn render(template: &MessageTemplate, values: &Values) -> Rendered {
    let fill = |text: &str| {
        values.iter().fold(text.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        })
    };
    let code = values
        .iter()
        .find(|(name, value)| *name == "code" && !value.is_empty())
        .map(|(_, value)| value.clone());
    Rendered {
        subject: fill(&template.subject),
        body: fill(&template.body),
        code,
    }
}

/// The placeholders `text` uses that are not in [`PLACEHOLDERS`].
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        // Exact names only, as `render` fills them: `{{ code }}` would be
        // sent as typed.
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) && !unknown.iter().any(|u| u == name) {
            unknown.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_template_when_rendered_then_placeholders_take_their_values() {
        let template = MessageTemplate {
            subject: "Code for {{username}}".into(),
            body: "{{code}} ({{minutes}} min), {{code}}".into(),
        };
        let values = vec![
            ("username", "ada".to_owned()),
            ("code", "ABCD2345".to_owned()),
            ("minutes", "60".to_owned()),
        ];
        let rendered = render(&template, &values);
        assert_eq!(rendered.subject, "Code for ada");
        assert_eq!(rendered.body, "ABCD2345 (60 min), ABCD2345");
        assert_eq!(rendered.code.as_deref(), Some("ABCD2345"));
    }

    #[test]
    fn given_every_built_in_template_then_it_uses_known_placeholders_only() {
        for kind in MessageKind::ALL {
            let t = built_in(kind);
            assert!(unknown_placeholders(&t.subject).is_empty(), "{kind:?}");
            assert!(unknown_placeholders(&t.body).is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn given_a_typo_when_checked_then_the_unknown_placeholder_is_named() {
        assert_eq!(
            unknown_placeholders("Hi {{usename}}, {{code}} {{x}} {{ code }}"),
            ["usename", "x", " code "]
        );
    }
}
