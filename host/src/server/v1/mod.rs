//! # The JSON API, version 1 (walking skeleton)
//!
//! Commands and queries for the current instance's organizations, users and
//! the instance itself. The instance is resolved from the request's host
//! name ([`tenant`]). Handlers stay thin (extract → command or query → map)
//! so they move unchanged behind the full gRPC + JSON API.
//!
//! There is no authentication yet: like `/admin/*`, these routes answer
//! loopback clients only unless `Admin.AllowRemote` is set, and the actor
//! recorded on every event comes from the `X-Rampart-Actor` header.

mod caller;
mod instance;
mod orgs;
mod requests;
pub mod tenant;
mod users;
mod written;

use std::sync::Arc;

use axum::Router;

pub use caller::ACTOR_HEADER;
pub use tenant::InstanceResolver;

use super::AppState;
use super::error::ApiError;
use crate::command::Commands;
use crate::query::Queries;
use crate::spooler::Spoolers;

/// The command and query sides, as the API handlers use them.
#[derive(Clone)]
pub struct Cqrs {
    /// The command handlers.
    pub commands: Arc<Commands>,
    /// The query handlers.
    pub queries: Queries,
    /// The spoolers (status API).
    pub spoolers: Arc<Spoolers>,
    /// Host name → instance.
    pub instances: InstanceResolver,
    /// Bearer credential → principal.
    pub auth: crate::auth::Authenticator,
}

impl AppState {
    /// The command and query sides, or 503 while they are not running.
    pub(crate) fn cqrs(&self) -> Result<&Cqrs, ApiError> {
        self.cqrs
            .as_ref()
            .ok_or_else(|| ApiError::unavailable("the command and query sides are not running"))
    }
}

pub(super) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .nest("/instance", instance::router())
        .nest("/orgs", orgs::router())
        .nest("/users", users::router())
        .layer(axum::middleware::from_fn_with_state(
            state,
            super::admin::loopback_only,
        ))
}

/// Routes of the admin API for instances and projections.
pub(super) fn admin_router() -> Router<AppState> {
    instance::admin_router()
}
