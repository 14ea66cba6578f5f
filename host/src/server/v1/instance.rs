//! `/v1/instance`: the instance the request's host name resolves to; and,
//! under `/admin/v1`, creating and listing instances and the projections'
//! status.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use rampart_plugin_sdk::catalogue::RenameInstance;

use super::caller::{Caller, actor};
use super::requests::{AddInstanceRequest, DomainRequest, NameRequest};
use super::users::AuditParams;
use super::written::{changed, created};
use crate::bootstrap::SYSTEM_ACTOR;
use crate::eventstore::AggregateRef;
use crate::query::{AuditPage, INSTANCE_DOMAINS, INSTANCES, ListParams, ListResult};
use crate::readmodel::{FailedEvent, Row};
use crate::server::extract::{Body, NoBody, Params, Path};
use crate::server::{ApiError, AppState};
use crate::spooler::ProjectionStatus;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(current).put(rename))
        .route("/events", get(events))
        .route("/domains", get(domains).post(add_domain))
        .route("/domains/{domain}", axum::routing::delete(remove_domain))
        .route("/domains/{domain}/primary", post(primary_domain))
}

pub(super) fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/instances", post(add_instance).get(list_instances))
        .route("/instances/{id}", get(one_instance))
        .route("/projections", get(projections))
        .route("/projections/{name}/failures", get(failures))
}

async fn current(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> Result<Json<Row>, ApiError> {
    let queries = &state.cqrs()?.queries;
    let row = queries
        .get(&INSTANCES, &ctx.instance_id, &ctx.instance_id)
        .await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("instance {} not found", ctx.instance_id)))
}

async fn rename(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Body(body): Body<NameRequest>,
) -> Result<Response, ApiError> {
    let cmd = RenameInstance::from(body);
    let commands = &state.cqrs()?.commands;
    Ok(changed(commands.rename_instance(&ctx, &cmd.name).await?))
}

async fn events(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Params(params): Params<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let id = ctx.instance_id.clone();
    let aggregate = AggregateRef::new(ctx.instance_id, "instance", id);
    let queries = &state.cqrs()?.queries;
    Ok(Json(
        queries
            .audit(&aggregate, params.after_sequence, params.limit)
            .await?,
    ))
}

async fn domains(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Params(params): Params<BTreeMap<String, String>>,
) -> Result<Json<ListResult>, ApiError> {
    let queries = &state.cqrs()?.queries;
    let page = queries
        .list(
            &INSTANCE_DOMAINS,
            Some(&ctx.instance_id),
            &ListParams::new(params),
        )
        .await?;
    Ok(Json(page))
}

async fn add_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Body(body): Body<DomainRequest>,
) -> Result<Response, ApiError> {
    let cqrs = state.cqrs()?;
    let written = cqrs
        .commands
        .add_instance_domain(&ctx, &body.domain)
        .await?;
    cqrs.instances.invalidate();
    Ok(created(written))
}

async fn primary_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(domain): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(changed(
        commands.set_primary_instance_domain(&ctx, &domain).await?,
    ))
}

async fn remove_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(domain): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    let cqrs = state.cqrs()?;
    let written = cqrs.commands.remove_instance_domain(&ctx, &domain).await?;
    cqrs.instances.invalidate();
    Ok(changed(written))
}

async fn add_instance(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Body(body): Body<AddInstanceRequest>,
) -> Result<Response, ApiError> {
    let actor = actor(&headers, SYSTEM_ACTOR)?;
    let commands = &state.cqrs()?.commands;
    Ok(created(
        commands
            .add_instance(&actor, &body.name, &body.domains)
            .await?,
    ))
}

async fn list_instances(
    State(state): State<AppState>,
    Params(params): Params<BTreeMap<String, String>>,
) -> Result<Json<ListResult>, ApiError> {
    let queries = &state.cqrs()?.queries;
    Ok(Json(
        queries
            .list(&INSTANCES, None, &ListParams::new(params))
            .await?,
    ))
}

async fn one_instance(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Row>, ApiError> {
    let row = state.cqrs()?.queries.get(&INSTANCES, &id, &id).await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("instance {id} not found")))
}

async fn projections(
    State(state): State<AppState>,
) -> Result<Json<Vec<ProjectionStatus>>, ApiError> {
    Ok(Json(state.cqrs()?.spoolers.status().await?))
}

async fn failures(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<FailedEvent>>, ApiError> {
    let spoolers = &state.cqrs()?.spoolers;
    Ok(Json(spoolers.readstore().failures(&name, 1000).await?))
}
