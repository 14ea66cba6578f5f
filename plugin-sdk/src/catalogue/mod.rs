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

mod app;
mod authorization;
mod instance;
mod keys;
mod milestone;
mod notification;
mod org;
mod project;
mod session;
mod settings;
mod user;
mod user_codes;
mod user_details;
mod user_mfa;

pub use app::{
    AccessTokenType, AddApiApp, AddOidcApp, ApiConfig, AppAdded, AppChanged, AppConfigChanged,
    AppDeactivated, AppReactivated, AppRef, AppRemoved, AppSecretChanged, ChangeApiApp, ChangeApp,
    ChangeOidcApp, ClientAuthMethod, DeactivateApp, GrantType, OidcConfig, ReactivateApp,
    RegenerateAppSecret, RemoveApp, ResponseType,
};
pub use authorization::{
    AddAuthorization, AuthorizationAdded, AuthorizationChanged, AuthorizationDeactivated,
    AuthorizationReactivated, AuthorizationRemoved, ChangeAuthorization, DeactivateAuthorization,
    ReactivateAuthorization, RemoveAuthorization,
};
pub use instance::{
    AddInstance, AddInstanceMember, ChangeInstanceMember, InstanceAdded, InstanceChanged,
    InstanceDomainAdded, InstanceDomainPrimarySet, InstanceDomainRemoved, InstanceMemberAdded,
    InstanceMemberChanged, InstanceMemberRemoved, InstanceRemoved, RemoveInstance,
    RemoveInstanceMember, RenameInstance,
};
pub use keys::{
    AddAppKey, AddMachineKey, AppKeyAdded, AppKeyRemoved, KeyType, MachineKeyAdded,
    MachineKeyRemoved, RemoveAppKey, RemoveMachineKey,
};
pub use milestone::{MilestoneReached, UserAuthenticationSucceeded};
pub use notification::{
    MessageKind, MessageTemplate, MessageTemplateChanged, MessageTemplateRemoved, RemoveSmtpConfig,
    ResetMessageTemplate, SetMessageTemplate, SetSmtpConfig, SmtpConfig, SmtpConfigChanged,
    SmtpConfigRemoved, SmtpTls,
};
pub use org::{
    AddOrg, AddOrgDomain, AddOrgMember, ChangeOrgMember, DeactivateOrg, OrgAdded, OrgChanged,
    OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainRemoved, OrgDomainVerified,
    OrgMemberAdded, OrgMemberChanged, OrgMemberRemoved, OrgReactivated, OrgRemoved, ReactivateOrg,
    RemoveOrg, RemoveOrgDomain, RemoveOrgMember, RenameOrg, SetPrimaryOrgDomain, VerifyOrgDomain,
};
pub use project::{
    AddProject, AddProjectGrant, AddProjectMember, AddProjectRole, ChangeProject,
    ChangeProjectGrant, ChangeProjectMember, ChangeProjectRole, DeactivateProject,
    DeactivateProjectGrant, ProjectAdded, ProjectChanged, ProjectDeactivated, ProjectGrantAdded,
    ProjectGrantChanged, ProjectGrantDeactivated, ProjectGrantReactivated, ProjectGrantRef,
    ProjectGrantRemoved, ProjectMemberAdded, ProjectMemberChanged, ProjectMemberRemoved,
    ProjectReactivated, ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged, ProjectRoleRemoved,
    ReactivateProject, ReactivateProjectGrant, RemoveProject, RemoveProjectGrant,
    RemoveProjectMember, RemoveProjectRole,
};
pub use session::{
    CreateSession, SessionAdded, SessionLifetimeSet, SessionPasswordChecked,
    SessionRecoveryCodeChecked, SessionSecondFactorRequired, SessionTerminated, SessionTokenSet,
    SessionTotpChecked, SessionUserChecked, SetSession, TerminateSession,
};
pub use settings::{
    DomainSettings, InstanceSettingsSet, LockoutSettings, LoginSettings, NotificationSettings,
    OrgSettingsReset, OrgSettingsSet, PasswordComplexitySettings, ResetOrgSettings, SecondFactor,
    SetInstanceSettings, SetOrgSettings, Settings, SettingsKind, SettingsValue,
};
pub use user::{
    AddHumanUser, AddMachineUser, AddPersonalAccessToken, ChangeHumanEmail, ChangeHumanProfile,
    ChangeMachineUser, DeactivateUser, Email, GenerateMachineSecret, HumanEmailChanged,
    HumanPasswordChanged, HumanPasswordRehashed, HumanProfileChanged, HumanUserAdded, LockUser,
    MachineSecretRemoved, MachineSecretSet, MachineUserAdded, MachineUserChanged,
    PersonalAccessTokenAdded, PersonalAccessTokenRemoved, Profile, ReactivateUser,
    RemoveMachineSecret, RemovePersonalAccessToken, RemoveUser, SetHumanPassword, UnlockUser,
    UserDeactivated, UserLocked, UserReactivated, UserRemoved, UserUnlocked,
};
pub use user_codes::{
    AddEmailCode, AddPasswordCode, AddPhoneCode, CheckPassword, EmailCodeAdded, EmailCodeFailed,
    HumanEmailVerified, HumanPhoneVerified, PasswordCheckFailed, PasswordCheckSucceeded,
    PasswordCodeAdded, PasswordCodeFailed, PhoneCodeAdded, PhoneCodeFailed, ResetPassword,
    VerifyEmail, VerifyPhone,
};
pub use user_details::{
    ChangeHumanPhone, HumanPhoneChanged, HumanPhoneRemoved, RemoveHumanPhone, RemoveUserMetadata,
    SetUserMetadata, UserMetadataChanged, UserMetadataRemoved,
};
pub use user_mfa::{
    CheckRecoveryCode, CheckTotp, GenerateRecoveryCodes, RecoveryCodeCheckFailed, RecoveryCodeUsed,
    RecoveryCodesGenerated, RegisterTotp, RemoveTotp, TotpAdded, TotpCheckFailed,
    TotpCheckSucceeded, TotpRemoved, TotpResealed, TotpVerified, VerifyTotp,
};

/// What stands in for a secret wherever one is withheld: in `Debug`
/// output, in the audit API, and in the commands a validator without the
/// `secrets` grant sees.
pub const REDACTED: &str = "<redacted>";

/// The payload of a command; `NAME` is the command's name.
pub trait CommandPayload: Serialize + DeserializeOwned {
    /// The command name, e.g. `"user.human.add"`.
    const NAME: &'static str;
    /// The JSON keys of the payload that hold secrets (a plaintext
    /// password): validators see them only with the `secrets` grant.
    const SECRET_FIELDS: &'static [&'static str];
}

/// The payload of an event; `TYPE` is the event type.
pub trait EventPayload: Serialize + DeserializeOwned {
    /// The event type, e.g. `"user.human.added"`.
    const TYPE: &'static str;
    /// The JSON keys of the payload that hold secrets (a password or token
    /// hash): the audit API shows them as `"<redacted>"`.
    const SECRET_FIELDS: &'static [&'static str];
}

/// Implements [`CommandPayload`] for each `Type => "name"` pair, with its
/// secret fields after `secret`, and lists them as the module's `COMMANDS`.
macro_rules! command_names {
    ($($ty:ty => $name:literal $(secret [$($secret:literal),*])?),* $(,)?) => {
        $(impl $crate::catalogue::CommandPayload for $ty {
            const NAME: &'static str = $name;
            const SECRET_FIELDS: &'static [&'static str] = &[$($($secret),*)?];
        })*
        /// This module's commands and their secret fields.
        pub(super) const COMMANDS: &[(&str, &[&str])] = &[$(($name, &[$($($secret),*)?])),*];
    };
}

/// Implements [`EventPayload`] for each `Type => "type"` pair, with its
/// secret fields after `secret`, and lists them as the module's `EVENTS`.
macro_rules! event_types {
    ($($ty:ty => $name:literal $(secret [$($secret:literal),*])?),* $(,)?) => {
        $(impl $crate::catalogue::EventPayload for $ty {
            const TYPE: &'static str = $name;
            const SECRET_FIELDS: &'static [&'static str] = &[$($($secret),*)?];
        })*
        /// This module's event types and their secret fields.
        pub(super) const EVENTS: &[(&str, &[&str])] = &[$(($name, &[$($($secret),*)?])),*];
    };
}

/// The secret fields of event type `event_type`'s payload; `None` for a
/// type the catalogue does not know (treat its whole payload as secret).
pub fn event_secret_fields(event_type: &str) -> Option<&'static [&'static str]> {
    [
        app::EVENTS,
        authorization::EVENTS,
        instance::EVENTS,
        keys::EVENTS,
        milestone::EVENTS,
        notification::EVENTS,
        org::EVENTS,
        project::EVENTS,
        session::EVENTS,
        settings::EVENTS,
        user::EVENTS,
        user_codes::EVENTS,
        user_details::EVENTS,
        user_mfa::EVENTS,
    ]
    .into_iter()
    .flatten()
    .find(|(name, _)| *name == event_type)
    .map(|(_, secrets)| *secrets)
}

/// The secret fields of command `name`'s payload; `None` for a command the
/// catalogue does not know (treat its whole payload as secret).
pub fn command_secret_fields(name: &str) -> Option<&'static [&'static str]> {
    [
        app::COMMANDS,
        authorization::COMMANDS,
        instance::COMMANDS,
        keys::COMMANDS,
        notification::COMMANDS,
        org::COMMANDS,
        project::COMMANDS,
        session::COMMANDS,
        settings::COMMANDS,
        user::COMMANDS,
        user_codes::COMMANDS,
        user_details::COMMANDS,
        user_mfa::COMMANDS,
    ]
    .into_iter()
    .flatten()
    .find(|(command, _)| *command == name)
    .map(|(_, secrets)| *secrets)
}

use {command_names, event_types};

#[cfg(test)]
mod tests;
