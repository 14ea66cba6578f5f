//! The project write model: owner, name, flags, state, roles and grants.

use std::collections::BTreeMap;

use rampart_plugin_sdk::catalogue::{
    EventPayload, ProjectAdded, ProjectChanged, ProjectDeactivated, ProjectGrantAdded,
    ProjectGrantChanged, ProjectGrantDeactivated, ProjectGrantReactivated, ProjectGrantRemoved,
    ProjectReactivated, ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged, ProjectRoleRemoved,
};
use serde::Serialize;

use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// Where a project (or a project grant) is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ProjectState {
    /// Never added.
    #[default]
    Unknown,
    /// Added and usable.
    Active,
    /// Deactivated: its applications cannot be logged in to.
    Inactive,
    /// Removed for good.
    Removed,
}

/// One role of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectRole {
    /// Display name.
    pub(crate) display_name: String,
    /// Group, possibly empty.
    pub(crate) group: String,
}

/// One grant of a project's roles to another organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectGrant {
    /// The organization the roles are granted to.
    pub(crate) granted_org_id: String,
    /// The granted role keys, sorted.
    pub(crate) role_keys: Vec<String>,
    /// Whether the grant is active.
    pub(crate) active: bool,
}

/// A project as its commands see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectModel {
    /// Life-cycle state.
    pub(crate) state: ProjectState,
    /// The owning organization.
    pub(crate) org_id: String,
    /// Display name.
    pub(crate) name: String,
    /// Whether tokens carry the user's project roles.
    pub(crate) role_assertion: bool,
    /// Whether logging in needs an authorization on the project.
    pub(crate) authorization_required: bool,
    /// Roles by key.
    pub(crate) roles: BTreeMap<String, ProjectRole>,
    /// Grants by id.
    pub(crate) grants: BTreeMap<String, ProjectGrant>,
}

impl ProjectModel {
    /// The grant of the project to `org_id`, if there is one.
    pub(crate) fn grant_to(&self, org_id: &str) -> Option<(&String, &ProjectGrant)> {
        self.grants.iter().find(|(_, g)| g.granted_org_id == org_id)
    }
}

impl WriteModel for ProjectModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            ProjectAdded::TYPE => {
                if let Some(p) = payload::<ProjectAdded>(event) {
                    self.state = ProjectState::Active;
                    self.org_id = p.org_id;
                    self.name = p.name;
                    self.role_assertion = p.role_assertion;
                    self.authorization_required = p.authorization_required;
                }
            }
            ProjectChanged::TYPE => {
                if let Some(p) = payload::<ProjectChanged>(event) {
                    if let Some(name) = p.name {
                        self.name = name;
                    }
                    if let Some(flag) = p.role_assertion {
                        self.role_assertion = flag;
                    }
                    if let Some(flag) = p.authorization_required {
                        self.authorization_required = flag;
                    }
                }
            }
            ProjectDeactivated::TYPE => self.state = ProjectState::Inactive,
            ProjectReactivated::TYPE => self.state = ProjectState::Active,
            ProjectRemoved::TYPE => self.state = ProjectState::Removed,
            ProjectRoleAdded::TYPE | ProjectRoleChanged::TYPE => {
                if let Some(p) = payload::<ProjectRoleAdded>(event) {
                    let role = ProjectRole {
                        display_name: p.display_name,
                        group: p.group,
                    };
                    self.roles.insert(p.key, role);
                }
            }
            ProjectRoleRemoved::TYPE => {
                if let Some(p) = payload::<ProjectRoleRemoved>(event) {
                    self.roles.remove(&p.key);
                }
            }
            ProjectGrantAdded::TYPE => {
                if let Some(p) = payload::<ProjectGrantAdded>(event) {
                    let grant = ProjectGrant {
                        granted_org_id: p.granted_org_id,
                        role_keys: p.role_keys,
                        active: true,
                    };
                    self.grants.insert(p.grant_id, grant);
                }
            }
            ProjectGrantChanged::TYPE => {
                if let Some(p) = payload::<ProjectGrantChanged>(event)
                    && let Some(grant) = self.grants.get_mut(&p.grant_id)
                {
                    grant.role_keys = p.role_keys;
                }
            }
            ProjectGrantDeactivated::TYPE | ProjectGrantReactivated::TYPE => {
                if let Some(p) = payload::<ProjectGrantDeactivated>(event)
                    && let Some(grant) = self.grants.get_mut(&p.grant_id)
                {
                    grant.active = event.event_type == ProjectGrantReactivated::TYPE;
                }
            }
            ProjectGrantRemoved::TYPE => {
                if let Some(p) = payload::<ProjectGrantRemoved>(event) {
                    self.grants.remove(&p.grant_id);
                }
            }
            _ => {}
        }
    }

    fn exists(&self) -> bool {
        matches!(self.state, ProjectState::Active | ProjectState::Inactive)
    }
}
