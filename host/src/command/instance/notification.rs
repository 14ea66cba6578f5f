//! `instance.smtp.set`, `instance.smtp.remove`, `instance.template.set` and
//! `instance.template.reset`: where the instance's messages go and what
//! they say. The SMTP password is sealed with the masterkey before it
//! reaches an event.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, MessageKind, MessageTemplate, MessageTemplateChanged, MessageTemplateRemoved,
    RemoveSmtpConfig, ResetMessageTemplate, SetMessageTemplate, SetSmtpConfig, SmtpConfig,
    SmtpConfigChanged, SmtpConfigRemoved,
};

use super::model::InstanceModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, domain, required};
use crate::notifier::{SMTP_PASSWORD, template};

/// Longest template subject, in characters.
pub(crate) const MAX_SUBJECT: usize = 200;
/// Longest template body, in characters.
pub(crate) const MAX_BODY: usize = 10_000;

/// What to do with the instance's notification setup.
#[derive(Debug, Clone)]
enum Change {
    /// `instance.smtp.set`, password sealed.
    SetSmtp(SetSmtpConfig),
    /// `instance.smtp.remove`.
    RemoveSmtp,
    /// `instance.template.set`.
    SetTemplate(SetMessageTemplate),
    /// `instance.template.reset`.
    ResetTemplate(MessageKind),
}

/// One change of the context instance's notification setup.
#[derive(Debug, Clone)]
pub(crate) struct NotificationCommand {
    change: Change,
}

impl NotificationCommand {
    /// Sets the SMTP server; `seal` seals its password.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty or malformed host, a
    /// zero port, or a sender that is not an e-mail address.
    pub(crate) fn set_smtp(
        mut config: SmtpConfig,
        seal: impl FnOnce(&str) -> Result<String, CommandError>,
    ) -> Result<Self, CommandError> {
        let host = required(&config.host, "the SMTP host")?;
        config.host = if host.parse::<std::net::IpAddr>().is_ok() || host == "localhost" {
            host
        } else {
            domain::normalize(&host).map_err(|_| {
                CommandError::invalid(format!(
                    "the SMTP host {host:?} is neither a host name nor an IP address"
                ))
            })?
        };
        if config.port == 0 {
            return Err(CommandError::invalid("the SMTP port must not be 0"));
        }
        let from = required(&config.from_address, "the sender address")?;
        if from.parse::<lettre::Address>().is_err() {
            return Err(CommandError::invalid(format!(
                "the sender address {from:?} is not an e-mail address"
            )));
        }
        config.from_address = from;
        config.from_name = config.from_name.trim().to_owned();
        config.username = config
            .username
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        config.password = match config.password.filter(|p| !p.is_empty()) {
            Some(password) => Some(seal(&password)?),
            None => None,
        };
        Ok(Self {
            change: Change::SetSmtp(SetSmtpConfig(config)),
        })
    }

    /// Removes the SMTP server: messages go to the log.
    pub(crate) fn remove_smtp() -> Self {
        Self {
            change: Change::RemoveSmtp,
        }
    }

    /// Replaces the template of `kind`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty or too long subject or
    /// body, or a placeholder that does not exist.
    pub(crate) fn set_template(
        kind: MessageKind,
        template: MessageTemplate,
    ) -> Result<Self, CommandError> {
        let subject = required(&template.subject, "the subject")?;
        let body = required(&template.body, "the body")?;
        if subject.chars().count() > MAX_SUBJECT || subject.contains(['\r', '\n']) {
            return Err(CommandError::invalid(format!(
                "the subject must be one line of at most {MAX_SUBJECT} characters"
            )));
        }
        if body.chars().count() > MAX_BODY {
            return Err(CommandError::invalid(format!(
                "the body must be at most {MAX_BODY} characters"
            )));
        }
        let unknown: Vec<String> = [&subject, &body]
            .iter()
            .flat_map(|text| template::unknown_placeholders(text))
            .collect();
        if !unknown.is_empty() {
            return Err(CommandError::invalid(format!(
                "unknown placeholders {unknown:?}; a template may use {{{{{}}}}}",
                template::PLACEHOLDERS.join("}}, {{")
            )));
        }
        Ok(Self {
            change: Change::SetTemplate(SetMessageTemplate {
                kind,
                template: MessageTemplate { subject, body },
            }),
        })
    }

    /// Goes back to the built-in template of `kind`.
    pub(crate) fn reset_template(kind: MessageKind) -> Self {
        Self {
            change: Change::ResetTemplate(kind),
        }
    }
}

#[async_trait]
impl Decide for NotificationCommand {
    type Model = InstanceModel;

    fn name(&self) -> &'static str {
        match self.change {
            Change::SetSmtp(_) => SetSmtpConfig::NAME,
            Change::RemoveSmtp => RemoveSmtpConfig::NAME,
            Change::SetTemplate(_) => SetMessageTemplate::NAME,
            Change::ResetTemplate(_) => ResetMessageTemplate::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str {
        &ctx.instance_id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        match &self.change {
            Change::SetSmtp(set) => json(set),
            Change::RemoveSmtp => json(&RemoveSmtpConfig {}),
            Change::SetTemplate(set) => json(set),
            Change::ResetTemplate(kind) => json(&ResetMessageTemplate { kind: *kind }),
        }
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let current = &model.notification;
        let event = match &self.change {
            Change::SetSmtp(SetSmtpConfig(config)) => env.event(&SmtpConfigChanged(config.clone())),
            Change::RemoveSmtp => {
                if !current.has_smtp {
                    return Err(CommandError::precondition(
                        "the instance has no SMTP server; its messages go to the log",
                    ));
                }
                env.event(&SmtpConfigRemoved {})
            }
            Change::SetTemplate(set) => {
                if current.templates.get(&set.kind) == Some(&set.template) {
                    return Err(CommandError::precondition("the template is unchanged"));
                }
                env.event(&MessageTemplateChanged {
                    kind: set.kind,
                    template: set.template.clone(),
                })
            }
            Change::ResetTemplate(kind) => {
                if !current.templates.contains_key(kind) {
                    return Err(CommandError::precondition(
                        "the instance uses the built-in template already",
                    ));
                }
                env.event(&MessageTemplateRemoved { kind: *kind })
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Sends the context instance's messages through the SMTP server
    /// `config` (its password sealed with the masterkey).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed server or sender,
    /// [`CommandError::Internal`] before the masterkey is verified.
    pub async fn set_smtp_config(
        &self,
        ctx: &CommandContext,
        config: SmtpConfig,
    ) -> Result<Written, CommandError> {
        let seal = |password: &str| {
            Ok(self
                .keyring()?
                .seal(SMTP_PASSWORD, &ctx.instance_id, password.as_bytes()))
        };
        self.execute(ctx, &NotificationCommand::set_smtp(config, seal)?)
            .await
    }

    /// Removes the context instance's SMTP server: messages go to the log.
    ///
    /// # Errors
    /// [`CommandError::FailedPrecondition`] when it has none.
    pub async fn remove_smtp_config(&self, ctx: &CommandContext) -> Result<Written, CommandError> {
        self.execute(ctx, &NotificationCommand::remove_smtp()).await
    }

    /// Replaces the context instance's template of message `kind`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty, too long or
    /// ill-placeheld template, [`CommandError::FailedPrecondition`] when it
    /// is unchanged.
    pub async fn set_message_template(
        &self,
        ctx: &CommandContext,
        kind: MessageKind,
        template: MessageTemplate,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &NotificationCommand::set_template(kind, template)?)
            .await
    }

    /// Goes back to the built-in template of message `kind`.
    ///
    /// # Errors
    /// [`CommandError::FailedPrecondition`] when the instance has none of
    /// its own.
    pub async fn reset_message_template(
        &self,
        ctx: &CommandContext,
        kind: MessageKind,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &NotificationCommand::reset_template(kind))
            .await
    }
}
