//! Organization commands and events.

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// `org.add`: create an organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddOrg {
    /// Display name.
    pub name: String,
    /// A first domain to add with it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// `org.rename`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenameOrg {
    /// The new display name.
    pub name: String,
}

/// `org.deactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeactivateOrg {}

/// `org.reactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReactivateOrg {}

/// `org.remove` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveOrg {}

/// `org.domain.add`: claim a domain for the organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddOrgDomain {
    /// The domain, e.g. `"acme.example"`.
    pub domain: String,
}

/// `org.domain.verify`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyOrgDomain {
    /// The domain to mark verified.
    pub domain: String,
}

/// `org.domain.primary.set`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetPrimaryOrgDomain {
    /// The domain to make primary.
    pub domain: String,
}

/// `org.domain.remove`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveOrgDomain {
    /// The domain to remove.
    pub domain: String,
}

/// `org.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgAdded {
    /// Display name.
    pub name: String,
}

/// `org.changed`: the organization was renamed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgChanged {
    /// The new display name.
    pub name: String,
}

/// `org.deactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrgDeactivated {}

/// `org.reactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrgReactivated {}

/// `org.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgRemoved {
    /// The name it had, so unique-name claims can be released.
    pub name: String,
}

/// `org.domain.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDomainAdded {
    /// The domain.
    pub domain: String,
}

/// `org.domain.verified`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDomainVerified {
    /// The domain.
    pub domain: String,
}

/// `org.domain.primary.set`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDomainPrimarySet {
    /// The domain.
    pub domain: String,
}

/// `org.domain.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgDomainRemoved {
    /// The domain.
    pub domain: String,
}

/// `org.member.add`: give a user roles on the organization.
///
/// Roles are opaque to the command side (the API checks them against its
/// role table); they are stored trimmed, deduplicated and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddOrgMember {
    /// The user (of the same instance, any organization) becoming a member.
    pub user_id: String,
    /// Its roles, at least one.
    pub roles: Vec<String>,
}

/// `org.member.change`: replace an organization member's roles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeOrgMember {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles, at least one.
    pub roles: Vec<String>,
}

/// `org.member.remove`: the user is no longer a member of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveOrgMember {
    /// The member's user id.
    pub user_id: String,
}

/// `org.member.added` (on the org aggregate).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgMemberAdded {
    /// The member's user id.
    pub user_id: String,
    /// Its roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `org.member.changed`: the member's roles were replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgMemberChanged {
    /// The member's user id.
    pub user_id: String,
    /// Its new roles: trimmed, distinct, sorted.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `org.member.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgMemberRemoved {
    /// The former member's user id.
    pub user_id: String,
}

command_names! {
    AddOrg => "org.add",
    RenameOrg => "org.rename",
    DeactivateOrg => "org.deactivate",
    ReactivateOrg => "org.reactivate",
    RemoveOrg => "org.remove",
    AddOrgDomain => "org.domain.add",
    VerifyOrgDomain => "org.domain.verify",
    SetPrimaryOrgDomain => "org.domain.primary.set",
    RemoveOrgDomain => "org.domain.remove",
    AddOrgMember => "org.member.add",
    ChangeOrgMember => "org.member.change",
    RemoveOrgMember => "org.member.remove",
}

event_types! {
    OrgAdded => "org.added",
    OrgChanged => "org.changed",
    OrgDeactivated => "org.deactivated",
    OrgReactivated => "org.reactivated",
    OrgRemoved => "org.removed",
    OrgDomainAdded => "org.domain.added",
    OrgDomainVerified => "org.domain.verified",
    OrgDomainPrimarySet => "org.domain.primary.set",
    OrgDomainRemoved => "org.domain.removed",
    OrgMemberAdded => "org.member.added",
    OrgMemberChanged => "org.member.changed",
    OrgMemberRemoved => "org.member.removed",
}
