//! The organization write model: name, state, domains, members.

use rampart_plugin_sdk::catalogue::{
    EventPayload, OrgAdded, OrgChanged, OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet,
    OrgDomainRemoved, OrgDomainVerified, OrgReactivated, OrgRemoved,
};
use serde::Serialize;

use crate::command::member::Members;
use crate::command::settings::SettingsLayer;
use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// Where an organization is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OrgState {
    /// Never added.
    #[default]
    Unknown,
    /// Added and usable.
    Active,
    /// Deactivated: no new users.
    Inactive,
    /// Removed for good.
    Removed,
}

/// One domain of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgDomain {
    /// The domain, lowercase.
    pub(crate) domain: String,
    /// Whether the organization proved it owns the domain.
    pub(crate) verified: bool,
}

/// An organization as its commands see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgModel {
    /// Life-cycle state.
    pub(crate) state: OrgState,
    /// Display name.
    pub(crate) name: String,
    /// Its domains, in the order they were added.
    pub(crate) domains: Vec<OrgDomain>,
    /// The primary domain, if any.
    pub(crate) primary_domain: Option<String>,
    /// Its members (user id → roles), see `command::member`.
    pub(crate) members: Members,
    /// The settings records it set itself, see `command::settings`.
    pub(crate) settings: SettingsLayer,
}

impl OrgModel {
    /// The domain entry for `domain` (normalized), if the org has it.
    pub(crate) fn domain(&self, domain: &str) -> Option<&OrgDomain> {
        self.domains.iter().find(|d| d.domain == domain)
    }
}

impl WriteModel for OrgModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            OrgAdded::TYPE => {
                if let Some(p) = payload::<OrgAdded>(event) {
                    self.state = OrgState::Active;
                    self.name = p.name;
                }
            }
            OrgChanged::TYPE => {
                if let Some(p) = payload::<OrgChanged>(event) {
                    self.name = p.name;
                }
            }
            OrgDeactivated::TYPE => self.state = OrgState::Inactive,
            OrgReactivated::TYPE => self.state = OrgState::Active,
            OrgRemoved::TYPE => self.state = OrgState::Removed,
            OrgDomainAdded::TYPE => {
                if let Some(p) = payload::<OrgDomainAdded>(event)
                    && self.domain(&p.domain).is_none()
                {
                    self.domains.push(OrgDomain {
                        domain: p.domain,
                        verified: false,
                    });
                }
            }
            OrgDomainVerified::TYPE => {
                if let Some(p) = payload::<OrgDomainVerified>(event) {
                    for d in self.domains.iter_mut().filter(|d| d.domain == p.domain) {
                        d.verified = true;
                    }
                }
            }
            OrgDomainPrimarySet::TYPE => {
                if let Some(p) = payload::<OrgDomainPrimarySet>(event) {
                    self.primary_domain = Some(p.domain);
                }
            }
            OrgDomainRemoved::TYPE => {
                if let Some(p) = payload::<OrgDomainRemoved>(event) {
                    self.domains.retain(|d| d.domain != p.domain);
                    if self.primary_domain.as_deref() == Some(p.domain.as_str()) {
                        self.primary_domain = None;
                    }
                }
            }
            _ => {
                if !self.settings.apply(event) {
                    self.members.apply(event);
                }
            }
        }
    }

    fn exists(&self) -> bool {
        matches!(self.state, OrgState::Active | OrgState::Inactive)
    }
}
