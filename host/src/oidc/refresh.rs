//! # Refresh token families
//!
//! A refresh token is handed out with the tokens of a code exchange that
//! granted `offline_access`. Its whole lineage is one aggregate,
//! `refresh_token` (id = the family's id):
//!
//! | event | when |
//! |---|---|
//! | `refresh_token.family.started` | the first token was issued (who, which client, scopes, session) |
//! | `refresh_token.rotated` | a token was used: it is spent, the next one is issued |
//! | `refresh_token.family.revoked` | reuse of a spent token, a replayed code, logout, or revocation (RFC 7009) |
//!
//! **Rotation**: every use spends the token and issues the next one.
//! **Reuse detection**: a spent token presented again means two parties
//! hold the lineage; the whole family is revoked, so the thief's and the
//! client's current token stop working alike (OAuth 2.0 Security BCP
//! §4.14.2).
//!
//! A token reads `rt_<family id>_<secret>`; only SHA-256 hashes are
//! stored. Each session keeps the families issued under it in a small
//! aggregate of its own (`oidc_session`, id = the session's id), so a
//! logout finds them with one read.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::OidcError;
use crate::auth::token::{digest, new_secret, same_hash};
use crate::eventstore::{
    AggregateRef, Event, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};

/// The aggregate type of refresh token families.
pub const AGGREGATE_TYPE: &str = "refresh_token";
/// The first token of a family was issued.
pub const STARTED: &str = "refresh_token.family.started";
/// A token was spent and its successor issued.
pub const ROTATED: &str = "refresh_token.rotated";
/// The family was revoked.
pub const REVOKED: &str = "refresh_token.family.revoked";
/// The aggregate type of a session's token index.
pub const SESSION_AGGREGATE_TYPE: &str = "oidc_session";
/// A family was issued under the session.
pub const SESSION_FAMILY_ADDED: &str = "oidc_session.refresh_family.added";
/// Every refresh token starts with this.
const PREFIX: &str = "rt_";

/// `refresh_token.family.started`: what every token of the family grants.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyStarted {
    /// The user.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The session of the login.
    pub session_id: String,
    /// When the user authenticated.
    pub auth_time: DateTime<Utc>,
    /// How (`amr`).
    pub amr: Vec<String>,
    /// SHA-256 of the first token's secret.
    pub secret_hash: String,
    /// When the first token expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for FamilyStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FamilyStarted")
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("session_id", &self.session_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `refresh_token.rotated`: the next token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    /// SHA-256 of the new token's secret.
    pub secret_hash: String,
    /// When the new token expires.
    pub expires_at: DateTime<Utc>,
}

/// Why a family was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// A spent token was presented again.
    Reuse,
    /// The code the family came from was presented again.
    CodeReplay,
    /// The session ended (RP-initiated logout).
    Logout,
    /// The client revoked it (RFC 7009).
    Revocation,
}

/// `refresh_token.family.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyRevoked {
    /// The family's user (for principal caches).
    pub user_id: String,
    /// Why.
    pub reason: RevokeReason,
}

/// Why a refresh token does not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// Unknown family, or a secret that was never one of it.
    #[error("the refresh token is invalid")]
    Unknown,
    /// Issued to another client.
    #[error("the refresh token was issued to another client")]
    OtherClient,
    /// The family was revoked.
    #[error("the refresh token was revoked")]
    Revoked,
    /// The current token expired.
    #[error("the refresh token expired")]
    Expired,
    /// A spent token: the family must be revoked.
    #[error("the refresh token was already used; every token of its lineage is revoked")]
    Reused,
}

/// The events of one family, folded.
#[derive(Debug, Clone, Default)]
pub struct FamilyModel {
    /// The family's id.
    pub id: String,
    /// The last event's sequence.
    pub sequence: u64,
    /// What it grants.
    pub started: Option<FamilyStarted>,
    /// The hash of the token that works now.
    current_hash: String,
    /// When that token expires.
    expires_at: Option<DateTime<Utc>>,
    /// Hashes of spent tokens.
    spent: Vec<String>,
    /// Why it was revoked, if it was.
    pub revoked: Option<RevokeReason>,
}

impl FamilyModel {
    /// The model of family `id` after `events`.
    pub fn fold(id: &str, events: &[Event]) -> Self {
        let mut model = Self {
            id: id.to_owned(),
            ..Self::default()
        };
        for event in events {
            model.sequence = event.sequence;
            match event.event_type.as_str() {
                STARTED => {
                    if let Ok(started) =
                        serde_json::from_value::<FamilyStarted>(event.payload.clone())
                    {
                        model.current_hash = started.secret_hash.clone();
                        model.expires_at = Some(started.expires_at);
                        model.started = Some(started);
                    }
                }
                ROTATED => {
                    if let Ok(rotated) = serde_json::from_value::<Rotated>(event.payload.clone()) {
                        let spent = std::mem::replace(&mut model.current_hash, rotated.secret_hash);
                        model.spent.push(spent);
                        model.expires_at = Some(rotated.expires_at);
                    }
                }
                REVOKED => {
                    if let Ok(revoked) =
                        serde_json::from_value::<FamilyRevoked>(event.payload.clone())
                    {
                        model.revoked.get_or_insert(revoked.reason);
                    }
                }
                _ => {}
            }
        }
        model
    }

    /// Whether `hash` is the hash of one of the family's tokens, current or
    /// spent.
    pub fn holds(&self, hash: &str) -> bool {
        same_hash(&self.current_hash, hash) || self.spent.iter().any(|s| same_hash(s, hash))
    }

    /// `client_id` presents the token whose secret hashes to `hash` at
    /// `now`: what the family grants, when the token is the current one.
    ///
    /// # Errors
    /// [`RefreshError::Reused`] for a spent token (revoke the family);
    /// the other [`RefreshError`]s otherwise.
    pub fn refresh(
        &self,
        client_id: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<&FamilyStarted, RefreshError> {
        let started = self.started.as_ref().ok_or(RefreshError::Unknown)?;
        if !self.holds(hash) {
            return Err(RefreshError::Unknown);
        }
        let spent = !same_hash(&self.current_hash, hash);
        if started.client_id != client_id {
            return Err(RefreshError::OtherClient);
        }
        if self.revoked.is_some() {
            return Err(RefreshError::Revoked);
        }
        if spent {
            return Err(RefreshError::Reused);
        }
        if self.expires_at.is_none_or(|e| now >= e) {
            return Err(RefreshError::Expired);
        }
        Ok(started)
    }
}

/// A new token of family `family_id`: the string to hand out and its
/// secret's hash.
pub fn new_token(family_id: &str) -> (String, String) {
    let secret = new_secret();
    (format!("{PREFIX}{family_id}_{}", secret.plain), secret.hash)
}

/// The family id and the secret's hash of a presented token; `None` for
/// anything not shaped like one.
pub fn parse(token: &str) -> Option<(&str, String)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    let secret_ok = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    (id_ok && secret_ok).then(|| (id, digest(secret)))
}

fn aggregate(instance_id: &str, family_id: &str) -> AggregateRef {
    AggregateRef::new(instance_id, AGGREGATE_TYPE, family_id)
}

fn session_aggregate(instance_id: &str, session_id: &str) -> AggregateRef {
    AggregateRef::new(instance_id, SESSION_AGGREGATE_TYPE, session_id)
}

fn payload<T: Serialize>(value: &T) -> Result<serde_json::Value, OidcError> {
    serde_json::to_value(value).map_err(|e| OidcError::server(e.to_string()))
}

/// Family `family_id` of `instance_id`, folded.
///
/// # Errors
/// The store's.
pub async fn load(
    store: &dyn EventStore,
    instance_id: &str,
    family_id: &str,
) -> Result<FamilyModel, StoreError> {
    let events = store
        .query(&EventQuery::aggregate(&aggregate(instance_id, family_id)))
        .await?;
    Ok(FamilyModel::fold(family_id, &events))
}

/// Starts family `family_id` with `started`, and lists it under its
/// session, in one push.
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn start(
    store: &dyn EventStore,
    instance_id: &str,
    family_id: &str,
    started: &FamilyStarted,
) -> Result<(), OidcError> {
    let actor = started.client_id.clone();
    let push = Push::new(
        aggregate(instance_id, family_id),
        ExpectedSequence::Exact(0),
        vec![NewEvent::new(STARTED, payload(started)?, &actor)],
    )
    .and(
        session_aggregate(instance_id, &started.session_id),
        ExpectedSequence::Any,
        vec![NewEvent::new(
            SESSION_FAMILY_ADDED,
            serde_json::json!({ "familyId": family_id }),
            &actor,
        )],
    );
    store.push(push).await?;
    Ok(())
}

/// Spends `model`'s current token and stores the next one (`rotated`).
///
/// # Errors
/// `invalid_grant` when the family changed concurrently (the token was
/// used twice at once); the store's otherwise.
pub async fn rotate(
    store: &dyn EventStore,
    instance_id: &str,
    model: &FamilyModel,
    rotated: &Rotated,
    actor: &str,
) -> Result<(), OidcError> {
    let push = Push::new(
        aggregate(instance_id, &model.id),
        ExpectedSequence::Exact(model.sequence),
        vec![NewEvent::new(ROTATED, payload(rotated)?, actor)],
    );
    match store.push(push).await {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict { .. }) => Err(OidcError::invalid_grant(
            "the refresh token was used twice at once",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Revokes family `family_id` for `reason` (a revoked family stays
/// revoked; an unknown one is left alone).
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn revoke(
    store: &dyn EventStore,
    instance_id: &str,
    family_id: &str,
    reason: RevokeReason,
    actor: &str,
) -> Result<(), OidcError> {
    let model = load(store, instance_id, family_id).await?;
    let Some(started) = &model.started else {
        return Ok(());
    };
    if model.revoked.is_some() {
        return Ok(());
    }
    let revoked = FamilyRevoked {
        user_id: started.user_id.clone(),
        reason,
    };
    store
        .push(Push::new(
            aggregate(instance_id, family_id),
            ExpectedSequence::Any,
            vec![NewEvent::new(REVOKED, payload(&revoked)?, actor)],
        ))
        .await?;
    Ok(())
}

/// Revokes every family issued under session `session_id`.
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn revoke_session(
    store: &dyn EventStore,
    instance_id: &str,
    session_id: &str,
    actor: &str,
) -> Result<usize, OidcError> {
    let events = store
        .query(&EventQuery::aggregate(&session_aggregate(
            instance_id,
            session_id,
        )))
        .await?;
    let mut revoked = 0;
    for event in events {
        if let Some(family_id) = event.payload.get("familyId").and_then(|f| f.as_str()) {
            revoke(store, instance_id, family_id, RevokeReason::Logout, actor).await?;
            revoked += 1;
        }
    }
    Ok(revoked)
}

/// When a token issued at `now` for an app with `lifetime_secs` expires.
pub fn expiry(now: DateTime<Utc>, lifetime_secs: u64) -> DateTime<Utc> {
    now + TimeDelta::seconds(
        i64::try_from(lifetime_secs)
            .unwrap_or(i64::MAX / 1000)
            .max(1),
    )
}

#[cfg(test)]
#[path = "refresh_tests.rs"]
mod tests;
