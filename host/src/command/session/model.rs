//! The session write model: whether it is active or terminated, whose it
//! is, which checks passed when, when it expires, and its token's hash.

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    EventPayload, SessionAdded, SessionLifetimeSet, SessionPasswordChecked,
    SessionRecoveryCodeChecked, SessionSecondFactorRequired, SessionTerminated, SessionTokenSet,
    SessionTotpChecked, SessionUserChecked,
};
use serde::Serialize;

use crate::auth::token::secret_matches;
use crate::command::CommandError;
use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// The code of a wrong or missing session token.
pub(crate) const TOKEN_INVALID: &str = "SESSION_TOKEN_INVALID";

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SessionState {
    /// Never created.
    #[default]
    Unknown,
    /// Usable while it has not expired.
    Active,
    /// Ended for good.
    Terminated,
}

/// A session as its commands see it. Validators see everything but the
/// token's hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionModel {
    /// Life-cycle state.
    pub(crate) state: SessionState,
    /// The checked user, once checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
    /// The checked user's organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) org_id: Option<String>,
    /// When the user check last passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_checked_at: Option<DateTime<Utc>>,
    /// When the password check last passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password_checked_at: Option<DateTime<Utc>>,
    /// When a second factor check (a TOTP code or a recovery code) last
    /// passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) second_factor_checked_at: Option<DateTime<Utc>>,
    /// Whether a login-flow plugin requires a second factor of it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) second_factor_required: bool,
    /// When the session expires; `None`: never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// SHA-256 of the current token, hex; never serialized.
    #[serde(skip)]
    pub(crate) token_hash: String,
}

impl SessionModel {
    /// Whether `token` is the session's current one (compared by hash, in
    /// time independent of where a wrong one differs).
    ///
    /// # Errors
    /// [`CommandError::Denied`] (`SESSION_TOKEN_INVALID`) when it is not.
    pub(crate) fn require_token(&self, token: &str) -> Result<(), CommandError> {
        if !self.token_hash.is_empty() && secret_matches(&self.token_hash, token) {
            return Ok(());
        }
        Err(CommandError::Denied {
            code: TOKEN_INVALID,
            message: "the session token is invalid".into(),
        })
    }

    /// The credentials it holds, as login-flow plugins name them.
    pub(crate) fn auth_methods(&self) -> Vec<String> {
        let mut methods = Vec::new();
        if self.password_checked_at.is_some() {
            methods.push(super::METHOD_PASSWORD.to_owned());
        }
        if self.second_factor_checked_at.is_some() {
            methods.push(super::METHOD_SECOND_FACTOR.to_owned());
        }
        methods
    }

    /// [`CommandError::FailedPrecondition`] for a terminated session, or
    /// one that expired before `now`.
    pub(crate) fn require_usable(&self, now: DateTime<Utc>) -> Result<(), CommandError> {
        if self.state == SessionState::Terminated {
            return Err(CommandError::precondition("the session was terminated"));
        }
        match self.expires_at {
            Some(at) if at <= now => Err(CommandError::precondition(format!(
                "the session expired at {}",
                at.to_rfc3339()
            ))),
            _ => Ok(()),
        }
    }
}

impl WriteModel for SessionModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            SessionAdded::TYPE => {
                if let Some(p) = payload::<SessionAdded>(event) {
                    *self = SessionModel {
                        state: SessionState::Active,
                        expires_at: p.expires_at,
                        ..SessionModel::default()
                    };
                }
            }
            SessionUserChecked::TYPE => {
                if let Some(p) = payload::<SessionUserChecked>(event) {
                    self.user_id = Some(p.user_id);
                    self.org_id = Some(p.org_id);
                    self.user_checked_at = Some(p.checked_at);
                }
            }
            SessionPasswordChecked::TYPE => {
                if let Some(p) = payload::<SessionPasswordChecked>(event) {
                    self.password_checked_at = Some(p.checked_at);
                }
            }
            SessionTotpChecked::TYPE => {
                if let Some(p) = payload::<SessionTotpChecked>(event) {
                    self.second_factor_checked_at = Some(p.checked_at);
                }
            }
            SessionRecoveryCodeChecked::TYPE => {
                if let Some(p) = payload::<SessionRecoveryCodeChecked>(event) {
                    self.second_factor_checked_at = Some(p.checked_at);
                }
            }
            SessionTokenSet::TYPE => {
                if let Some(p) = payload::<SessionTokenSet>(event) {
                    self.token_hash = p.token_hash;
                }
            }
            SessionLifetimeSet::TYPE => {
                if let Some(p) = payload::<SessionLifetimeSet>(event) {
                    self.expires_at = p.expires_at;
                }
            }
            SessionSecondFactorRequired::TYPE => self.second_factor_required = true,
            SessionTerminated::TYPE => self.state = SessionState::Terminated,
            _ => {}
        }
    }

    fn exists(&self) -> bool {
        // A terminated session still exists: commands on it are told it
        // was terminated, not that it is unknown.
        self.state != SessionState::Unknown
    }
}
