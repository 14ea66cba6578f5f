//! `/v1/users`: human users of the current instance.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use super::caller::Caller;
use super::requests::{AddUserRequest, EmailRequest, PasswordRequest, ProfileRequest};
use super::written::{changed, created};
use crate::eventstore::AggregateRef;
use crate::query::{AuditPage, ListParams, ListResult, USERS};
use crate::readmodel::Row;
use crate::server::extract::{Body, NoBody, Params, Path};
use crate::server::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", post(add).get(list))
        .route("/by-username/{username}", get(by_username))
        .route("/{id}", get(one).delete(remove))
        .route("/{id}/profile", put(profile))
        .route("/{id}/email", put(email))
        .route("/{id}/password", put(password))
        .route("/{id}/deactivate", post(deactivate))
        .route("/{id}/reactivate", post(reactivate))
        .route("/{id}/lock", post(lock))
        .route("/{id}/unlock", post(unlock))
        .route("/{id}/events", get(events))
}

/// Paging of an audit trail: `afterSequence` (default 0) and `limit`
/// (1–1000, default 100).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AuditParams {
    #[serde(default)]
    pub(super) after_sequence: u64,
    #[serde(default = "default_limit")]
    pub(super) limit: u32,
}

fn default_limit() -> u32 {
    100
}

async fn add(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Body(body): Body<AddUserRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    let (org_id, user) = body.into_command();
    Ok(created(commands.add_human_user(&ctx, &org_id, user).await?))
}

async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Params(params): Params<BTreeMap<String, String>>,
) -> Result<Json<ListResult>, ApiError> {
    let queries = &state.cqrs()?.queries;
    let page = queries
        .list(&USERS, Some(&ctx.instance_id), &ListParams::new(params))
        .await?;
    Ok(Json(page))
}

async fn one(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> Result<Json<Row>, ApiError> {
    let row = state
        .cqrs()?
        .queries
        .get(&USERS, &ctx.instance_id, &id)
        .await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("user {id} not found")))
}

async fn by_username(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(username): Path<String>,
) -> Result<Json<Row>, ApiError> {
    let username = username.trim().to_lowercase();
    let queries = &state.cqrs()?.queries;
    let row = queries
        .find(&USERS, Some(&ctx.instance_id), "username", &username)
        .await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no user has the username {username:?}")))
}

async fn profile(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(body): Body<ProfileRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(changed(
        commands
            .change_human_profile(&ctx, &id, body.into())
            .await?,
    ))
}

async fn email(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(body): Body<EmailRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(changed(
        commands.change_human_email(&ctx, &id, body.into()).await?,
    ))
}

async fn password(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(body): Body<PasswordRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(changed(
        commands.set_human_password(&ctx, &id, body.into()).await?,
    ))
}

async fn deactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.deactivate_user(&ctx, &id).await?,
    ))
}

async fn reactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.reactivate_user(&ctx, &id).await?,
    ))
}

async fn lock(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(state.cqrs()?.commands.lock_user(&ctx, &id).await?))
}

async fn unlock(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.unlock_user(&ctx, &id).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.remove_user(&ctx, &id).await?,
    ))
}

async fn events(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Params(params): Params<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let aggregate = AggregateRef::new(ctx.instance_id, "user", id);
    let queries = &state.cqrs()?.queries;
    Ok(Json(
        queries
            .audit(&aggregate, params.after_sequence, params.limit)
            .await?,
    ))
}
