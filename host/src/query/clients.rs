//! OAuth clients by client id, read from the eventstore: what the token
//! endpoint authenticates clients with.
//!
//! - Applications: the client id names the project (`<app id>@<project
//!   id>`), so one indexed read of the project's events, folded by the
//!   command side's write model, answers, and a new or rotated secret
//!   counts at once.
//! - Machine users (client-credentials grant): the client id is the
//!   username, unique in the instance. The users read model turns it into
//!   the user id, after catching up with the instance's newest user event
//!   (so a user added just before is found); then the user's events,
//!   folded by its write model, answer, so a new, replaced or removed
//!   secret, or a state change, counts at once, and a read model lagging
//!   behind a removal or a reused username cannot hand out the wrong user.

use std::fmt;

use rampart_plugin_sdk::catalogue::{AccessTokenType, ApiConfig, OidcConfig};

use super::credentials::live_user;
use super::{Queries, QueryError, USERS};
use crate::auth::token::secret_matches;
use crate::command::project::{self, model::ProjectModel, model::ProjectState};
use crate::command::user::model::{UserKind, UserState};
use crate::command::write_model::{self, StoreSource, WriteModel as _};
use crate::eventstore::{AggregateRef, EventStore};

/// An application as a client of the OAuth endpoints. `Debug` leaves the
/// secret's hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// Its client id.
    pub client_id: String,
    /// The application's id.
    pub app_id: String,
    /// Its project.
    pub project_id: String,
    /// The project's organization.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Whether the application and its project are both active.
    pub active: bool,
    /// Whether tokens carry the user's project roles (the project's flag).
    pub role_assertion: bool,
    /// Whether logging in needs an authorization on the project.
    pub authorization_required: bool,
    /// Its OIDC settings, for an OIDC application.
    pub oidc: Option<OidcConfig>,
    /// Its API settings, for an API application.
    pub api: Option<ApiConfig>,
    secret_hash: Option<String>,
}

impl Client {
    /// Whether `secret` is the client's current secret (in time
    /// independent of where a wrong one differs). `false` for a client
    /// without a secret.
    pub fn verify_secret(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|hash| secret_matches(hash, secret))
    }
}

/// A machine user as a client of the token endpoint (client-credentials
/// grant). `Debug` leaves the secret's hash out.
#[derive(Clone, PartialEq, Eq)]
pub struct MachineClient {
    /// Its client id: the machine user's username.
    pub client_id: String,
    /// The machine user's id (the subject of its tokens).
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// Whether the user may authenticate: active, not inactive nor locked
    /// (a removed user is no client at all).
    pub active: bool,
    /// The form of the access tokens to issue it.
    pub access_token_type: AccessTokenType,
    secret_hash: Option<String>,
}

impl MachineClient {
    /// Whether `secret` is the machine user's current client secret (in
    /// time independent of where a wrong one differs). `false` for a user
    /// without a secret.
    pub fn verify_secret(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|hash| secret_matches(hash, secret))
    }

    /// Whether the machine user has a client secret at all.
    pub fn has_secret(&self) -> bool {
        self.secret_hash.is_some()
    }
}

impl fmt::Debug for MachineClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineClient")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("org_id", &self.org_id)
            .field("active", &self.active)
            .field("access_token_type", &self.access_token_type)
            .field(
                "secret_hash",
                &self.secret_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("project_id", &self.project_id)
            .field("name", &self.name)
            .field("active", &self.active)
            .field("oidc", &self.oidc)
            .field("api", &self.api)
            .field(
                "secret_hash",
                &self.secret_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Queries {
    /// The application with `client_id` in `instance_id`; `None` when the
    /// id is not shaped like one, or the project or application does not
    /// exist (any more). An inactive one is returned, for the caller to
    /// refuse.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn client(
        &self,
        instance_id: &str,
        client_id: &str,
    ) -> Result<Option<Client>, QueryError> {
        client(self.store.as_ref(), instance_id, client_id).await
    }

    /// The machine user whose username is `client_id` in `instance_id`
    /// (case-insensitive, as usernames are), as a client of the token
    /// endpoint. `None` when no user has that username, or it is a human.
    /// An inactive or locked user, or one without a secret, is returned,
    /// for the caller to refuse. Reads its own writes: the users read
    /// model first catches up with the instance's newest user event, and
    /// the answer is folded from the user's events.
    ///
    /// # Errors
    /// [`QueryError::Store`], or what reading the users read model fails
    /// with ([`QueryError::Unavailable`] while its projection is not
    /// loaded).
    pub async fn machine_client(
        &self,
        instance_id: &str,
        client_id: &str,
    ) -> Result<Option<MachineClient>, QueryError> {
        let username = client_id.trim().to_lowercase();
        if username.is_empty() {
            return Ok(None);
        }
        let Some(row) = self
            .find(&USERS, Some(instance_id), "username", &username)
            .await?
        else {
            return Ok(None);
        };
        let Some(user_id) = row.get("id").and_then(|id| id.as_str()) else {
            return Ok(None);
        };
        machine_client(self.store.as_ref(), instance_id, user_id, &username).await
    }
}

/// See [`Queries::client`].
pub(super) async fn client(
    store: &dyn EventStore,
    instance_id: &str,
    client_id: &str,
) -> Result<Option<Client>, QueryError> {
    let Some((app_id, project_id)) = client_id.split_once('@') else {
        return Ok(None);
    };
    let aggregate = AggregateRef::new(instance_id, project::AGGREGATE_TYPE, project_id);
    let loaded = write_model::load::<ProjectModel>(&StoreSource(store), &aggregate).await?;
    let project = loaded.model;
    if !project.exists() {
        return Ok(None);
    }
    let Some(app) = project.apps.get(app_id) else {
        return Ok(None);
    };
    Ok(Some(Client {
        client_id: client_id.to_owned(),
        app_id: app_id.to_owned(),
        project_id: project_id.to_owned(),
        org_id: project.org_id.clone(),
        name: app.name.clone(),
        active: app.active && project.state == ProjectState::Active,
        role_assertion: project.role_assertion,
        authorization_required: project.authorization_required,
        oidc: app.oidc.clone(),
        api: app.api.clone(),
        secret_hash: app.secret_hash.clone(),
    }))
}

/// See [`Queries::machine_client`]: user `user_id`, if its events say it
/// exists, is a machine and is called `username` (the read model that
/// named it may lag behind a removal and a reuse of the username).
pub(super) async fn machine_client(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
    username: &str,
) -> Result<Option<MachineClient>, QueryError> {
    let Some(user) = live_user(store, instance_id, user_id).await? else {
        return Ok(None);
    };
    if user.kind != UserKind::Machine || user.username != username {
        return Ok(None);
    }
    Ok(Some(MachineClient {
        client_id: user.username,
        user_id: user_id.to_owned(),
        org_id: user.org_id,
        active: user.state == UserState::Active,
        access_token_type: user.access_token_type.unwrap_or_default(),
        secret_hash: user.secret.map(|secret| secret.hash),
    }))
}
