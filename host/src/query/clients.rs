//! OAuth clients (applications) by client id, read from the eventstore:
//! the client id names the project (`<app id>@<project id>`), so one
//! indexed read of the project's events, folded by the command side's
//! write model, answers, and a new or rotated secret counts at once. This
//! is what the token endpoint authenticates clients with.

use std::fmt;

use rampart_plugin_sdk::catalogue::{ApiConfig, OidcConfig};

use super::{Queries, QueryError};
use crate::auth::token::{digest, same_hash};
use crate::command::project::{self, model::ProjectModel, model::ProjectState};
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
            .is_some_and(|hash| same_hash(hash, &digest(secret)))
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
