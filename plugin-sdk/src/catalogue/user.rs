//! User commands and events.
//!
//! Two kinds of users share the `user` aggregate, its state commands
//! (`user.deactivate`, `user.lock`, …, `user.remove`) and one namespace of
//! usernames: humans (`user.human.*`: profile, e-mail, password) and
//! machines (`user.machine.*`: a name and a description, for service
//! accounts). Machine users authenticate with personal access tokens
//! (`user.pat.*`), of which only a hash is stored, with keys
//! (`user.machine.key.*`, in `keys`) or with a client secret
//! (`user.machine.secret.*`: the OAuth client-credentials grant, the
//! username being the client id), of which only the SHA-256 is stored; a
//! machine user's access tokens are opaque bearer tokens or JWTs
//! ([`AccessTokenType`], opaque unless told).
//!
//! Payloads carrying a password, a password hash, a token hash or a secret
//! hash print it as `"<redacted>"` in their `Debug` output, so logging one
//! leaks nothing.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::app::AccessTokenType;
use super::{REDACTED, command_names, event_types};

/// A human user's name and language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Given (first) name.
    pub given_name: String,
    /// Family (last) name.
    pub family_name: String,
    /// Name to display, if other than "given family".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// BCP 47 language tag, e.g. `"en"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
}

/// An e-mail address and whether it is verified.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    /// The address.
    pub address: String,
    /// Whether the address is known to belong to the user.
    #[serde(default)]
    pub verified: bool,
}

/// `user.human.add`: create a human user.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddHumanUser {
    /// Login name, unique in the instance.
    pub username: String,
    /// Name and language.
    pub profile: Profile,
    /// E-mail address.
    pub email: Email,
    /// Initial password in clear text, if any; only the hash is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for AddHumanUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddHumanUser")
            .field("username", &self.username)
            .field("profile", &self.profile)
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| REDACTED))
            .finish()
    }
}

/// `user.human.profile.change`: replace the profile (fields at top level).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeHumanProfile {
    /// The new profile.
    #[serde(flatten)]
    pub profile: Profile,
}

/// `user.human.email.change`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeHumanEmail {
    /// The new address.
    pub address: String,
    /// Whether it is already verified.
    #[serde(default)]
    pub verified: bool,
}

/// `user.human.password.set`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetHumanPassword {
    /// The new password in clear text; only the hash is stored.
    pub password: String,
}

impl fmt::Debug for SetHumanPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetHumanPassword")
            .field("password", &REDACTED)
            .finish()
    }
}

/// `user.deactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeactivateUser {}

/// `user.reactivate` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReactivateUser {}

/// `user.lock` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LockUser {}

/// `user.unlock` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UnlockUser {}

/// `user.remove` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveUser {}

/// `user.human.added`. The profile's fields sit at the payload's top level.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanUserAdded {
    /// The organization the user belongs to.
    #[serde(default)]
    pub org_id: String,
    /// Login name.
    pub username: String,
    /// Name and language (flattened into the payload).
    #[serde(flatten)]
    pub profile: Profile,
    /// E-mail address.
    pub email: String,
    /// Whether the address is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// Hash of the initial password, if one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

impl fmt::Debug for HumanUserAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumanUserAdded")
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("profile", &self.profile)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

/// `user.human.profile.changed`. The profile's fields sit at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HumanProfileChanged {
    /// The new profile.
    #[serde(flatten)]
    pub profile: Profile,
}

/// `user.human.email.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanEmailChanged {
    /// The new address.
    pub address: String,
    /// Whether it is verified.
    #[serde(default)]
    pub verified: bool,
}

/// `user.human.password.changed`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanPasswordChanged {
    /// Hash of the new password.
    pub password_hash: String,
}

impl fmt::Debug for HumanPasswordChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumanPasswordChanged")
            .field("password_hash", &REDACTED)
            .finish()
    }
}

/// `user.human.password.rehashed`: the same password, hashed again with the
/// parameters configured now, after a check succeeded with a hash made
/// under others (`Commands.PasswordHash` changed). Not a password change.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanPasswordRehashed {
    /// Hash of the same password, with the current parameters.
    pub password_hash: String,
}

impl fmt::Debug for HumanPasswordRehashed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumanPasswordRehashed")
            .field("password_hash", &REDACTED)
            .finish()
    }
}

/// `user.deactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserDeactivated {}

/// `user.reactivated` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserReactivated {}

/// `user.locked` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserLocked {}

/// `user.unlocked` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserUnlocked {}

/// `user.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRemoved {
    /// The username it had, so the unique-name claim can be released.
    pub username: String,
}

/// `user.machine.add`: create a machine user (a service account).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMachineUser {
    /// Login name, unique in the instance among humans and machines alike.
    pub username: String,
    /// Display name, e.g. `"CI pipeline"`.
    pub name: String,
    /// What the machine is for, if told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The form of the access tokens issued to the machine (opaque bearer
    /// tokens unless told).
    #[serde(default)]
    pub access_token_type: AccessTokenType,
}

/// `user.machine.change`: replace a machine user's name and description,
/// and the form of its access tokens if told.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeMachineUser {
    /// The new display name.
    pub name: String,
    /// The new description; `None` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The new form of its access tokens; `None` keeps the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_type: Option<AccessTokenType>,
}

/// `user.machine.secret.generate`: give a machine user a client secret,
/// replacing the one it has. No payload: the host makes the secret, so no
/// validator ever sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GenerateMachineSecret {}

/// `user.machine.secret.remove`: the machine user no longer has a client
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveMachineSecret {}

/// `user.pat.add`: a personal access token for a machine user. Validators
/// see the token's id and expiry only; the hash never reaches them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPersonalAccessToken {
    /// The token's id, unique per user.
    pub token_id: String,
    /// When the token stops working (RFC 3339).
    pub expires_at: DateTime<Utc>,
}

/// `user.pat.remove`: revoke a personal access token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovePersonalAccessToken {
    /// The token's id.
    pub token_id: String,
}

/// `user.machine.added`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineUserAdded {
    /// The organization the user belongs to.
    #[serde(default)]
    pub org_id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// What the machine is for, if told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The form of its access tokens (opaque in events written before the
    /// field existed).
    #[serde(default)]
    pub access_token_type: AccessTokenType,
}

/// `user.machine.changed`: name and description replaced, and the form of
/// the access tokens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineUserChanged {
    /// The new display name.
    pub name: String,
    /// The new description, `None` when cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The form of its access tokens from now on; `None` (events written
    /// before the field existed) leaves it as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_type: Option<AccessTokenType>,
}

/// `user.machine.secret.set`: a machine user's client secret, new or
/// replacing the previous one (which stops working at once). Only the
/// secret's SHA-256 is stored: it is 32 random bytes, so a fast hash is as
/// safe as a slow one.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineSecretSet {
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

impl fmt::Debug for MachineSecretSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineSecretSet")
            .field("secret_hash", &REDACTED)
            .finish()
    }
}

/// `user.machine.secret.removed`: the machine user's client secret no
/// longer authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineSecretRemoved {}

/// `user.pat.added`: a personal access token, of which only a hash is
/// stored (what the hash is of is the token format's business).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalAccessTokenAdded {
    /// The token's id, unique per user.
    pub token_id: String,
    /// Hash of the token's secret.
    pub token_hash: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for PersonalAccessTokenAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalAccessTokenAdded")
            .field("token_id", &self.token_id)
            .field("token_hash", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// `user.pat.removed`: the token no longer authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalAccessTokenRemoved {
    /// The token's id.
    pub token_id: String,
}

command_names! {
    AddHumanUser => "user.human.add" secret ["password"],
    ChangeHumanProfile => "user.human.profile.change",
    ChangeHumanEmail => "user.human.email.change",
    SetHumanPassword => "user.human.password.set" secret ["password"],
    DeactivateUser => "user.deactivate",
    ReactivateUser => "user.reactivate",
    LockUser => "user.lock",
    UnlockUser => "user.unlock",
    RemoveUser => "user.remove",
    AddMachineUser => "user.machine.add",
    ChangeMachineUser => "user.machine.change",
    GenerateMachineSecret => "user.machine.secret.generate",
    RemoveMachineSecret => "user.machine.secret.remove",
    AddPersonalAccessToken => "user.pat.add",
    RemovePersonalAccessToken => "user.pat.remove",
}

event_types! {
    HumanUserAdded => "user.human.added" secret ["passwordHash"],
    HumanProfileChanged => "user.human.profile.changed",
    HumanEmailChanged => "user.human.email.changed",
    HumanPasswordChanged => "user.human.password.changed" secret ["passwordHash"],
    HumanPasswordRehashed => "user.human.password.rehashed" secret ["passwordHash"],
    UserDeactivated => "user.deactivated",
    UserReactivated => "user.reactivated",
    UserLocked => "user.locked",
    UserUnlocked => "user.unlocked",
    UserRemoved => "user.removed",
    MachineUserAdded => "user.machine.added",
    MachineUserChanged => "user.machine.changed",
    MachineSecretSet => "user.machine.secret.set" secret ["secretHash"],
    MachineSecretRemoved => "user.machine.secret.removed",
    PersonalAccessTokenAdded => "user.pat.added" secret ["tokenHash"],
    PersonalAccessTokenRemoved => "user.pat.removed",
}
