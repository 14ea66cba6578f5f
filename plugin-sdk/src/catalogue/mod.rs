//! # Event and command catalogue
//!
//! Typed payloads of the commands and events Rampart ships, as serde structs
//! (`camelCase` JSON). Each command implements [`CommandPayload`] (its
//! name), each event [`EventPayload`] (its type), so tests and plugins never
//! spell a name twice:
//!
//! ```
//! # use rampart_plugin_sdk::catalogue::*;
//! assert_eq!(AddHumanUser::NAME, "user.human.add");
//! assert_eq!(HumanUserAdded::TYPE, "user.human.added");
//! ```
//!
//! Plain Rust with no WebAssembly in it: the host uses the same structs to
//! write the events that plugins read.
//!
//! Payloads tolerate unknown fields, so adding a field to an event is not a
//! breaking change for plugins built against an older catalogue.

use serde::Serialize;
use serde::de::DeserializeOwned;

mod instance;
mod milestone;
mod org;
mod user;

pub use instance::{
    AddInstance, AddInstanceMember, ChangeInstanceMember, InstanceAdded, InstanceChanged,
    InstanceDomainAdded, InstanceDomainPrimarySet, InstanceDomainRemoved, InstanceMemberAdded,
    InstanceMemberChanged, InstanceMemberRemoved, InstanceRemoved, RemoveInstance,
    RemoveInstanceMember, RenameInstance,
};
pub use milestone::{MilestoneReached, UserAuthenticationSucceeded};
pub use org::{
    AddOrg, AddOrgDomain, AddOrgMember, ChangeOrgMember, DeactivateOrg, OrgAdded, OrgChanged,
    OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainRemoved, OrgDomainVerified,
    OrgMemberAdded, OrgMemberChanged, OrgMemberRemoved, OrgReactivated, OrgRemoved, ReactivateOrg,
    RemoveOrg, RemoveOrgDomain, RemoveOrgMember, RenameOrg, SetPrimaryOrgDomain, VerifyOrgDomain,
};
pub use user::{
    AddHumanUser, AddMachineUser, AddPersonalAccessToken, ChangeHumanEmail, ChangeHumanProfile,
    ChangeMachineUser, DeactivateUser, Email, HumanEmailChanged, HumanPasswordChanged,
    HumanProfileChanged, HumanUserAdded, LockUser, MachineUserAdded, MachineUserChanged,
    PersonalAccessTokenAdded, PersonalAccessTokenRemoved, Profile, ReactivateUser,
    RemovePersonalAccessToken, RemoveUser, SetHumanPassword, UnlockUser, UserDeactivated,
    UserLocked, UserReactivated, UserRemoved, UserUnlocked,
};

/// The payload of a command; `NAME` is the command's name.
pub trait CommandPayload: Serialize + DeserializeOwned {
    /// The command name, e.g. `"user.human.add"`.
    const NAME: &'static str;
}

/// The payload of an event; `TYPE` is the event type.
pub trait EventPayload: Serialize + DeserializeOwned {
    /// The event type, e.g. `"user.human.added"`.
    const TYPE: &'static str;
}

/// Implements [`CommandPayload`] for each `Type => "name"` pair.
macro_rules! command_names {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl $crate::catalogue::CommandPayload for $ty {
            const NAME: &'static str = $name;
        })*
    };
}

/// Implements [`EventPayload`] for each `Type => "type"` pair.
macro_rules! event_types {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl $crate::catalogue::EventPayload for $ty {
            const TYPE: &'static str = $name;
        })*
    };
}

use {command_names, event_types};

#[cfg(test)]
mod tests;
