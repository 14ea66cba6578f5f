//! Public keys of machine users and applications, read from the
//! eventstore: one indexed read of the owner's aggregate (the user, or the
//! project a client id names), folded by the command side's write model,
//! so a new or removed key (or a removed owner) counts at once. This is
//! what the token endpoint will verify JWT-profile assertions and
//! `private_key_jwt` client assertions with; listings show metadata only.

use std::fmt;

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::ClientAuthMethod;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;

use super::credentials::live_user;
use super::{Queries, QueryError};
use crate::command::project::{self, model::ProjectModel, model::ProjectState};
use crate::command::user::model::UserState;
use crate::command::write_model::{self, StoreSource, WriteModel as _};
use crate::eventstore::{AggregateRef, EventStore};

/// A key as listed: never key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's id.
    pub key_id: String,
    /// When it stops working (it may have already).
    pub expires_at: DateTime<Utc>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// What verifying a signature with a stored key needs: the public key,
/// its expiry and whether its owner may authenticate now.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    /// The key's id.
    pub key_id: String,
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
    /// When the key stops working: the caller checks it.
    pub expires_at: DateTime<Utc>,
    /// Whether the owner may authenticate: a machine user that is active
    /// (not inactive, not locked), or an application that is active, uses
    /// `private_key_jwt`, in an active project.
    pub owner_active: bool,
    /// The organization the owner belongs to.
    pub org_id: String,
}

impl fmt::Debug for PublicKeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKeyInfo")
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .field("owner_active", &self.owner_active)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

impl PublicKeyInfo {
    /// Whether `signature` is this key's RS256 signature (RSASSA-PKCS1-v1_5
    /// with SHA-256) of `message` (a JWT's `header.payload`). `false` for
    /// a stored key that does not parse. Expiry and the owner's state are
    /// the caller's to check.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(key) = RsaPublicKey::from_public_key_pem(&self.public_key) else {
            tracing::warn!(key_id = %self.key_id, "a stored public key does not parse");
            return false;
        };
        let Ok(signature) = Signature::try_from(signature) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(key)
            .verify(message, &signature)
            .is_ok()
    }

    /// Whether the key has expired at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

impl Queries {
    /// The keys of machine user `user_id` that were not removed, expired
    /// ones included (so they can be listed and removed), oldest first.
    /// `None` when the user is unknown or removed.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn machine_keys(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Option<Vec<KeyInfo>>, QueryError> {
        machine_keys(self.store.as_ref(), instance_id, user_id).await
    }

    /// Key `key_id` of machine user `user_id`, to verify a JWT-profile
    /// assertion with. `None` when the user is unknown or removed, or the
    /// key unknown or removed; an expired key or an inactive or locked user
    /// is returned, for the caller to refuse. One indexed read of the
    /// user's events.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn machine_key(
        &self,
        instance_id: &str,
        user_id: &str,
        key_id: &str,
    ) -> Result<Option<PublicKeyInfo>, QueryError> {
        machine_key(self.store.as_ref(), instance_id, user_id, key_id).await
    }

    /// The keys of application `app_id` of project `project_id` that were
    /// not removed, oldest first. `None` when the project or application
    /// does not exist (any more).
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn app_keys(
        &self,
        instance_id: &str,
        project_id: &str,
        app_id: &str,
    ) -> Result<Option<Vec<KeyInfo>>, QueryError> {
        app_keys(self.store.as_ref(), instance_id, project_id, app_id).await
    }

    /// Key `key_id` of the application with `client_id`
    /// (`<app id>@<project id>`), to verify a `private_key_jwt` client
    /// assertion with. `None` when the id is not shaped like a client id,
    /// the project or application does not exist (any more), or the key is
    /// unknown or removed; an expired key, or an application that is
    /// inactive, in an inactive project or no longer using
    /// `private_key_jwt`, is returned, for the caller to refuse. One
    /// indexed read of the project's events.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn app_key(
        &self,
        instance_id: &str,
        client_id: &str,
        key_id: &str,
    ) -> Result<Option<PublicKeyInfo>, QueryError> {
        app_key(self.store.as_ref(), instance_id, client_id, key_id).await
    }
}

/// See [`Queries::machine_keys`].
pub(super) async fn machine_keys(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
) -> Result<Option<Vec<KeyInfo>>, QueryError> {
    let Some(user) = live_user(store, instance_id, user_id).await? else {
        return Ok(None);
    };
    let keys = user
        .machine_keys
        .into_iter()
        .filter(|(_, key)| !key.removed)
        .map(|(key_id, key)| KeyInfo {
            key_id,
            expires_at: key.expires_at,
            created_at: key.created_at,
        });
    Ok(Some(oldest_first(keys)))
}

/// See [`Queries::machine_key`].
pub(super) async fn machine_key(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
    key_id: &str,
) -> Result<Option<PublicKeyInfo>, QueryError> {
    let Some(user) = live_user(store, instance_id, user_id).await? else {
        return Ok(None);
    };
    let Some(key) = user.active_key(key_id) else {
        return Ok(None);
    };
    Ok(Some(PublicKeyInfo {
        key_id: key_id.to_owned(),
        public_key: key.public_key.clone(),
        expires_at: key.expires_at,
        owner_active: user.state == UserState::Active,
        org_id: user.org_id.clone(),
    }))
}

/// See [`Queries::app_keys`].
pub(super) async fn app_keys(
    store: &dyn EventStore,
    instance_id: &str,
    project_id: &str,
    app_id: &str,
) -> Result<Option<Vec<KeyInfo>>, QueryError> {
    let Some(mut project) = live_project(store, instance_id, project_id).await? else {
        return Ok(None);
    };
    let Some(app) = project.apps.remove(app_id) else {
        return Ok(None);
    };
    let keys = app
        .keys
        .into_iter()
        .filter(|(_, key)| !key.removed)
        .map(|(key_id, key)| KeyInfo {
            key_id,
            expires_at: key.expires_at,
            created_at: key.created_at,
        });
    Ok(Some(oldest_first(keys)))
}

/// See [`Queries::app_key`].
pub(super) async fn app_key(
    store: &dyn EventStore,
    instance_id: &str,
    client_id: &str,
    key_id: &str,
) -> Result<Option<PublicKeyInfo>, QueryError> {
    let Some((app_id, project_id)) = client_id.split_once('@') else {
        return Ok(None);
    };
    let Some(project) = live_project(store, instance_id, project_id).await? else {
        return Ok(None);
    };
    let Some(app) = project.apps.get(app_id) else {
        return Ok(None);
    };
    let Some(key) = app.active_key(key_id) else {
        return Ok(None);
    };
    Ok(Some(PublicKeyInfo {
        key_id: key_id.to_owned(),
        public_key: key.public_key.clone(),
        expires_at: key.expires_at,
        owner_active: app.active
            && project.state == ProjectState::Active
            && app.auth_method() == ClientAuthMethod::PrivateKeyJwt,
        org_id: project.org_id.clone(),
    }))
}

/// The write model of project `project_id`, if it exists (not removed).
async fn live_project(
    store: &dyn EventStore,
    instance_id: &str,
    project_id: &str,
) -> Result<Option<ProjectModel>, QueryError> {
    let aggregate = AggregateRef::new(instance_id, project::AGGREGATE_TYPE, project_id);
    let loaded = write_model::load::<ProjectModel>(&StoreSource(store), &aggregate).await?;
    Ok(loaded.model.exists().then_some(loaded.model))
}

/// `keys` sorted by creation, then id.
fn oldest_first(keys: impl Iterator<Item = KeyInfo>) -> Vec<KeyInfo> {
    let mut keys: Vec<KeyInfo> = keys.collect();
    keys.sort_by(|a, b| (a.created_at, &a.key_id).cmp(&(b.created_at, &b.key_id)));
    keys
}
