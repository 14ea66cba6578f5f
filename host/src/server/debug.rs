//! `/debug/healthz`, `/debug/ready`, `/debug/metrics`: what load balancers,
//! orchestrators and Prometheus ask a node.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use crate::eventstore::PUSH_STALLED_AFTER;

/// How long `/debug/ready` waits for the store before calling it unreachable.
const STORE_PING_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Alive: the process serves HTTP.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: start-up finished (migrations, masterkey, plugins loaded) and the
/// store answers.
async fn ready(State(state): State<AppState>) -> Response {
    if !state.started.load(Ordering::Acquire) {
        return not_ready("starting: migrations or start-up checks are still running".into());
    }
    match tokio::time::timeout(STORE_PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {
            let plugins = state.plugins.catalog().plugins.len();
            let mut body =
                json!({ "status": "ready", "store": state.store.backend(), "plugins": plugins });
            report_open_push(&state, &mut body).await;
            Json(body).into_response()
        }
        Ok(Err(e)) => {
            let reference = super::edge::request_id();
            tracing::warn!(request_id = %reference, error = %e, "not ready: store unreachable");
            not_ready(format!(
                "the event store does not answer (reference {reference})"
            ))
        }
        Err(_) => not_ready(format!(
            "the event store did not answer within {STORE_PING_TIMEOUT:?}"
        )),
    }
}

/// Adds the age of the oldest open push (PostgreSQL) to a ready answer, and
/// marks the node `degraded` once a push has been open for
/// [`PUSH_STALLED_AFTER`]: until it ends no projection passes it, so reads
/// of later writes time out. Still 200: every node of the store sees the
/// same stall, and taking them all out of rotation would help nobody
/// (`docs/eventstore.md`).
async fn report_open_push(state: &AppState, body: &mut serde_json::Value) {
    let open = tokio::time::timeout(STORE_PING_TIMEOUT, state.store.oldest_open_push()).await;
    if let Ok(Ok(Some(age))) = open {
        body["oldestOpenPushSeconds"] = json!(age.as_secs_f64());
        if age >= PUSH_STALLED_AFTER {
            body["status"] = json!("degraded");
            body["reason"] = json!(format!(
                "degraded: oldest open push {} s; projections wait for it to end",
                age.as_secs()
            ));
        }
    }
}

/// 503 in the API's error shape, plus the probe's own `status` and `reason`.
fn not_ready(reason: String) -> Response {
    let body = json!({
        "code": "UNAVAILABLE", "message": reason, "status": "not ready", "reason": reason
    });
    let retry = super::RETRY_AFTER_SECONDS;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, retry.to_string())],
        Json(body),
    )
        .into_response()
}

/// Prometheus text exposition of the process's metrics.
async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::metrics().render(),
    )
        .into_response()
}
