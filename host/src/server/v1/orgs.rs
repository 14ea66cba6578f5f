//! `/v1/orgs`: organizations of the current instance and their domains.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use rampart_plugin_sdk::catalogue::{RemoveOrgDomain, SetPrimaryOrgDomain, VerifyOrgDomain};

use super::caller::Caller;
use super::requests::{AddOrgRequest, DomainRequest, NameRequest};
use super::written::{changed, created};
use crate::eventstore::AggregateRef;
use crate::query::{AuditPage, ListParams, ListResult, ORG_DOMAINS, ORGS};
use crate::readmodel::Row;
use crate::server::extract::{Body, NoBody, Params, Path};
use crate::server::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", post(add).get(list))
        .route("/by-domain/{domain}", get(by_domain))
        .route("/{id}", get(one).put(rename).delete(remove))
        .route("/{id}/deactivate", post(deactivate))
        .route("/{id}/reactivate", post(reactivate))
        .route("/{id}/events", get(events))
        .route("/{id}/domains", get(domains).post(add_domain))
        .route(
            "/{id}/domains/{domain}",
            axum::routing::delete(remove_domain),
        )
        .route("/{id}/domains/{domain}/verify", post(verify_domain))
        .route("/{id}/domains/{domain}/primary", post(primary_domain))
}

async fn add(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Body(body): Body<AddOrgRequest>,
) -> Result<Response, ApiError> {
    Ok(created(
        state.cqrs()?.commands.add_org(&ctx, body.into()).await?,
    ))
}

async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Params(params): Params<BTreeMap<String, String>>,
) -> Result<Json<ListResult>, ApiError> {
    let queries = &state.cqrs()?.queries;
    let page = queries
        .list(&ORGS, Some(&ctx.instance_id), &ListParams::new(params))
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
        .get(&ORGS, &ctx.instance_id, &id)
        .await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("organization {id} not found")))
}

async fn by_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(domain): Path<String>,
) -> Result<Json<Row>, ApiError> {
    let queries = &state.cqrs()?.queries;
    let row = queries.org_by_domain(&ctx.instance_id, &domain).await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no organization has the domain {domain:?}")))
}

async fn rename(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(body): Body<NameRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(changed(commands.rename_org(&ctx, &id, body.into()).await?))
}

async fn deactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.deactivate_org(&ctx, &id).await?,
    ))
}

async fn reactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(
        state.cqrs()?.commands.reactivate_org(&ctx, &id).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    _: NoBody,
) -> Result<Response, ApiError> {
    Ok(changed(state.cqrs()?.commands.remove_org(&ctx, &id).await?))
}

async fn domains(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Params(mut params): Params<BTreeMap<String, String>>,
) -> Result<Json<ListResult>, ApiError> {
    params.insert("orgId".into(), id);
    let queries = &state.cqrs()?.queries;
    let page = queries
        .list(
            &ORG_DOMAINS,
            Some(&ctx.instance_id),
            &ListParams::new(params),
        )
        .await?;
    Ok(Json(page))
}

async fn add_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(body): Body<DomainRequest>,
) -> Result<Response, ApiError> {
    let commands = &state.cqrs()?.commands;
    Ok(created(
        commands.add_org_domain(&ctx, &id, body.into()).await?,
    ))
}

async fn verify_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, domain)): Path<(String, String)>,
    _: NoBody,
) -> Result<Response, ApiError> {
    let cmd = VerifyOrgDomain { domain };
    Ok(changed(
        state
            .cqrs()?
            .commands
            .verify_org_domain(&ctx, &id, cmd)
            .await?,
    ))
}

async fn primary_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, domain)): Path<(String, String)>,
    _: NoBody,
) -> Result<Response, ApiError> {
    let cmd = SetPrimaryOrgDomain { domain };
    let commands = &state.cqrs()?.commands;
    Ok(changed(
        commands.set_primary_org_domain(&ctx, &id, cmd).await?,
    ))
}

async fn remove_domain(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, domain)): Path<(String, String)>,
    _: NoBody,
) -> Result<Response, ApiError> {
    let cmd = RemoveOrgDomain { domain };
    Ok(changed(
        state
            .cqrs()?
            .commands
            .remove_org_domain(&ctx, &id, cmd)
            .await?,
    ))
}

async fn events(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Params(params): Params<super::users::AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let aggregate = AggregateRef::new(ctx.instance_id, "org", id);
    let queries = &state.cqrs()?.queries;
    Ok(Json(
        queries
            .audit(&aggregate, params.after_sequence, params.limit)
            .await?,
    ))
}
