//! Notifying a user once a command's events are stored: the instance's
//! channel and templates, the user's address and names, delivered off the
//! request path so a slow or failing mail server never fails the command.

use rampart_plugin_sdk::catalogue::{MessageKind, SmtpConfig};

use super::instance::model::InstanceModel;
use super::settings;
use super::user::model::UserModel;
use super::write_model::{StoreSource, WriteModel};
use super::{CommandContext, CommandError, Commands};
use crate::eventstore::AggregateRef;
use crate::notifier::{self, Channel, Recipient, Rendered, SMTP_PASSWORD, template};

impl Commands {
    /// Sends user `user_id` of `instance_id` the message `kind` (with
    /// `code`, if it carries one), in the background. Failures are logged
    /// and counted, never returned: the command it follows is stored.
    pub(crate) async fn notify(
        &self,
        instance_id: &str,
        user_id: &str,
        kind: MessageKind,
        code: Option<&str>,
    ) {
        match self.message(instance_id, user_id, kind, code).await {
            Ok(Some((channel, to, message))) => {
                let instance = instance_id.to_owned();
                tokio::spawn(async move {
                    if let Err(error) = notifier::deliver(&channel, &instance, &to, &message).await
                    {
                        tracing::warn!(
                            instance = %instance,
                            %error,
                            "a notification was not delivered"
                        );
                    }
                });
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(instance = instance_id, user = user_id, %error, "a notification could not be prepared");
                metrics::counter!(notifier::NOTIFICATIONS_METRIC, "channel" => "none", "result" => "failed")
                    .increment(1);
            }
        }
    }

    /// Tells user `user_id` their password changed, when the notification
    /// settings in effect for their organization say so.
    pub(crate) async fn password_changed(&self, ctx: &CommandContext, user_id: &str) {
        let source = StoreSource(self.store.as_ref());
        let user_ref = AggregateRef::new(&ctx.instance_id, UserModel::AGGREGATE_TYPE, user_id);
        let wanted = async {
            let user = self
                .caches
                .write_models
                .load::<UserModel>(&source, &user_ref)
                .await?;
            let org = Some(user.model.org_id.as_str());
            let in_effect =
                settings::in_effect(&self.caches, &source, &ctx.instance_id, org).await?;
            Ok::<_, CommandError>(in_effect.settings.notification.password_change)
        };
        match wanted.await {
            Ok(true) => {
                self.notify(
                    &ctx.instance_id,
                    user_id,
                    MessageKind::PasswordChanged,
                    None,
                )
                .await;
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "the password change was not notified"),
        }
    }

    /// The channel, recipient and rendered message; `None` when the user
    /// has no address for it (e-mail, or phone number for a text message).
    async fn message(
        &self,
        instance_id: &str,
        user_id: &str,
        kind: MessageKind,
        code: Option<&str>,
    ) -> Result<Option<(Channel, Recipient, Rendered)>, CommandError> {
        let source = StoreSource(self.store.as_ref());
        let models = &self.caches.write_models;
        let instance_ref =
            AggregateRef::new(instance_id, InstanceModel::AGGREGATE_TYPE, instance_id);
        let instance = models
            .load::<InstanceModel>(&source, &instance_ref)
            .await?
            .model;
        let user_ref = AggregateRef::new(instance_id, UserModel::AGGREGATE_TYPE, user_id);
        let user = models.load::<UserModel>(&source, &user_ref).await?.model;
        let (address, channel) = if kind == MessageKind::PhoneVerification {
            // Text messages have no provider yet: they go to the log.
            let Some(phone) = user.phone.clone() else {
                return Ok(None);
            };
            (phone, Channel::Log)
        } else {
            if user.email.is_empty() {
                return Ok(None);
            }
            let channel = match &instance.notification.smtp {
                None => Channel::Log,
                Some(config) => Channel::Smtp(self.opened(instance_id, config)?),
            };
            (user.email.clone(), channel)
        };
        let name =
            user.profile.display_name.clone().unwrap_or_else(|| {
                format!("{} {}", user.profile.given_name, user.profile.family_name)
            });
        let template = instance
            .notification
            .templates
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| template::built_in(kind));
        let minutes = self.codes.lifetime.as_secs().div_ceil(60).to_string();
        let values = vec![
            ("code", code.unwrap_or_default().to_owned()),
            ("username", user.username.clone()),
            ("displayName", name.trim().to_owned()),
            ("instance", instance.name.clone()),
            ("minutes", minutes),
        ];
        let to = Recipient { address, name };
        Ok(Some((channel, to, template::render(&template, &values))))
    }

    /// `config` with its password opened.
    fn opened(&self, instance_id: &str, config: &SmtpConfig) -> Result<SmtpConfig, CommandError> {
        let mut config = config.clone();
        if let Some(sealed) = &config.password {
            let keyring = self.keyring()?;
            let opened = keyring
                .open(SMTP_PASSWORD, instance_id, sealed)
                .map_err(|err| {
                    CommandError::Internal(format!("the SMTP password cannot be opened: {err}"))
                })?;
            config.password = Some(String::from_utf8_lossy(&opened).into_owned());
        }
        Ok(config)
    }

    /// The keyring, once the masterkey is verified.
    ///
    /// # Errors
    /// [`CommandError::Internal`] before [`Commands::set_keyring`].
    pub(crate) fn keyring(&self) -> Result<&crate::masterkey::Keyring, CommandError> {
        self.keyring.get().ok_or_else(|| {
            CommandError::Internal("the masterkey is not verified yet; retry shortly".into())
        })
    }
}
