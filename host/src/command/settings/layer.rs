//! One aggregate's settings records, and the settings in effect where an
//! organization's layer lies over its instance's.

use rampart_plugin_sdk::catalogue::{
    EventPayload, InstanceSettingsSet, OrgSettingsReset, OrgSettingsSet, Settings, SettingsKind,
    SettingsValue,
};
use serde::{Deserialize, Serialize};

use crate::cache::Caches;
use crate::command::write_model::{EventSource, payload};
use crate::eventstore::{Event, StoreError};

/// The records of settings one instance or organization set itself, at
/// most one per kind, sorted by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsLayer(Vec<SettingsValue>);

impl SettingsLayer {
    /// The record of `kind`, if this layer set one.
    pub fn get(&self, kind: SettingsKind) -> Option<&SettingsValue> {
        self.0.iter().find(|v| v.kind() == kind)
    }

    /// Sets (or replaces) the record of `value`'s kind.
    pub(crate) fn set(&mut self, value: SettingsValue) {
        self.remove(value.kind());
        self.0.push(value);
        self.0.sort_by_key(SettingsValue::kind);
    }

    /// Drops the record of `kind`.
    pub(crate) fn remove(&mut self, kind: SettingsKind) {
        self.0.retain(|v| v.kind() != kind);
    }

    /// Folds a settings event of the instance or org aggregate; `false` for
    /// any other event.
    pub(crate) fn apply(&mut self, event: &Event) -> bool {
        match event.event_type.as_str() {
            InstanceSettingsSet::TYPE => {
                if let Some(InstanceSettingsSet(value)) = payload(event) {
                    self.set(value);
                }
            }
            OrgSettingsSet::TYPE => {
                if let Some(OrgSettingsSet(value)) = payload(event) {
                    self.set(value);
                }
            }
            OrgSettingsReset::TYPE => {
                if let Some(OrgSettingsReset { kind }) = payload(event) {
                    self.remove(kind);
                }
            }
            _ => return false,
        }
        true
    }
}

/// Where the record in effect of one kind comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SettingsLevel {
    /// Neither the organization nor the instance set one: the built-in
    /// default.
    Default,
    /// The instance's.
    Instance,
    /// The organization's own.
    Org,
}

/// The settings in effect for an instance and, perhaps, an organization,
/// with where each kind's record comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InEffect {
    /// Every kind's record.
    pub settings: Settings,
    /// Per kind (in [`SettingsKind::ALL`] order), its record's level.
    pub levels: [(SettingsKind, SettingsLevel); 5],
}

impl InEffect {
    /// `org`'s layer over `instance`'s over the defaults.
    pub fn layered(instance: &SettingsLayer, org: Option<&SettingsLayer>) -> Self {
        let mut settings = Settings::default();
        let levels = SettingsKind::ALL.map(|kind| {
            let (value, level) = match (org.and_then(|o| o.get(kind)), instance.get(kind)) {
                (Some(own), _) => (Some(own), SettingsLevel::Org),
                (None, Some(inherited)) => (Some(inherited), SettingsLevel::Instance),
                (None, None) => (None, SettingsLevel::Default),
            };
            if let Some(value) = value {
                settings.set(value.clone());
            }
            (kind, level)
        });
        Self { settings, levels }
    }

    /// The level of `kind`'s record.
    pub fn level(&self, kind: SettingsKind) -> SettingsLevel {
        self.levels
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(SettingsLevel::Default, |(_, level)| *level)
    }
}

/// The settings in effect in `instance_id` for organization `org_id` (the
/// instance's alone for `None`, or for an organization that does not exist),
/// read through the instance and organization caches.
///
/// # Errors
/// The store's error when an uncached aggregate cannot be read.
pub(crate) async fn in_effect(
    caches: &Caches,
    source: &dyn EventSource,
    instance_id: &str,
    org_id: Option<&str>,
) -> Result<InEffect, StoreError> {
    let instance = caches.instance(source, instance_id).await?;
    let org = match org_id {
        Some(id) => caches.org(source, instance_id, id).await?,
        None => None,
    };
    let empty = SettingsLayer::default();
    let instance_layer = instance.as_ref().map_or(&empty, |i| &i.settings);
    Ok(InEffect::layered(
        instance_layer,
        org.as_ref().map(|o| &o.settings),
    ))
}
