//! The `ProjectService` methods of application keys: commands through the
//! project's write model, the listing folded from it too (a key is listed
//! the moment it is added, and goes with its application), each after the
//! caller is authorized in the project's organization. The private key is
//! in the answer to `AddAppKey` and nowhere else.

use tonic::{Request, Response, Status};

use super::super::convert::{details, page, timestamp};
use super::super::user::keys::expiry;
use super::Projects;
use crate::api::gate::caller;
use crate::api::proto::rampart::project::v1::*;
use crate::api::status::not_found;

/// `AddAppKey`.
pub(super) async fn add_key(
    projects: &Projects,
    request: Request<AddAppKeyRequest>,
) -> Result<Response<AddAppKeyResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    projects.authorize(&caller, &req.project_id).await?;
    let expires_at = expiry(req.expiration_date.as_ref())?;
    let commands = &projects.state.cqrs()?.commands;
    let added = commands
        .add_app_key(&caller.ctx(), &req.project_id, &req.app_id, expires_at)
        .await?;
    Ok(Response::new(AddAppKeyResponse {
        key_details: added.key_file.as_bytes().to_vec(),
        expiration_date: Some(timestamp(added.expires_at)),
        details: details(&added.written),
        key_id: added.key_id.clone(),
    }))
}

/// `ListAppKeys`.
pub(super) async fn list_keys(
    projects: &Projects,
    request: Request<ListAppKeysRequest>,
) -> Result<Response<ListAppKeysResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    projects.authorize(&caller, &req.project_id).await?;
    let queries = &projects.state.cqrs()?.queries;
    let keys = queries
        .app_keys(&caller.instance_id, &req.project_id, &req.app_id)
        .await?
        .ok_or_else(|| not_found("application", &req.app_id))?
        .into_iter()
        .map(|k| AppKey {
            key_id: k.key_id,
            r#type: KeyType::Json.into(),
            expiration_date: Some(timestamp(k.expires_at)),
            created_at: Some(timestamp(k.created_at)),
        })
        .collect();
    let (result, details) = page(keys, req.query.as_ref());
    Ok(Response::new(ListAppKeysResponse { details, result }))
}

/// `RemoveAppKey`.
pub(super) async fn remove_key(
    projects: &Projects,
    request: Request<RemoveAppKeyRequest>,
) -> Result<Response<RemoveAppKeyResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    projects.authorize(&caller, &req.project_id).await?;
    let commands = &projects.state.cqrs()?.commands;
    let written = commands
        .remove_app_key(&caller.ctx(), &req.project_id, &req.app_id, &req.key_id)
        .await?;
    Ok(Response::new(RemoveAppKeyResponse {
        details: details(&written),
    }))
}
