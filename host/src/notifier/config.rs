//! What an instance configured for its notifications, folded from its
//! `instance.smtp.*` and `instance.template.*` events.

use std::collections::BTreeMap;

use rampart_plugin_sdk::catalogue::{
    EventPayload, MessageKind, MessageTemplate, MessageTemplateChanged, MessageTemplateRemoved,
    SmtpConfig, SmtpConfigChanged, SmtpConfigRemoved,
};

use crate::command::write_model::payload;
use crate::eventstore::Event;

/// An instance's SMTP server (password still sealed) and its own templates.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationConfig {
    /// The SMTP server, if one is set; validators never see its password.
    #[serde(skip)]
    pub smtp: Option<SmtpConfig>,
    /// Whether an SMTP server is set (what validators see of it).
    pub has_smtp: bool,
    /// The templates the instance replaced, by message kind.
    pub templates: BTreeMap<MessageKind, MessageTemplate>,
}

impl NotificationConfig {
    /// Folds a notification event of the instance; `false` for any other.
    pub(crate) fn apply(&mut self, event: &Event) -> bool {
        match event.event_type.as_str() {
            SmtpConfigChanged::TYPE => {
                if let Some(SmtpConfigChanged(config)) = payload(event) {
                    self.smtp = Some(config);
                    self.has_smtp = true;
                }
            }
            SmtpConfigRemoved::TYPE => {
                self.smtp = None;
                self.has_smtp = false;
            }
            MessageTemplateChanged::TYPE => {
                if let Some(p) = payload::<MessageTemplateChanged>(event) {
                    self.templates.insert(p.kind, p.template);
                }
            }
            MessageTemplateRemoved::TYPE => {
                if let Some(p) = payload::<MessageTemplateRemoved>(event) {
                    self.templates.remove(&p.kind);
                }
            }
            _ => return false,
        }
        true
    }
}
