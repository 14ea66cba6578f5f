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

command_names! {
    AddInstance => "instance.add",
    RenameInstance => "instance.rename",
}

event_types! {
    InstanceAdded => "instance.added",
    InstanceChanged => "instance.changed",
    InstanceDomainAdded => "instance.domain.added",
    InstanceDomainPrimarySet => "instance.domain.primary.set",
    InstanceDomainRemoved => "instance.domain.removed",
}
