//! The SMTP channel: one connection per message (notifications are rare),
//! with lettre on tokio and rustls.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rampart_plugin_sdk::catalogue::{SmtpConfig, SmtpTls};

use super::{NotifyError, Recipient, Rendered};

/// How long connecting to and talking with the server may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Sends `message` to `to` through the server `config` names.
pub(super) async fn send(
    config: &SmtpConfig,
    to: &Recipient,
    message: &Rendered,
) -> Result<(), NotifyError> {
    let server = format!("{}:{}", config.host, config.port);
    let smtp_error = |reason: String| NotifyError::Smtp {
        server: server.clone(),
        reason,
    };
    let from = mailbox(&config.from_name, &config.from_address)?;
    let email = Message::builder()
        .from(from)
        .to(mailbox(&to.name, &to.address)?)
        .subject(&message.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|err| smtp_error(format!("the message cannot be built: {err}")))?;
    let builder = match config.tls {
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
            .map_err(|err| smtp_error(err.to_string()))?,
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            .map_err(|err| smtp_error(err.to_string()))?,
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
    };
    let mut builder = builder.port(config.port).timeout(Some(TIMEOUT));
    if let Some(username) = &config.username {
        let password = config.password.clone().unwrap_or_default();
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    builder
        .build()
        .send(email)
        .await
        .map(drop)
        .map_err(|err| smtp_error(err.to_string()))
}

/// `name <address>`, or the reason the address is not one.
fn mailbox(name: &str, address: &str) -> Result<Mailbox, NotifyError> {
    let parsed = address.parse().map_err(|err| NotifyError::Address {
        address: address.to_owned(),
        reason: format!("{err}"),
    })?;
    let name = (!name.trim().is_empty()).then(|| name.trim().to_owned());
    Ok(Mailbox::new(name, parsed))
}
