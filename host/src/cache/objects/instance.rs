//! Instances, by id and by host name (seed 004, "Instance"): every HTTP and
//! gRPC request resolves its host name to one.

use serde::{Deserialize, Serialize};

use crate::cache::{Index, Object};
use crate::command::instance::model::InstanceModel;
use crate::command::settings::SettingsLayer;
use crate::command::write_model::{self, EventSource, Loaded, WriteModel};
use crate::eventstore::{AggregateRef, Position, StoreError};

/// An instance as the caches hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedInstance {
    /// The instance id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Host names, in the order they were added.
    pub domains: Vec<String>,
    /// The primary host name, if one is set.
    pub primary_domain: Option<String>,
    /// The settings records the instance set itself.
    #[serde(default)]
    pub settings: SettingsLayer,
    /// The instance aggregate's latest sequence.
    pub sequence: u64,
    /// Where its latest event landed.
    #[serde(with = "super::position")]
    pub position: Position,
}

/// How instances are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceIndex {
    /// By instance id.
    Id,
    /// By host name (each of its domains).
    Host,
}

impl Index for InstanceIndex {
    const ALL: &'static [Self] = &[InstanceIndex::Id, InstanceIndex::Host];

    fn name(self) -> &'static str {
        match self {
            InstanceIndex::Id => "id",
            InstanceIndex::Host => "host",
        }
    }
}

impl Object for CachedInstance {
    type Index = InstanceIndex;

    fn keys(&self, index: InstanceIndex) -> Vec<String> {
        match index {
            InstanceIndex::Id => vec![self.id.clone()],
            InstanceIndex::Host => self.domains.clone(),
        }
    }
}

impl CachedInstance {
    /// Instance `id` folded from its events; `None` when it was never added
    /// or is removed.
    ///
    /// # Errors
    /// The store's error.
    pub(crate) async fn load(
        source: &dyn EventSource,
        id: &str,
    ) -> Result<Option<Self>, StoreError> {
        let aggregate = AggregateRef::new(id, InstanceModel::AGGREGATE_TYPE, id);
        let loaded = write_model::load::<InstanceModel>(source, &aggregate).await?;
        Ok(Self::from_state(id, &loaded))
    }

    /// Instance `id` as its write model `loaded` has it; `None` when it was
    /// never added or is removed.
    pub(crate) fn from_state(id: &str, loaded: &Loaded<InstanceModel>) -> Option<Self> {
        if !loaded.model.exists() {
            return None;
        }
        let model = &loaded.model;
        Some(Self {
            id: id.to_owned(),
            name: model.name.clone(),
            domains: model.domains.clone(),
            primary_domain: model.primary_domain.clone(),
            settings: model.settings.clone(),
            sequence: loaded.sequence,
            position: loaded.changed.map_or(Position::ZERO, |(_, p)| p),
        })
    }
}
