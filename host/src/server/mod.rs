//! # HTTP server
//!
//! One port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge): the debug
//! endpoints today, the JSON/gRPC APIs and login pages as they arrive.
//! Routers are plain functions so tests can drive them without a socket.

mod admin;
mod debug;
mod dry_run;
pub mod edge;
mod error;
mod extract;
mod metered;
mod plugins;
pub mod v1;

pub use error::{ApiError, RETRY_AFTER_SECONDS};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;

use crate::config::AdminConfig;
use crate::eventstore::EventStore;
use crate::plugins::PluginRegistry;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The eventstore.
    pub store: Arc<dyn EventStore>,
    /// The plugin runtime.
    pub plugins: Arc<PluginRegistry>,
    /// Who may reach `/admin/*`.
    pub admin: AdminConfig,
    /// Whether start-up finished (migrations applied, masterkey checked).
    pub started: Arc<AtomicBool>,
    /// The command and query sides (absent in tests of the plugin API alone).
    pub cqrs: Option<v1::Cqrs>,
}

impl AppState {
    /// State for `store` and `plugins`, not yet started.
    pub fn new(
        store: Arc<dyn EventStore>,
        plugins: Arc<PluginRegistry>,
        admin: AdminConfig,
    ) -> Self {
        Self {
            store,
            plugins,
            admin,
            started: Arc::new(AtomicBool::new(false)),
            cqrs: None,
        }
    }

    /// The same state with the command and query sides.
    pub fn with_cqrs(mut self, cqrs: v1::Cqrs) -> Self {
        self.cqrs = Some(cqrs);
        self
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
        .nest("/admin", admin::router(state.clone()))
        .nest("/v1", v1::router(state.clone()))
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
