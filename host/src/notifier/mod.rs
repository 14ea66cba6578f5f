//! # Notifier
//!
//! Tells users what they need to know: codes that verify an e-mail address
//! or a phone number or allow a password reset, and that their password
//! changed. Each instance picks its e-mail channel (text messages have no
//! provider yet and always go to the log):
//!
//! - **log** (the default, while no SMTP server is configured): the message
//!   is written to the server's log (target `rampart::notifier`), its code
//!   shown only at debug level (`RUST_LOG=rampart::notifier=debug`), which
//!   is what development without mail needs;
//! - **SMTP** (`instance.smtp.*` events, through `SettingsService`): the
//!   message is sent with lettre, TLS, STARTTLS or (for a local relay) plain;
//!   the server's password is sealed with the masterkey.
//!
//! Messages are rendered from templates (`template`): built-in ones, which
//! an instance may replace per message kind (`instance.template.*`).
//! Delivery runs after the command's events are stored and never delays or
//! fails the command; failures are logged and counted
//! ([`NOTIFICATIONS_METRIC`]), and the user can ask for a new code.

mod config;
mod smtp;
pub mod template;

pub use config::NotificationConfig;
pub use template::{Rendered, Values};

use rampart_plugin_sdk::catalogue::SmtpConfig;

use crate::masterkey::Purpose;

/// What SMTP passwords are sealed for, with the instance id as owner (the
/// masterkey rotation re-seals them).
pub const SMTP_PASSWORD: Purpose = Purpose("smtp-password");

/// Notifications handed to a channel, labelled `channel` (`log`, `smtp`)
/// and `result` (`sent`, `failed`).
pub const NOTIFICATIONS_METRIC: &str = "rampart_notifications_total";

/// Where one instance's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// The server's log.
    Log,
    /// An SMTP server, its password opened.
    Smtp(SmtpConfig),
}

impl Channel {
    /// The channel's name in metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Log => "log",
            Channel::Smtp(_) => "smtp",
        }
    }
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The e-mail address.
    pub address: String,
    /// The display name.
    pub name: String,
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// An address (sender or recipient) is not one SMTP accepts.
    #[error("the address {address:?} is not valid: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Why not.
        reason: String,
    },
    /// The SMTP server could not be reached or refused the message.
    #[error("the SMTP server {server} did not take the message: {reason}")]
    Smtp {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
}

/// Delivers `message` to `to` through `channel`; counted in
/// [`NOTIFICATIONS_METRIC`].
///
/// # Errors
/// [`NotifyError`] when the SMTP channel cannot deliver it.
pub async fn deliver(
    channel: &Channel,
    instance_id: &str,
    to: &Recipient,
    message: &Rendered,
) -> Result<(), NotifyError> {
    let result = match channel {
        Channel::Log => {
            // Whoever reads the log at info level must not be able to use
            // a user's code: it shows at debug level only.
            let body = match &message.code {
                Some(code) => message.body.replace(code, "<code: debug level only>"),
                None => message.body.clone(),
            };
            tracing::info!(
                target: "rampart::notifier",
                instance = instance_id,
                to = %to.address,
                subject = %message.subject,
                body = %body,
                "notification (log channel: no SMTP server, or a text message)"
            );
            if let Some(code) = &message.code {
                tracing::debug!(target: "rampart::notifier", to = %to.address, code = %code, "notification code");
            }
            Ok(())
        }
        Channel::Smtp(config) => smtp::send(config, to, message).await,
    };
    let outcome = if result.is_ok() { "sent" } else { "failed" };
    metrics::counter!(NOTIFICATIONS_METRIC, "channel" => channel.name(), "result" => outcome)
        .increment(1);
    result
}
