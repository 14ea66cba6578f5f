//! # Operator APIs
//!
//! `/admin/v1/*`: plugin status and reload, instances, projection status. There is no
//! authorization yet, so unless `Admin.AllowRemote` is set these routes answer
//! loopback clients only.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;

pub(super) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .nest("/v1/plugins", super::plugins::router())
        .nest("/v1", super::v1::admin_router())
        .layer(axum::middleware::from_fn_with_state(state, loopback_only))
}

/// Refuses non-loopback peers unless `Admin.AllowRemote` is set.
pub(super) async fn loopback_only(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if state.admin.allow_remote || peer.ip().to_canonical().is_loopback() {
        return next.run(req).await;
    }
    ApiError::new(
        StatusCode::FORBIDDEN,
        "ADMIN_LOOPBACK_ONLY",
        format!(
            "the admin API answers loopback clients only (you are {}); set Admin.AllowRemote: true \
             to serve it to others, behind a proxy that restricts it",
            peer.ip()
        ),
    )
    .into_response()
}
