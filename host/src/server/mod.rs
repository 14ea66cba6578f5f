//! # HTTP server
//!
//! One port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge): the debug
//! endpoints, the public API ([`crate::api`]: gRPC, gRPC-Web and Connect
//! JSON) and its OpenAPI document, and the login pages as they arrive.
//! Routers are plain functions so tests can drive them without a socket.

mod debug;
pub mod edge;
mod error;
mod metered;

pub use error::{ApiError, RETRY_AFTER_SECONDS};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;

use crate::auth::Authenticator;
use crate::cache::Caches;
use crate::command::Commands;
use crate::eventstore::EventStore;
use crate::plugins::PluginRegistry;
use crate::query::Queries;
use crate::spooler::Spoolers;

/// The command and query sides, as the API uses them.
#[derive(Clone)]
pub struct Cqrs {
    /// The command handlers.
    pub commands: Arc<Commands>,
    /// The query handlers.
    pub queries: Queries,
    /// The spoolers (status API).
    pub spoolers: Arc<Spoolers>,
    /// The object caches (instances, organizations, milestones).
    pub caches: Arc<Caches>,
    /// Bearer credential → principal.
    pub auth: Authenticator,
    /// The OpenID Connect provider and OAuth endpoints.
    pub oidc: Arc<crate::oidc::Provider>,
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The eventstore.
    pub store: Arc<dyn EventStore>,
    /// The plugin runtime.
    pub plugins: Arc<PluginRegistry>,
    /// Whether start-up finished (migrations applied, masterkey checked).
    pub started: Arc<AtomicBool>,
    /// The command and query sides (absent in tests of the plugin API alone).
    pub cqrs: Option<Cqrs>,
}

impl AppState {
    /// State for `store` and `plugins`, not yet started.
    pub fn new(store: Arc<dyn EventStore>, plugins: Arc<PluginRegistry>) -> Self {
        Self {
            store,
            plugins,
            started: Arc::new(AtomicBool::new(false)),
            cqrs: None,
        }
    }

    /// The same state with the command and query sides.
    pub fn with_cqrs(mut self, cqrs: Cqrs) -> Self {
        self.cqrs = Some(cqrs);
        self
    }

    /// The command and query sides, or 503 while they are not running.
    pub(crate) fn cqrs(&self) -> Result<&Cqrs, ApiError> {
        self.cqrs
            .as_ref()
            .ok_or_else(|| ApiError::unavailable("the command and query sides are not running"))
    }

    /// Marks start-up as finished.
    pub fn mark_started(&self) {
        self.started.store(true, Ordering::Release);
    }
}

/// The node's HTTP routes. Every answer carries a request id, and every
/// error one is `{code, message}` JSON ([`edge`]).
pub fn router(state: AppState) -> Router {
    let grpc = crate::api::grpc_service(state.clone());
    Router::new()
        .nest("/debug", debug::router())
        .merge(crate::oidc::router())
        .merge(crate::login_ui::router())
        .route(
            crate::api::OPENAPI_PATH,
            axum::routing::get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    crate::api::OPENAPI.as_str(),
                )
            }),
        )
        .fallback(move |request: axum::extract::Request| {
            crate::api::dispatch(grpc.clone(), request)
        })
        .method_not_allowed_fallback(edge::method_not_allowed)
        .layer(axum::middleware::from_fn(metered::record))
        .layer(axum::middleware::from_fn(edge::edge))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting and lets in-flight requests finish.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
