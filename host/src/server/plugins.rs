//! # Plugin API
//!
//! `GET /admin/v1/plugins`, `GET /admin/v1/plugins/{name}`,
//! `POST /admin/v1/plugins/reload`, and dry runs of one plugin:
//! `POST /admin/v1/plugins/{name}/validate` and `.../project`.
//! Handlers stay thin: parse, call the registry off the executor, map errors.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use crate::plugins::types::{AggregateState, Command, Event, Rejection, Statement};
use crate::plugins::{LoadedPlugin, PluginStatus, ReloadReport, StatusReport};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list))
        .route("/reload", post(reload))
        .route("/{name}", get(one))
        .route("/{name}/validate", post(validate))
        .route("/{name}/project", post(project))
}

async fn list(State(state): State<AppState>) -> Json<StatusReport> {
    Json(state.plugins.status())
}

async fn one(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PluginStatus>, ApiError> {
    state
        .plugins
        .status()
        .plugins
        .into_iter()
        .find(|p| p.name == name)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no plugin named `{name}` is serving")))
}

/// Rescans the plugin directory now (the watcher does this on its own).
async fn reload(State(state): State<AppState>) -> Result<Json<ReloadReport>, ApiError> {
    let plugins = state.plugins.clone();
    blocking(move || plugins.reload()).await.map(Json)
}

/// Body of a validator dry run.
#[derive(Debug, Deserialize)]
struct ValidateRequest {
    command: Command,
    /// Defaults to a new aggregate.
    state: Option<AggregateState>,
}

/// A validator's verdict.
#[derive(Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
enum ValidateResponse {
    Allowed,
    Rejected(Rejection),
}

/// Runs one validator on a command, without storing anything.
async fn validate(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<ValidateRequest>, JsonRejection>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let Json(body) = body?;
    let plugin = serving(&state, &name)?;
    let aggregate = body.state.unwrap_or(AggregateState {
        sequence: 0,
        state: "null".to_owned(),
    });
    let verdict = blocking(move || plugin.validate(&body.command, &aggregate)).await??;
    Ok(Json(match verdict {
        Ok(()) => ValidateResponse::Allowed,
        Err(rejection) => ValidateResponse::Rejected(rejection),
    }))
}

/// A projection's answer to one event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum ProjectResponse {
    Statements(Vec<Statement>),
    Error(String),
}

/// Runs one projection on an event, without executing its statements.
async fn project(
    State(state): State<AppState>,
    Path(name): Path<String>,
    event: Result<Json<Event>, JsonRejection>,
) -> Result<Json<ProjectResponse>, ApiError> {
    let Json(event) = event?;
    let plugin = serving(&state, &name)?;
    let answer = blocking(move || plugin.project(&event)).await??;
    Ok(Json(match answer {
        Ok(statements) => ProjectResponse::Statements(statements),
        Err(message) => ProjectResponse::Error(message),
    }))
}

fn serving(state: &AppState, name: &str) -> Result<std::sync::Arc<LoadedPlugin>, ApiError> {
    state
        .plugins
        .get(name)
        .ok_or_else(|| ApiError::not_found(format!("no plugin named `{name}` is serving")))
}

/// Runs a plugin call on the blocking pool: calls are short, but a hostile
/// plugin may use its whole deadline.
async fn blocking<R: Send + 'static>(
    call: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(call).await.map_err(|err| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            err.to_string(),
        )
    })
}
