//! Authorization (user grant) commands and events: a user may use a
//! project with some of its roles, directly from the project's
//! organization, or through a project grant from the granted organization.
//! The aggregate type is `authorization`.

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// `authorization.add`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddAuthorization {
    /// The user authorized.
    pub user_id: String,
    /// The project.
    pub project_id: String,
    /// The project grant it goes through, if the roles come from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_grant_id: Option<String>,
    /// The roles: the project's, or the grant's.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `authorization.change`: the roles it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeAuthorization {
    /// The roles from now on.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `authorization.deactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeactivateAuthorization {}

/// `authorization.reactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReactivateAuthorization {}

/// `authorization.remove` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveAuthorization {}

/// `authorization.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationAdded {
    /// The user authorized.
    pub user_id: String,
    /// The project.
    pub project_id: String,
    /// The project grant it goes through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_grant_id: Option<String>,
    /// The organization that owns it: the project's, or the granted one.
    pub org_id: String,
    /// The roles.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `authorization.changed`: the roles it holds now (after a change, or
/// after a role left the project or its grant).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationChanged {
    /// The roles.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `authorization.deactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizationDeactivated {}

/// `authorization.reactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizationReactivated {}

/// `authorization.removed` (also when its project or project grant goes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRemoved {
    /// The user it authorized.
    pub user_id: String,
    /// The project.
    pub project_id: String,
    /// The project grant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_grant_id: Option<String>,
}

command_names! {
    AddAuthorization => "authorization.add",
    ChangeAuthorization => "authorization.change",
    DeactivateAuthorization => "authorization.deactivate",
    ReactivateAuthorization => "authorization.reactivate",
    RemoveAuthorization => "authorization.remove",
}

event_types! {
    AuthorizationAdded => "authorization.added",
    AuthorizationChanged => "authorization.changed",
    AuthorizationDeactivated => "authorization.deactivated",
    AuthorizationReactivated => "authorization.reactivated",
    AuthorizationRemoved => "authorization.removed",
}
