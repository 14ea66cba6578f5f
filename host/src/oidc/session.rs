//! # The sessions a login ends in
//!
//! The authorization-code flow does not authenticate anyone itself: a login
//! UI does, and records what it checked in a **session** (the session API).
//! The flow then needs two things of a session, and only these, behind
//! [`Sessions`]:
//! - whether the id and token a login UI presents name a live session, and
//!   who it authenticated when ([`Sessions::authenticated`]);
//! - ending it when the user logs out at a relying party
//!   ([`Sessions::terminate`]).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::OidcError;
use crate::command::session::model::SessionModel;
use crate::command::session::{AGGREGATE_TYPE, METHOD_PASSWORD, METHOD_SECOND_FACTOR};
use crate::command::write_model::{self, StoreSource, WriteModel as _};
use crate::command::{CommandContext, CommandError, Commands};
use crate::eventstore::{AggregateRef, EventStore};
use crate::query::Queries;

/// The `amr` value of a password check (RFC 8176).
pub const AMR_PASSWORD: &str = "pwd";
/// The `amr` value of a one-time password check: a TOTP or recovery code
/// (RFC 8176).
pub const AMR_OTP: &str = "otp";

/// The login-flow method names of `amr` values (the claims hook of a
/// token learns how the login went from the code or refresh token's `amr`).
pub fn auth_methods_of(amr: &[String]) -> Vec<String> {
    amr.iter()
        .map(|m| match m.as_str() {
            AMR_PASSWORD => METHOD_PASSWORD.to_owned(),
            AMR_OTP => METHOD_SECOND_FACTOR.to_owned(),
            other => other.to_owned(),
        })
        .collect()
}

/// A live session and what it proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSession {
    /// The session's id (the ID token's `sid`).
    pub session_id: String,
    /// The user it checked.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// When the user's password was last checked, if ever.
    pub password_checked_at: Option<DateTime<Utc>>,
    /// When a second factor (a TOTP or recovery code) was last checked, if
    /// ever.
    pub second_factor_checked_at: Option<DateTime<Utc>>,
    /// Whether a login-flow plugin required a second factor of it.
    pub second_factor_required: bool,
    /// Whether the user is active now (not inactive, locked or removed).
    pub user_active: bool,
}

impl LoginSession {
    /// When the user last authenticated (the ID token's `auth_time`): the
    /// last password check.
    pub fn auth_time(&self) -> Option<DateTime<Utc>> {
        self.password_checked_at
    }

    /// The credentials it holds, as login-flow plugins name them.
    pub fn auth_methods(&self) -> Vec<String> {
        let mut methods = Vec::new();
        if self.password_checked_at.is_some() {
            methods.push(METHOD_PASSWORD.to_owned());
        }
        if self.second_factor_checked_at.is_some() {
            methods.push(METHOD_SECOND_FACTOR.to_owned());
        }
        methods
    }

    /// The authentication methods it holds (`amr`, RFC 8176).
    pub fn amr(&self) -> Vec<String> {
        let mut amr = Vec::new();
        if self.password_checked_at.is_some() {
            amr.push(AMR_PASSWORD.to_owned());
        }
        if self.second_factor_checked_at.is_some() {
            amr.push(AMR_OTP.to_owned());
        }
        amr
    }
}

/// The session side, as the code flow sees it.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Session `session_id` of `instance_id` when `token` is its current
    /// token and it is neither terminated nor expired; `None` otherwise
    /// (without saying which).
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer.
    async fn authenticated(
        &self,
        instance_id: &str,
        session_id: &str,
        token: &str,
    ) -> Result<Option<LoginSession>, OidcError>;

    /// Ends session `session_id` (logout); a session already ended or
    /// unknown is no error.
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer.
    async fn terminate(
        &self,
        instance_id: &str,
        session_id: &str,
        actor: &str,
    ) -> Result<(), OidcError>;
}

/// The sessions of the session API: its write model answers whether a
/// token is current (compared by hash, as the session commands do), the
/// user's events whether the user may still log in, and its terminate
/// command ends a session.
#[derive(Clone)]
pub struct CommandSessions {
    store: Arc<dyn EventStore>,
    commands: Arc<Commands>,
    queries: Queries,
}

impl std::fmt::Debug for CommandSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSessions").finish_non_exhaustive()
    }
}

impl CommandSessions {
    /// Sessions over `store`, ended through `commands`, their users read
    /// through `queries`.
    pub fn new(store: Arc<dyn EventStore>, commands: Arc<Commands>, queries: Queries) -> Self {
        Self {
            store,
            commands,
            queries,
        }
    }
}

#[async_trait]
impl Sessions for CommandSessions {
    async fn authenticated(
        &self,
        instance_id: &str,
        session_id: &str,
        token: &str,
    ) -> Result<Option<LoginSession>, OidcError> {
        let aggregate = AggregateRef::new(instance_id, AGGREGATE_TYPE, session_id);
        let session =
            write_model::load::<SessionModel>(&StoreSource(self.store.as_ref()), &aggregate)
                .await?
                .model;
        let live = session.exists()
            && session.require_token(token).is_ok()
            && session.require_usable(Utc::now()).is_ok();
        let (true, Some(user_id), Some(org_id)) = (live, session.user_id, session.org_id) else {
            return Ok(None);
        };
        let user_active = self
            .queries
            .subject(instance_id, &user_id)
            .await?
            .is_some_and(|user| user.active && !user.machine);
        Ok(Some(LoginSession {
            session_id: session_id.to_owned(),
            user_id,
            org_id,
            password_checked_at: session.password_checked_at,
            second_factor_checked_at: session.second_factor_checked_at,
            second_factor_required: session.second_factor_required,
            user_active,
        }))
    }

    async fn terminate(
        &self,
        instance_id: &str,
        session_id: &str,
        actor: &str,
    ) -> Result<(), OidcError> {
        let ctx = CommandContext::new(instance_id, actor);
        match self
            .commands
            .terminate_session(&ctx, session_id, None)
            .await
        {
            Ok(_)
            | Err(CommandError::NotFound { .. })
            | Err(CommandError::FailedPrecondition(_)) => Ok(()),
            Err(e) => Err(OidcError::server(format!(
                "the session could not be ended: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_second_factor_check_when_amr_is_asked_then_otp_follows_pwd() {
        let mut session = LoginSession {
            session_id: "s".into(),
            user_id: "u".into(),
            org_id: "o".into(),
            password_checked_at: Some(Utc::now()),
            second_factor_checked_at: None,
            second_factor_required: false,
            user_active: true,
        };
        assert_eq!(session.amr(), [AMR_PASSWORD]);
        session.second_factor_checked_at = Some(Utc::now());
        assert_eq!(session.amr(), [AMR_PASSWORD, AMR_OTP]);
    }
}
