//! Personal access tokens, read from the eventstore: one indexed read of
//! the user's aggregate, folded by the command side's user write model, so
//! a new or revoked token (or a removed user) counts at once.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Queries, QueryError};
use crate::command::user;
use crate::command::user::model::{UserKind, UserModel, UserState};
use crate::command::write_model::{self, StoreSource, WriteModel as _};
use crate::eventstore::{AggregateRef, EventStore};

/// A personal access token as listed: never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatInfo {
    /// The token's id.
    pub token_id: String,
    /// When it stops working (it may have already).
    pub expires_at: DateTime<Utc>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// What authenticating a request with a personal access token needs to
/// know about the token and its user. `Debug` leaves the hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct PatOwner {
    /// The token's user.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// The user's username.
    pub username: String,
    /// Whether the user's state is active (not inactive, not locked).
    pub active: bool,
    /// Whether the user is a machine user (tokens are only ever added to
    /// machines, so this is true unless the events were written by hand).
    pub machine: bool,
    /// The stored hash, to compare with the presented token's.
    pub token_hash: String,
    /// When the token stops working: the caller checks it.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for PatOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatOwner")
            .field("user_id", &self.user_id)
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("active", &self.active)
            .field("machine", &self.machine)
            .field("token_hash", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Queries {
    /// The personal access tokens of user `user_id` that were not removed,
    /// expired ones included (so they can be listed and removed), oldest
    /// first. `None` when the user is unknown or removed.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn personal_access_tokens(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Option<Vec<PatInfo>>, QueryError> {
        personal_access_tokens(self.store.as_ref(), instance_id, user_id).await
    }

    /// Token `token_id` of user `user_id` with what authenticating with it
    /// needs: the hash to compare, the expiry, the user's state. `None`
    /// when the user is unknown or removed, or the token unknown or removed;
    /// an expired token or an inactive or locked user is returned, for the
    /// caller to refuse. One indexed read of the user's events.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn pat_owner(
        &self,
        instance_id: &str,
        user_id: &str,
        token_id: &str,
    ) -> Result<Option<PatOwner>, QueryError> {
        pat_owner(self.store.as_ref(), instance_id, user_id, token_id).await
    }
}

/// The write model of user `user_id`, if it exists (not removed).
pub(super) async fn live_user(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
) -> Result<Option<UserModel>, QueryError> {
    let aggregate = AggregateRef::new(instance_id, user::AGGREGATE_TYPE, user_id);
    let loaded = write_model::load::<UserModel>(&StoreSource(store), &aggregate).await?;
    Ok(loaded.model.exists().then_some(loaded.model))
}

/// See [`Queries::personal_access_tokens`].
pub(super) async fn personal_access_tokens(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
) -> Result<Option<Vec<PatInfo>>, QueryError> {
    let Some(user) = live_user(store, instance_id, user_id).await? else {
        return Ok(None);
    };
    let mut pats: Vec<PatInfo> = user
        .pats
        .into_iter()
        .filter(|(_, pat)| !pat.removed)
        .map(|(token_id, pat)| PatInfo {
            token_id,
            expires_at: pat.expires_at,
            created_at: pat.created_at,
        })
        .collect();
    pats.sort_by(|a, b| (a.created_at, &a.token_id).cmp(&(b.created_at, &b.token_id)));
    Ok(Some(pats))
}

/// See [`Queries::pat_owner`].
pub(super) async fn pat_owner(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
    token_id: &str,
) -> Result<Option<PatOwner>, QueryError> {
    let Some(user) = live_user(store, instance_id, user_id).await? else {
        return Ok(None);
    };
    let Some(pat) = user.active_pat(token_id) else {
        return Ok(None);
    };
    Ok(Some(PatOwner {
        user_id: user_id.to_owned(),
        active: user.state == UserState::Active,
        machine: user.kind == UserKind::Machine,
        token_hash: pat.hash.clone(),
        expires_at: pat.expires_at,
        org_id: user.org_id,
        username: user.username,
    }))
}

/// A user as the subject of a token: who, in which organization, and
/// whether they may act now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The user's id.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// The user's username.
    pub username: String,
    /// Whether the user's state is active (not inactive, not locked).
    pub active: bool,
    /// Whether the user is a machine user.
    pub machine: bool,
    /// Given name (humans).
    pub given_name: String,
    /// Family name (humans).
    pub family_name: String,
    /// Display name: a human's chosen one, or a machine user's name.
    pub display_name: Option<String>,
    /// Preferred language, a BCP 47 tag.
    pub preferred_language: Option<String>,
    /// E-mail address (humans; empty otherwise).
    pub email: String,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// Phone number, E.164.
    pub phone: Option<String>,
    /// Whether the phone number is verified.
    pub phone_verified: bool,
}

impl Queries {
    /// User `user_id` as a token's subject; `None` when unknown or
    /// removed. One indexed read of the user's events, so a deactivation
    /// counts at once.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn subject(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Option<Subject>, QueryError> {
        let Some(user) = live_user(self.store.as_ref(), instance_id, user_id).await? else {
            return Ok(None);
        };
        Ok(Some(Subject {
            user_id: user_id.to_owned(),
            active: user.state == UserState::Active,
            machine: user.kind == UserKind::Machine,
            org_id: user.org_id,
            username: user.username,
            given_name: user.profile.given_name,
            family_name: user.profile.family_name,
            display_name: user.profile.display_name.or(user.name),
            preferred_language: user.profile.preferred_language,
            email: user.email,
            email_verified: user.email_verified,
            phone: user.phone,
            phone_verified: user.phone_verified,
        }))
    }
}
