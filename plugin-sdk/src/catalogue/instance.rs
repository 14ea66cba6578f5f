//! Instance (tenant) commands and events.

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// `instance.add`: create an instance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddInstance {
    /// Display name of the instance.
    pub name: String,
}

/// `instance.rename`: give the instance a new display name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenameInstance {
    /// The new display name.
    pub name: String,
}

/// `instance.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceAdded {
    /// Display name of the instance.
    pub name: String,
}

/// `instance.changed`: the instance was renamed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceChanged {
    /// The new display name.
    pub name: String,
}

/// `instance.domain.added`: a host name now resolves to the instance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDomainAdded {
    /// The host name.
    pub domain: String,
    /// Whether Rampart generated it (rather than an administrator adding it).
    pub generated: bool,
}

/// `instance.domain.primary.set`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDomainPrimarySet {
    /// The new primary host name.
    pub domain: String,
}

/// `instance.domain.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDomainRemoved {
    /// The removed host name.
    pub domain: String,
}

/// `instance.member.add`: give a user roles on the whole instance.
///
/// Roles are opaque to the command side (the API checks them against its
/// role table); they are stored trimmed, deduplicated and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddInstanceMember {
    /// The user (of this instance) becoming a member.
    pub user_id: String,
    /// Its roles, at least one.
    pub roles: Vec<String>,
}

/// `instance.member.change`: replace an instance member's roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeInstanceMember {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles, at least one.
    pub roles: Vec<String>,
}

/// `instance.member.remove`: the user is no longer an instance member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveInstanceMember {
    /// The member's user id.
    pub user_id: String,
}

/// `instance.member.added` (on the instance aggregate).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMemberAdded {
    /// The member's user id.
    pub user_id: String,
    /// Its roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `instance.member.changed`: the member's roles were replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMemberChanged {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `instance.member.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMemberRemoved {
    /// The former member's user id.
    pub user_id: String,
}

/// `instance.remove` (no payload): removes the instance for good; its host
/// names are released and stop resolving.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveInstance {}

/// `instance.removed`: the instance is gone, with everything in it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRemoved {
    /// The host names it had, released with it.
    #[serde(default)]
    pub domains: Vec<String>,
}

command_names! {
    AddInstance => "instance.add",
    RemoveInstance => "instance.remove",
    RenameInstance => "instance.rename",
    AddInstanceMember => "instance.member.add",
    ChangeInstanceMember => "instance.member.change",
    RemoveInstanceMember => "instance.member.remove",
}

event_types! {
    InstanceAdded => "instance.added",
    InstanceRemoved => "instance.removed",
    InstanceChanged => "instance.changed",
    InstanceDomainAdded => "instance.domain.added",
    InstanceDomainPrimarySet => "instance.domain.primary.set",
    InstanceDomainRemoved => "instance.domain.removed",
    InstanceMemberAdded => "instance.member.added",
    InstanceMemberChanged => "instance.member.changed",
    InstanceMemberRemoved => "instance.member.removed",
}
