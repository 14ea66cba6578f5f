//! How an instance reaches its users: the SMTP server its e-mails leave by
//! (none: they go to the log), and the message templates it overrides.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{REDACTED, command_names, event_types};

/// How the connection to an SMTP server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    #[default]
    Tls,
    /// Plain, upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// No encryption at all: only for a relay on the same host or network.
    None,
}

/// An SMTP server, as an instance configures it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmtpConfig {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    #[serde(default)]
    pub tls: SmtpTls,
    /// User name to authenticate with; none: no authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password, in commands in plain text; in events sealed with the
    /// masterkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The sender address.
    pub from_address: String,
    /// The sender's display name.
    #[serde(default)]
    pub from_name: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .field("from_address", &self.from_address)
            .field("from_name", &self.from_name)
            .finish()
    }
}

/// The messages the notifier sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    /// A code that verifies an e-mail address.
    EmailVerification,
    /// A code that allows a password reset.
    PasswordReset,
    /// The password was changed (when the notification settings say so).
    PasswordChanged,
    /// A code that verifies a phone number (a text message; with no SMS
    /// provider yet, it goes to the log).
    PhoneVerification,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [MessageKind; 4] = [
        MessageKind::EmailVerification,
        MessageKind::PasswordReset,
        MessageKind::PasswordChanged,
        MessageKind::PhoneVerification,
    ];
}

/// A message template: placeholders `{{name}}` are replaced when it is sent
/// (`{{code}}`, `{{username}}`, `{{displayName}}`, `{{instance}}`,
/// `{{minutes}}`, the code's lifetime).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTemplate {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

/// `instance.smtp.set`: e-mails of the instance leave by this server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SetSmtpConfig(pub SmtpConfig);

/// `instance.smtp.remove`: e-mails of the instance go to the log again.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveSmtpConfig {}

/// `instance.template.set`: the instance's own template of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetMessageTemplate {
    /// Which message.
    pub kind: MessageKind,
    /// Its template.
    #[serde(flatten)]
    pub template: MessageTemplate,
}

/// `instance.template.reset`: the built-in template of one message again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetMessageTemplate {
    /// Which message.
    pub kind: MessageKind,
}

/// `instance.smtp.changed`; the password is sealed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SmtpConfigChanged(pub SmtpConfig);

/// `instance.smtp.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SmtpConfigRemoved {}

/// `instance.template.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTemplateChanged {
    /// Which message.
    pub kind: MessageKind,
    /// Its template.
    #[serde(flatten)]
    pub template: MessageTemplate,
}

/// `instance.template.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTemplateRemoved {
    /// Which message.
    pub kind: MessageKind,
}

command_names! {
    SetSmtpConfig => "instance.smtp.set" secret ["password"],
    RemoveSmtpConfig => "instance.smtp.remove",
    SetMessageTemplate => "instance.template.set",
    ResetMessageTemplate => "instance.template.reset",
}

event_types! {
    SmtpConfigChanged => "instance.smtp.changed" secret ["password"],
    SmtpConfigRemoved => "instance.smtp.removed",
    MessageTemplateChanged => "instance.template.changed",
    MessageTemplateRemoved => "instance.template.removed",
}
