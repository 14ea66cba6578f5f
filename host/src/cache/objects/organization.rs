//! Organizations, by id and by primary domain (seed 004, "Organization"):
//! the query side reads them, and commands check one before adding a user
//! to it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::{Index, Object};
use crate::command::SettingsLayer;
use crate::command::org::model::{OrgModel, OrgState};
use crate::command::write_model::Loaded;
use crate::eventstore::Position;

/// An organization as the caches hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedOrg {
    /// The instance it belongs to.
    pub instance_id: String,
    /// The organization id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `active` or `inactive`.
    pub state: String,
    /// The primary domain, if one is set.
    pub primary_domain: Option<String>,
    /// The settings records the organization set itself.
    #[serde(default)]
    pub settings: SettingsLayer,
    /// Who added it.
    pub creator: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub changed_at: DateTime<Utc>,
    /// The org aggregate's latest sequence.
    pub sequence: u64,
    /// Where its latest event landed.
    #[serde(with = "super::position")]
    pub position: Position,
}

/// How organizations are found; keys carry the instance (see [`org_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgIndex {
    /// By organization id.
    Id,
    /// By primary domain.
    PrimaryDomain,
}

impl Index for OrgIndex {
    const ALL: &'static [Self] = &[OrgIndex::Id, OrgIndex::PrimaryDomain];

    fn name(self) -> &'static str {
        match self {
            OrgIndex::Id => "id",
            OrgIndex::PrimaryDomain => "domain",
        }
    }
}

/// The key of an organization's id or domain in an instance: organizations
/// of different instances never share a key.
pub fn org_key(instance_id: &str, value: &str) -> String {
    format!("{instance_id}/{value}")
}

impl Object for CachedOrg {
    type Index = OrgIndex;

    fn keys(&self, index: OrgIndex) -> Vec<String> {
        match index {
            OrgIndex::Id => vec![org_key(&self.instance_id, &self.id)],
            OrgIndex::PrimaryDomain => self
                .primary_domain
                .iter()
                .map(|d| org_key(&self.instance_id, d))
                .collect(),
        }
    }
}

impl CachedOrg {
    /// Whether it may take new users.
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// Organization `id` of `instance_id` as its write model `loaded` has
    /// it; `None` when it was never added or is removed.
    pub(crate) fn from_state(
        instance_id: &str,
        id: &str,
        loaded: &Loaded<OrgModel>,
    ) -> Option<Self> {
        let state = match loaded.model.state {
            // A removed organization is gone for readers and commands alike.
            OrgState::Unknown | OrgState::Removed => return None,
            OrgState::Active => "active",
            OrgState::Inactive => "inactive",
        };
        let ((creator, created_at), (changed_at, position)) =
            (loaded.created.clone()?, loaded.changed?);
        Some(Self {
            instance_id: instance_id.to_owned(),
            id: id.to_owned(),
            name: loaded.model.name.clone(),
            state: state.to_owned(),
            primary_domain: loaded.model.primary_domain.clone(),
            settings: loaded.model.settings.clone(),
            creator,
            created_at,
            changed_at,
            sequence: loaded.sequence,
            position,
        })
    }
}
