//! The authorization write model.

use rampart_plugin_sdk::catalogue::{
    AuthorizationAdded, AuthorizationChanged, AuthorizationDeactivated, AuthorizationReactivated,
    AuthorizationRemoved, EventPayload,
};
use serde::Serialize;

use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// An authorization as its commands see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthorizationModel {
    /// Added and not removed.
    pub(crate) exists: bool,
    /// Whether it is active.
    pub(crate) active: bool,
    /// The user.
    pub(crate) user_id: String,
    /// The project.
    pub(crate) project_id: String,
    /// The project grant it goes through, if any.
    pub(crate) project_grant_id: Option<String>,
    /// The organization owning it.
    pub(crate) org_id: String,
    /// Its roles, sorted.
    pub(crate) role_keys: Vec<String>,
}

impl WriteModel for AuthorizationModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            AuthorizationAdded::TYPE => {
                if let Some(p) = payload::<AuthorizationAdded>(event) {
                    *self = Self {
                        exists: true,
                        active: true,
                        user_id: p.user_id,
                        project_id: p.project_id,
                        project_grant_id: p.project_grant_id,
                        org_id: p.org_id,
                        role_keys: p.role_keys,
                    };
                }
            }
            AuthorizationChanged::TYPE => {
                if let Some(p) = payload::<AuthorizationChanged>(event) {
                    self.role_keys = p.role_keys;
                }
            }
            AuthorizationDeactivated::TYPE => self.active = false,
            AuthorizationReactivated::TYPE => self.active = true,
            AuthorizationRemoved::TYPE => self.exists = false,
            _ => {}
        }
    }

    fn exists(&self) -> bool {
        self.exists
    }
}
