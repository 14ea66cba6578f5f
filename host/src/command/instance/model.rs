//! The instance write model: name, domains, primary domain, members.

use rampart_plugin_sdk::catalogue::{
    EventPayload, InstanceAdded, InstanceChanged, InstanceDomainAdded, InstanceDomainPrimarySet,
    InstanceDomainRemoved, InstanceRemoved,
};
use serde::Serialize;

use crate::command::member::Members;
use crate::command::settings::SettingsLayer;
use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;
use crate::notifier::NotificationConfig;

/// An instance as its commands see it (validators get it as camelCase JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceModel {
    /// Whether `instance.added` happened.
    pub(crate) added: bool,
    /// Whether `instance.removed` happened.
    pub(crate) removed: bool,
    /// Display name.
    pub(crate) name: String,
    /// Host names, in the order they were added.
    pub(crate) domains: Vec<String>,
    /// The primary host name, if one is set.
    pub(crate) primary_domain: Option<String>,
    /// Its members (user id → roles), see `command::member`.
    pub(crate) members: Members,
    /// The settings records it set itself, see `command::settings`.
    pub(crate) settings: SettingsLayer,
    /// Its SMTP server and message templates, see `notifier`.
    pub(crate) notification: NotificationConfig,
}

impl InstanceModel {
    /// Whether `domain` (normalized) is one of the instance's domains.
    pub(crate) fn has_domain(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d == domain)
    }
}

impl WriteModel for InstanceModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            InstanceAdded::TYPE => {
                if let Some(p) = payload::<InstanceAdded>(event) {
                    self.added = true;
                    self.name = p.name;
                }
            }
            InstanceRemoved::TYPE => {
                self.removed = true;
                self.domains.clear();
                self.primary_domain = None;
            }
            InstanceChanged::TYPE => {
                if let Some(p) = payload::<InstanceChanged>(event) {
                    self.name = p.name;
                }
            }
            InstanceDomainAdded::TYPE => {
                if let Some(p) = payload::<InstanceDomainAdded>(event)
                    && !self.has_domain(&p.domain)
                {
                    self.domains.push(p.domain);
                }
            }
            InstanceDomainPrimarySet::TYPE => {
                if let Some(p) = payload::<InstanceDomainPrimarySet>(event) {
                    self.primary_domain = Some(p.domain);
                }
            }
            InstanceDomainRemoved::TYPE => {
                if let Some(p) = payload::<InstanceDomainRemoved>(event) {
                    self.domains.retain(|d| *d != p.domain);
                    if self.primary_domain.as_deref() == Some(p.domain.as_str()) {
                        self.primary_domain = None;
                    }
                }
            }
            _ => {
                if !self.settings.apply(event) && !self.notification.apply(event) {
                    self.members.apply(event);
                }
            }
        }
    }

    fn exists(&self) -> bool {
        self.added && !self.removed
    }
}
