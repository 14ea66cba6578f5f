//! The methods of the public API, one file per service. Each method is
//! thin: the [`Caller`](super::Caller) the gate admitted, the request
//! mapped to a command or query, the result mapped to the response.

pub mod app_settings;
pub mod auth;
pub mod authorization;
pub mod convert;
pub mod event;
pub mod instance;
pub mod member;
pub mod oidc;
pub mod org;
pub mod plugin;
pub mod project;
pub mod projection;
pub mod session;
pub mod settings;
pub mod user;

use tonic::Status;
use tonic::service::Routes;

use super::Caller;
use super::status::not_found;
use crate::query::{AUTHORIZATIONS, PROJECTS, Resource};
use crate::readmodel::Row;
use crate::server::AppState;

/// Drops this node's cached principals of `user_id` after a change that may
/// take access away (other nodes follow from the change's event).
pub(crate) fn forget_principals(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
) -> Result<(), Status> {
    state.cqrs()?.auth.forget_user(&caller.instance_id, user_id);
    Ok(())
}

/// The project a row of `resource` belongs to, for callers holding roles
/// on projects: a project is its own; an authorization belongs to its
/// project when the project's organization gave it (one given through a
/// project grant belongs to the granted organization, which project members
/// do not act for); nothing else belongs to a project here.
fn owning_project(resource: &Resource, id: &str, row: &Row) -> Option<String> {
    match resource.aggregate_type {
        t if t == PROJECTS.aggregate_type => Some(id.to_owned()),
        t if t == AUTHORIZATIONS.aggregate_type
            && convert::text(row, "projectGrantId").is_empty() =>
        {
            Some(convert::text(row, "projectId")).filter(|p| !p.is_empty())
        }
        _ => None,
    }
}

/// Row `id` of `resource` as `caller` may see it: NOT_FOUND (naming
/// `kind`) when it does not exist, PERMISSION_DENIED when the caller lacks
/// the method's permission in the organization owning it (its `orgId`) and,
/// for a project or one of its authorizations, on that project
/// ([`Caller::require_project`]).
pub(crate) async fn owned_row(
    state: &AppState,
    caller: &Caller,
    resource: &Resource,
    kind: &str,
    id: &str,
) -> Result<Row, Status> {
    let queries = &state.cqrs()?.queries;
    let row = queries
        .get(resource, &caller.instance_id, id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    let org_id = convert::text(&row, "orgId");
    match owning_project(resource, id, &row) {
        Some(project_id) => caller.require_project(&project_id, &org_id)?,
        None => caller.require_org(&org_id)?,
    }
    Ok(row)
}

/// Checks `caller` may act on row `id` of `resource`, for a command (whose
/// write model decides whether it exists): instance-wide holders of the
/// permission at once, others in the organization owning it or, as
/// [`owned_row`] says, on its project.
pub(crate) async fn authorize_owned(
    state: &AppState,
    caller: &Caller,
    resource: &Resource,
    kind: &str,
    id: &str,
) -> Result<(), Status> {
    if caller.principal.may_in_instance(&caller.permission) {
        return Ok(());
    }
    owned_row(state, caller, resource, kind, id).await.map(drop)
}

/// `routes` with every `rampart.*` service added.
pub fn add_all(routes: Routes, state: &AppState) -> Routes {
    routes
        .add_service(auth::server(state))
        .add_service(authorization::server(state))
        .add_service(event::server(state))
        .add_service(instance::server(state))
        .add_service(member::server(state))
        .add_service(oidc::server(state))
        .add_service(org::server(state))
        .add_service(plugin::server(state))
        .add_service(project::server(state))
        .add_service(projection::server(state))
        .add_service(session::server(state))
        .add_service(settings::server(state))
        .add_service(user::server(state))
}
