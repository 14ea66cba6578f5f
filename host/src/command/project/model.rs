//! The project write model: owner, name, flags, state, roles, grants,
//! applications and their keys, and members.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    ApiConfig, AppAdded, AppChanged, AppConfigChanged, AppDeactivated, AppKeyAdded, AppKeyRemoved,
    AppReactivated, AppRef, AppRemoved, AppSecretChanged, ClientAuthMethod, EventPayload,
    OidcConfig, ProjectAdded, ProjectChanged, ProjectDeactivated, ProjectGrantAdded,
    ProjectGrantChanged, ProjectGrantDeactivated, ProjectGrantReactivated, ProjectGrantRemoved,
    ProjectReactivated, ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged, ProjectRoleRemoved,
};
use serde::Serialize;

use crate::command::member::Members;
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

/// One key of an application (`private_key_jwt`). Validators see its
/// dates and whether it was removed, not the public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppKey {
    /// The public key, PEM (for the query side's verification).
    #[serde(skip)]
    pub(crate) public_key: String,
    /// When the key stops working.
    pub(crate) expires_at: DateTime<Utc>,
    /// When it was added.
    pub(crate) created_at: DateTime<Utc>,
    /// Whether it was removed (its id stays taken).
    pub(crate) removed: bool,
}

/// One application of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct App {
    /// Display name.
    pub(crate) name: String,
    /// Its client id.
    pub(crate) client_id: String,
    /// Whether it is active.
    pub(crate) active: bool,
    /// Its OIDC settings, for an OIDC application.
    pub(crate) oidc: Option<OidcConfig>,
    /// Its API settings, for an API application.
    pub(crate) api: Option<ApiConfig>,
    /// SHA-256 of its client secret, hex. Never shown to validators.
    #[serde(skip_serializing)]
    pub(crate) secret_hash: Option<String>,
    /// Its keys by key id, removed ones too; they go with the application.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) keys: BTreeMap<String, AppKey>,
}

impl App {
    /// How the application authenticates at the token endpoint.
    pub(crate) fn auth_method(&self) -> ClientAuthMethod {
        self.oidc
            .as_ref()
            .map(|o| o.auth_method)
            .or(self.api.as_ref().map(|a| a.auth_method))
            .unwrap_or_default()
    }

    /// The key `key_id`, unless it is unknown or removed.
    pub(crate) fn active_key(&self, key_id: &str) -> Option<&AppKey> {
        self.keys.get(key_id).filter(|key| !key.removed)
    }
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
    /// Applications by id.
    pub(crate) apps: BTreeMap<String, App>,
    /// Its members (user id → `PROJECT_*` roles), see `command::member`.
    pub(crate) members: Members,
}

impl ProjectModel {
    /// The grant of the project to `org_id`, if there is one.
    pub(crate) fn grant_to(&self, org_id: &str) -> Option<(&String, &ProjectGrant)> {
        self.grants.iter().find(|(_, g)| g.granted_org_id == org_id)
    }
}

impl ProjectModel {
    /// Folds a `project.application.*` event.
    fn apply_app(&mut self, event: &Event) {
        match event.event_type.as_str() {
            AppAdded::TYPE => {
                if let Some(p) = payload::<AppAdded>(event) {
                    let app = App {
                        name: p.name,
                        client_id: p.client_id,
                        active: true,
                        oidc: p.oidc,
                        api: p.api,
                        secret_hash: None,
                        keys: BTreeMap::new(),
                    };
                    self.apps.insert(p.app_id, app);
                }
            }
            AppChanged::TYPE => {
                if let Some(p) = payload::<AppChanged>(event)
                    && let Some(app) = self.apps.get_mut(&p.app_id)
                {
                    app.name = p.name;
                }
            }
            AppConfigChanged::TYPE => {
                if let Some(p) = payload::<AppConfigChanged>(event)
                    && let Some(app) = self.apps.get_mut(&p.app_id)
                {
                    app.oidc = p.oidc;
                    app.api = p.api;
                }
            }
            AppSecretChanged::TYPE => {
                if let Some(p) = payload::<AppSecretChanged>(event)
                    && let Some(app) = self.apps.get_mut(&p.app_id)
                {
                    app.secret_hash = p.secret_hash;
                }
            }
            AppDeactivated::TYPE | AppReactivated::TYPE => {
                if let Some(p) = payload::<AppRef>(event)
                    && let Some(app) = self.apps.get_mut(&p.app_id)
                {
                    app.active = event.event_type == AppReactivated::TYPE;
                }
            }
            AppKeyAdded::TYPE => {
                if let Some(p) = payload::<AppKeyAdded>(event)
                    && let Some(app) = self.apps.get_mut(&p.app_id)
                {
                    let key = AppKey {
                        public_key: p.public_key,
                        expires_at: p.expires_at,
                        created_at: event.created_at,
                        removed: false,
                    };
                    app.keys.entry(p.key_id).or_insert(key);
                }
            }
            AppKeyRemoved::TYPE => {
                if let Some(p) = payload::<AppKeyRemoved>(event)
                    && let Some(key) = self
                        .apps
                        .get_mut(&p.app_id)
                        .and_then(|app| app.keys.get_mut(&p.key_id))
                {
                    key.removed = true;
                }
            }
            AppRemoved::TYPE => {
                if let Some(p) = payload::<AppRemoved>(event) {
                    self.apps.remove(&p.app_id);
                }
            }
            _ => {}
        }
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
            _ => {
                if !self.members.apply(event) {
                    self.apply_app(event);
                }
            }
        }
    }

    fn exists(&self) -> bool {
        matches!(self.state, ProjectState::Active | ProjectState::Inactive)
    }
}
