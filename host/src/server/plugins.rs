//! # Plugin API
//!
//! `GET /admin/v1/plugins`, `GET /admin/v1/plugins/{name}`,
//! `POST /admin/v1/plugins/reload`, and dry runs of one plugin:
//! `POST /admin/v1/plugins/{name}/validate` and `.../project`.
//! Handlers stay thin: parse, call the registry off the executor, map errors.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use super::dry_run::{EventBody, ValidateRequest};
use super::error::ApiError;
use super::extract::{Body, NoBody, Path};
use crate::plugins::types::{Event, Rejection, Statement};
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
async fn reload(State(state): State<AppState>, _: NoBody) -> Result<Json<ReloadReport>, ApiError> {
    let plugins = state.plugins.clone();
    // Compiling is blocking work (not a plugin call): the blocking pool.
    tokio::task::spawn_blocking(move || plugins.reload())
        .await
        .map(Json)
        .map_err(|err| ApiError::internal(format!("the reload task failed: {err}")))
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
    Body(body): Body<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let plugin = serving(&state, &name)?;
    let (command, aggregate) = body.into_parts();
    let verdict = state
        .plugins
        .call(plugin, move |plugin| plugin.validate(&command, &aggregate))
        .await?;
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
    Body(event): Body<EventBody>,
) -> Result<Json<ProjectResponse>, ApiError> {
    let event = Event::from(event);
    let plugin = serving(&state, &name)?;
    let answer = state
        .plugins
        .call(plugin, move |plugin| plugin.project(&event))
        .await?;
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
