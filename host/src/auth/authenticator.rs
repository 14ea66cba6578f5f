//! The authentication seam: a bearer credential in, a [`Principal`] out.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::sync::Cache;
use tokio::sync::watch;

use super::principal::Principal;
use super::roles::RoleTable;
use super::token;
use crate::eventstore::{EventQuery, EventStore, Follower, Position};
use crate::query::{Queries, QueryError};

/// Most principals cached.
const CAPACITY: u64 = 100_000;
/// Longest a principal stays cached even if nothing changes (a safety net:
/// events invalidate entries long before).
const TTL: Duration = Duration::from_secs(300);
/// How long the watcher gathers notifications before it reads the events.
const COALESCE: Duration = Duration::from_millis(5);
/// Most events the watcher reads at once.
const BATCH: u32 = 1000;
/// How often the watcher reads without a notification (a lost one only
/// delays an invalidation this long).
const POLL: Duration = Duration::from_secs(5);
/// The wait after the store failed to answer.
const RETRY: Duration = Duration::from_secs(1);
/// Events that change what a cached principal may do.
const AUTH_EVENTS: &[&str] = &[
    "user.deactivated",
    "user.locked",
    "user.removed",
    "user.pat.removed",
    "instance.member.added",
    "instance.member.changed",
    "instance.member.removed",
    "org.member.added",
    "org.member.changed",
    "org.member.removed",
    "org.removed",
    "project.member.added",
    "project.member.changed",
    "project.member.removed",
    "project.removed",
    "oauth_token.revoked",
];
/// The `Authorization` scheme of bearer credentials.
const BEARER: &str = "Bearer ";

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("no credential: send `Authorization: Bearer <token>`")]
    Missing,
    /// A header that is no bearer token of Rampart's shape.
    #[error(
        "the credential is malformed: expected `Authorization: Bearer <personal access token \
         or access token>`"
    )]
    Malformed,
    /// An access token whose audience does not include the API.
    #[error(
        "the access token is not for this API: request it with the scope urn:rampart:iam:api:aud"
    )]
    Audience,
    /// The token store could not answer.
    #[error("the token store cannot answer: {0}")]
    Unavailable(String),
    /// Unknown, revoked, of another instance, or of a removed user.
    #[error("the token is not valid on this instance (unknown or revoked)")]
    Invalid,
    /// Past its expiry.
    #[error("the token expired")]
    Expired,
    /// Its user is deactivated or locked.
    #[error("the token's user is not active")]
    Inactive,
    /// The store could not answer.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// Resolves bearer credentials to principals, with a cache that every
/// node's events keep honest.
#[derive(Clone)]
pub struct Authenticator {
    queries: Queries,
    tokens: Option<crate::oidc::Provider>,
    roles: Arc<RoleTable>,
    cache: Cache<String, Arc<Principal>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("cached", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator reading credentials through `queries`, granting
    /// through `roles`, whose cache follows the events `store` announces
    /// (every node's pushes). The watcher stops with the notifications.
    pub fn watching(queries: Queries, roles: Arc<RoleTable>, store: Arc<dyn EventStore>) -> Self {
        let auth = Self {
            queries,
            tokens: None,
            roles,
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
        };
        let watcher = auth.clone();
        let notifications = store.notifications();
        tokio::spawn(async move { watcher.follow(store, notifications).await });
        auth
    }

    /// The same authenticator, also accepting the access tokens `provider`
    /// issues (JWT or opaque) whose audience includes the API.
    pub fn with_tokens(mut self, provider: crate::oidc::Provider) -> Self {
        self.tokens = Some(provider);
        self
    }

    /// The role table permissions come from.
    pub fn roles(&self) -> &RoleTable {
        &self.roles
    }

    /// The principal `authorization` (the header's value) stands for in
    /// `instance_id`, whose issuer (for access tokens) is `issuer`.
    ///
    /// # Errors
    /// [`AuthError`]: missing, malformed, unknown or revoked, expired, a
    /// user that is not active, an access token not meant for the API, or
    /// a store that cannot answer.
    pub async fn authenticate(
        &self,
        instance_id: &str,
        issuer: &str,
        authorization: Option<&str>,
    ) -> Result<Arc<Principal>, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let bearer = header
            .strip_prefix(BEARER)
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(AuthError::Malformed)?;
        let (key, owner) = match token::parse(bearer) {
            Some(presented) => {
                let key = format!("{instance_id}:{}", presented.hash);
                if let Some(principal) = self.cached(&key)? {
                    return Ok(principal);
                }
                (key, self.pat(instance_id, &presented).await?)
            }
            None => {
                let key = format!("{instance_id}:{}", token::digest(bearer));
                if let Some(principal) = self.cached(&key)? {
                    return Ok(principal);
                }
                (key, self.access_token(instance_id, issuer, bearer).await?)
            }
        };
        if owner.expires_at <= Utc::now() {
            return Err(AuthError::Expired);
        }
        if !owner.active {
            return Err(AuthError::Inactive);
        }
        let memberships = self
            .queries
            .memberships(instance_id, &owner.user_id)
            .await?;
        let principal = Arc::new(Principal::new(
            instance_id.to_owned(),
            owner.user_id,
            owner.org_id,
            owner.username,
            owner.expires_at,
            memberships.instance_roles,
            memberships.org_roles,
            memberships.project_roles,
            &self.roles,
        ));
        self.cache.insert(key, principal.clone());
        Ok(principal)
    }

    /// The cached principal under `key`, unless it expired.
    fn cached(&self, key: &str) -> Result<Option<Arc<Principal>>, AuthError> {
        let Some(principal) = self.cache.get(key) else {
            return Ok(None);
        };
        if principal.expires_at <= Utc::now() {
            self.cache.invalidate(key);
            return Err(AuthError::Expired);
        }
        Ok(Some(principal))
    }

    /// The owner of a personal access token.
    async fn pat(
        &self,
        instance_id: &str,
        presented: &token::PresentedToken,
    ) -> Result<Owner, AuthError> {
        let owner = self
            .queries
            .pat_owner(instance_id, &presented.user_id, &presented.token_id)
            .await?
            .ok_or(AuthError::Invalid)?;
        if !token::same_hash(&owner.token_hash, &presented.hash) {
            return Err(AuthError::Invalid);
        }
        Ok(Owner {
            user_id: owner.user_id,
            org_id: owner.org_id,
            username: owner.username,
            active: owner.active,
            expires_at: owner.expires_at,
        })
    }

    /// The owner of an access token issued by this instance for the API.
    async fn access_token(
        &self,
        instance_id: &str,
        issuer: &str,
        bearer: &str,
    ) -> Result<Owner, AuthError> {
        let provider = self.tokens.as_ref().ok_or(AuthError::Malformed)?;
        if crate::oidc::tokens::Presented::parse(bearer).is_none() {
            return Err(AuthError::Malformed);
        }
        let stored = provider
            .access_token(instance_id, issuer, bearer)
            .await
            .map_err(|e| AuthError::Unavailable(e.description))?
            .ok_or(AuthError::Invalid)?;
        if stored.revoked {
            return Err(AuthError::Invalid);
        }
        if !stored.record.audience.iter().any(|a| a == issuer) {
            return Err(AuthError::Audience);
        }
        let subject = self
            .queries
            .subject(instance_id, &stored.record.user_id)
            .await?
            .ok_or(AuthError::Invalid)?;
        Ok(Owner {
            user_id: subject.user_id,
            org_id: subject.org_id,
            username: subject.username,
            active: subject.active,
            expires_at: stored.record.expires_at,
        })
    }

    /// Drops every cached principal of `user_id` in `instance_id` (after a
    /// change on this node; other nodes follow from the events).
    pub fn forget_user(&self, instance_id: &str, user_id: &str) {
        let (instance, user) = (instance_id.to_owned(), user_id.to_owned());
        // Only fails when closures are not supported, which `watching` enables.
        let _ = self
            .cache
            .invalidate_entries_if(move |_, p| p.instance_id == instance && p.user_id == user);
    }

    /// Drops every cached principal of `instance_id`.
    pub fn forget_instance(&self, instance_id: &str) {
        let instance = instance_id.to_owned();
        let _ = self
            .cache
            .invalidate_entries_if(move |_, p| p.instance_id == instance);
    }

    /// Invalidates cached principals as the events that concern them
    /// settle, on whichever node they were written.
    async fn follow(&self, store: Arc<dyn EventStore>, notifications: watch::Receiver<Position>) {
        // Principals cached from now on were read after everything settled
        // below the horizon; what settles later can invalidate them.
        let start = store
            .settled_horizon()
            .await
            .map_or(Position::ZERO, Position::previous);
        let filter = AUTH_EVENTS
            .iter()
            .fold(EventQuery::new(), |q, t| q.event_type(*t));
        let mut follower = Follower::new(store, filter, start, BATCH, POLL)
            .coalesce(COALESCE)
            .without_quick_retries();
        // The store is closed once its notifications are.
        while notifications.has_changed().is_ok() {
            match follower.next_batch().await {
                Ok(events) => {
                    for event in &events {
                        let instance = &event.aggregate.instance_id;
                        if event.event_type.starts_with("user.") {
                            self.forget_user(instance, &event.aggregate.aggregate_id);
                        } else if event.event_type == crate::oidc::tokens::REVOKED {
                            if let Some(user) = crate::oidc::tokens::revoked_user(&event.payload) {
                                self.forget_user(instance, user);
                            }
                        } else {
                            self.forget_instance(instance);
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!("the principal cache cannot read the eventstore: {error}");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }
}

/// Whom a credential stands for, before their memberships are read.
struct Owner {
    user_id: String,
    org_id: String,
    username: String,
    active: bool,
    expires_at: chrono::DateTime<Utc>,
}
