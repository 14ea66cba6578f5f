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

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::OidcError;

/// The `amr` value of a password check (RFC 8176).
pub const AMR_PASSWORD: &str = "pwd";

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
    /// Whether the user is active now (not inactive, locked or removed).
    pub user_active: bool,
}

impl LoginSession {
    /// When the user last authenticated (the ID token's `auth_time`): the
    /// last password check.
    pub fn auth_time(&self) -> Option<DateTime<Utc>> {
        self.password_checked_at
    }

    /// The authentication methods it holds (`amr`, RFC 8176).
    pub fn amr(&self) -> Vec<String> {
        let mut amr = Vec::new();
        if self.password_checked_at.is_some() {
            amr.push(AMR_PASSWORD.to_owned());
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

