//! Project commands and events: projects, their roles, the grants of
//! their roles to other organizations, and their members (users holding
//! `PROJECT_*` roles on the project).
//!
//! A project belongs to one organization (its `orgId`); its roles and
//! grants live on the project aggregate, so a grant never names a role the
//! project does not have.

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// `project.add`: create a project in an organization (named by the
/// command's `orgId`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddProject {
    /// Display name, unique within the organization (ignoring case).
    pub name: String,
    /// Whether tokens issued for the project's applications carry the
    /// user's project roles.
    #[serde(default)]
    pub role_assertion: bool,
    /// Whether a user needs an authorization (user grant) on the project to
    /// log in to its applications.
    #[serde(default)]
    pub authorization_required: bool,
}

/// `project.change`: change what is set; at least one field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeProject {
    /// A new display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new role-assertion flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_assertion: Option<bool>,
    /// A new authorization-required flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_required: Option<bool>,
}

/// `project.deactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeactivateProject {}

/// `project.reactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReactivateProject {}

/// `project.remove` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveProject {}

/// `project.role.add`: a role users can be authorized with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddProjectRole {
    /// The role's key, unique in the project, e.g. `"billing.admin"`.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// A group to sort roles by in a UI; may be empty.
    #[serde(default)]
    pub group: String,
}

/// `project.role.change`: a role's display name and group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeProjectRole {
    /// The role's key.
    pub key: String,
    /// The new display name.
    pub display_name: String,
    /// The new group; may be empty.
    #[serde(default)]
    pub group: String,
}

/// `project.role.remove`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveProjectRole {
    /// The role's key.
    pub key: String,
}

/// `project.grant.add`: give some of the project's roles to another
/// organization, whose administrators may then authorize their users.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddProjectGrant {
    /// The organization the roles are granted to.
    pub granted_org_id: String,
    /// Keys of the project's roles it may hand out.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `project.grant.change`: the roles a grant carries.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeProjectGrant {
    /// The grant.
    pub grant_id: String,
    /// Its new role keys.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `project.grant.deactivate`, `project.grant.reactivate` and
/// `project.grant.remove`: the grant they act on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantRef {
    /// The grant.
    pub grant_id: String,
}

/// `project.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectAdded {
    /// The organization owning the project.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Whether tokens carry the user's project roles.
    #[serde(default)]
    pub role_assertion: bool,
    /// Whether logging in needs an authorization on the project.
    #[serde(default)]
    pub authorization_required: bool,
}

/// `project.changed`: the fields that changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectChanged {
    /// The new display name, if it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The new role-assertion flag, if it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_assertion: Option<bool>,
    /// The new authorization-required flag, if it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_required: Option<bool>,
}

/// `project.deactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProjectDeactivated {}

/// `project.reactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProjectReactivated {}

/// `project.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRemoved {
    /// The name it had, so its unique-name claim can be released.
    pub name: String,
}

/// `project.role.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRoleAdded {
    /// The role's key.
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// Group; may be empty.
    #[serde(default)]
    pub group: String,
}

/// `project.role.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRoleChanged {
    /// The role's key.
    pub key: String,
    /// The new display name.
    pub display_name: String,
    /// The new group.
    #[serde(default)]
    pub group: String,
}

/// `project.role.removed`. Grants holding the role lose it by
/// `project.grant.changed` events in the same push.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRoleRemoved {
    /// The role's key.
    pub key: String,
}

/// `project.grant.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantAdded {
    /// The grant's id.
    pub grant_id: String,
    /// The organization the roles are granted to.
    pub granted_org_id: String,
    /// The role keys granted.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `project.grant.changed`: the grant's role keys now (after a change, or
/// after one of them was removed from the project).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantChanged {
    /// The grant's id.
    pub grant_id: String,
    /// Its role keys.
    #[serde(default)]
    pub role_keys: Vec<String>,
}

/// `project.grant.deactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantDeactivated {
    /// The grant's id.
    pub grant_id: String,
}

/// `project.grant.reactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantReactivated {
    /// The grant's id.
    pub grant_id: String,
}

/// `project.grant.removed` (also when the granted organization is removed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectGrantRemoved {
    /// The grant's id.
    pub grant_id: String,
    /// The organization it was granted to.
    pub granted_org_id: String,
}

/// `project.grant.deactivate` (payload: the grant).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeactivateProjectGrant(pub ProjectGrantRef);

/// `project.grant.reactivate` (payload: the grant).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReactivateProjectGrant(pub ProjectGrantRef);

/// `project.grant.remove` (payload: the grant).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoveProjectGrant(pub ProjectGrantRef);

/// `project.member.add`: give a user roles on the project (`PROJECT_*`
/// roles, which act on this project only).
///
/// Roles are opaque to the command side (the API checks them against its
/// role table); they are stored trimmed, deduplicated and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddProjectMember {
    /// The user (of the same instance, any organization) becoming a member.
    pub user_id: String,
    /// Its roles, at least one.
    pub roles: Vec<String>,
}

/// `project.member.change`: replace a project member's roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeProjectMember {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles, at least one.
    pub roles: Vec<String>,
}

/// `project.member.remove`: the user is no longer a member of the project.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveProjectMember {
    /// The member's user id.
    pub user_id: String,
}

/// `project.member.added` (on the project aggregate). A removed user or a
/// removed project ends the membership without an event of its own: readers
/// leave such members out (as for organization members).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMemberAdded {
    /// The member's user id.
    pub user_id: String,
    /// Its roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `project.member.changed`: the member's roles were replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMemberChanged {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `project.member.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMemberRemoved {
    /// The former member's user id.
    pub user_id: String,
}

command_names! {
    AddProject => "project.add",
    ChangeProject => "project.change",
    DeactivateProject => "project.deactivate",
    ReactivateProject => "project.reactivate",
    RemoveProject => "project.remove",
    AddProjectRole => "project.role.add",
    ChangeProjectRole => "project.role.change",
    RemoveProjectRole => "project.role.remove",
    AddProjectGrant => "project.grant.add",
    ChangeProjectGrant => "project.grant.change",
    DeactivateProjectGrant => "project.grant.deactivate",
    ReactivateProjectGrant => "project.grant.reactivate",
    RemoveProjectGrant => "project.grant.remove",
    AddProjectMember => "project.member.add",
    ChangeProjectMember => "project.member.change",
    RemoveProjectMember => "project.member.remove",
}

event_types! {
    ProjectAdded => "project.added",
    ProjectChanged => "project.changed",
    ProjectDeactivated => "project.deactivated",
    ProjectReactivated => "project.reactivated",
    ProjectRemoved => "project.removed",
    ProjectRoleAdded => "project.role.added",
    ProjectRoleChanged => "project.role.changed",
    ProjectRoleRemoved => "project.role.removed",
    ProjectGrantAdded => "project.grant.added",
    ProjectGrantChanged => "project.grant.changed",
    ProjectGrantDeactivated => "project.grant.deactivated",
    ProjectGrantReactivated => "project.grant.reactivated",
    ProjectGrantRemoved => "project.grant.removed",
    ProjectMemberAdded => "project.member.added",
    ProjectMemberChanged => "project.member.changed",
    ProjectMemberRemoved => "project.member.removed",
}
