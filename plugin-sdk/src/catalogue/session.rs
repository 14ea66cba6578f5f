//! Sessions: the proof, kept by the server, that someone checked who they
//! are, so a login UI of one's own (and later the hosted login and the
//! OIDC code flow) need not keep it. One aggregate per session, owned by
//! the instance; the checked user's organization is recorded once known.
//!
//! A session is created and changed with a session token the host makes:
//! only its SHA-256 is stored (`session.token.set`), and every change
//! replaces it, so an old token stops working. Checks record when they
//! passed; a password check goes through `user.human.password.check`, so a
//! failure counts toward lockout and is recorded on the user, never here.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{REDACTED, command_names, event_types};

/// `session.create`: a new session, with the checks it starts with.
/// Validators see which checks are asked for, never the password (that is
/// `user.human.password.check`'s payload) nor the token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSession {
    /// The user to check, once resolved from an id or a login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Whether the user's password is checked too.
    #[serde(default)]
    pub check_password: bool,
    /// Whether a code of the user's TOTP is checked too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_totp: bool,
    /// Whether one of the user's recovery codes is checked (and used up).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_recovery_code: bool,
    /// How long the session lives, in seconds; `None`: until terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<u64>,
    /// The client's user agent, as it described itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// `session.set`: more checks on an existing session, a new token, and a
/// new lifetime if told.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetSession {
    /// The user to check, if the request names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Whether the user's password is checked.
    #[serde(default)]
    pub check_password: bool,
    /// Whether a code of the user's TOTP is checked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_totp: bool,
    /// Whether one of the user's recovery codes is checked (and used up).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_recovery_code: bool,
    /// A new lifetime from now, in seconds; `None` keeps the expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<u64>,
}

/// `session.terminate`: the session ends; its token stops working.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TerminateSession {}

/// `session.added`: a session began.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAdded {
    /// The client's user agent, as it described itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// When the session expires; `None`: never (until terminated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `session.user.checked`: the session is about this user (it existed and
/// was active then).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionUserChecked {
    /// The user.
    pub user_id: String,
    /// The user's organization: the session's from now on.
    pub org_id: String,
    /// When the check passed.
    pub checked_at: DateTime<Utc>,
}

/// `session.password.checked`: the session's user gave the right password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPasswordChecked {
    /// When the check passed.
    pub checked_at: DateTime<Utc>,
}

/// `session.totp.checked`: the session's user gave a current code of its
/// verified TOTP (checked through `user.human.totp.check`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTotpChecked {
    /// When the check passed.
    pub checked_at: DateTime<Utc>,
}

/// `session.recovery_code.checked`: the session's user gave one of its
/// recovery codes, now used up on the user (`user.human.recovery_code.
/// used`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecoveryCodeChecked {
    /// When the check passed.
    pub checked_at: DateTime<Utc>,
}

/// `session.token.set`: the session's token, new or replacing the previous
/// one (which stops working at once). Only the token's SHA-256 is stored:
/// the token is 32 random bytes, so a fast hash is as safe as a slow one.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTokenSet {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
}

impl fmt::Debug for SessionTokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokenSet")
            .field("token_hash", &REDACTED)
            .finish()
    }
}

/// `session.lifetime.set`: the session expires at a new time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLifetimeSet {
    /// When the session expires; `None`: never (until terminated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `session.second_factor.required`: a login-flow plugin decided that this
/// session's user must pass a second factor before the session may finish
/// a login.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSecondFactorRequired {
    /// The plugin that asked for it.
    pub required_by: String,
}

/// `session.terminated`: the session ended; its token no longer works.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionTerminated {}

command_names! {
    CreateSession => "session.create",
    SetSession => "session.set",
    TerminateSession => "session.terminate",
}

event_types! {
    SessionAdded => "session.added",
    SessionUserChecked => "session.user.checked",
    SessionPasswordChecked => "session.password.checked",
    SessionTotpChecked => "session.totp.checked",
    SessionRecoveryCodeChecked => "session.recovery_code.checked",
    SessionTokenSet => "session.token.set" secret ["tokenHash"],
    SessionLifetimeSet => "session.lifetime.set",
    SessionSecondFactorRequired => "session.second_factor.required",
    SessionTerminated => "session.terminated",
}
