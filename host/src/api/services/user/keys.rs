//! The `UserService` methods of machine users' keys and client secrets:
//! commands through the user's write model, the listing folded from it too
//! (as for personal access tokens: a key is listed the moment it is added),
//! each after the caller is authorized in the user's organization. The
//! private key is in the answer to `AddMachineKey`, the client secret in
//! the answer to `GenerateMachineSecret`, and nowhere else.

use tonic::{Request, Response, Status};

use super::super::convert::{details, from_timestamp, page, timestamp};
use super::Users;
use crate::api::gate::caller;
use crate::api::proto::rampart::user::v1::*;
use crate::api::status::{self, not_found};
use crate::api::validate::Violation;

/// The expiry a request names, if it names one.
///
/// # Errors
/// `INVALID_ARGUMENT` naming `expiration_date` when it is not a valid time.
pub(crate) fn expiry(
    at: Option<&prost_types::Timestamp>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Status> {
    at.map(|at| {
        from_timestamp(at).ok_or_else(|| {
            status::invalid_field(&Violation {
                field: "expiration_date".into(),
                description: "is not a valid time".into(),
            })
        })
    })
    .transpose()
}

/// `AddMachineKey`.
pub(super) async fn add_key(
    users: &Users,
    request: Request<AddMachineKeyRequest>,
) -> Result<Response<AddMachineKeyResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let expires_at = expiry(req.expiration_date.as_ref())?;
    let commands = &users.state.cqrs()?.commands;
    let added = commands
        .add_machine_key(&caller.ctx(), &req.user_id, expires_at)
        .await?;
    Ok(Response::new(AddMachineKeyResponse {
        key_details: added.key_file.as_bytes().to_vec(),
        expiration_date: Some(timestamp(added.expires_at)),
        details: details(&added.written),
        key_id: added.key_id.clone(),
    }))
}

/// `ListMachineKeys`.
pub(super) async fn list_keys(
    users: &Users,
    request: Request<ListMachineKeysRequest>,
) -> Result<Response<ListMachineKeysResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let queries = &users.state.cqrs()?.queries;
    let keys = queries
        .machine_keys(&caller.instance_id, &req.user_id)
        .await?
        .ok_or_else(|| not_found("user", &req.user_id))?
        .into_iter()
        .map(|k| MachineKey {
            key_id: k.key_id,
            r#type: KeyType::Json.into(),
            expiration_date: Some(timestamp(k.expires_at)),
            created_at: Some(timestamp(k.created_at)),
        })
        .collect();
    let (result, details) = page(keys, req.query.as_ref());
    Ok(Response::new(ListMachineKeysResponse { details, result }))
}

/// `RemoveMachineKey`.
pub(super) async fn remove_key(
    users: &Users,
    request: Request<RemoveMachineKeyRequest>,
) -> Result<Response<RemoveMachineKeyResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .remove_machine_key(&caller.ctx(), &req.user_id, &req.key_id)
        .await?;
    Ok(Response::new(RemoveMachineKeyResponse {
        details: details(&written),
    }))
}

/// `GenerateMachineSecret`.
pub(super) async fn generate_secret(
    users: &Users,
    request: Request<GenerateMachineSecretRequest>,
) -> Result<Response<GenerateMachineSecretResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let generated = commands
        .generate_machine_secret(&caller.ctx(), &req.user_id)
        .await?;
    Ok(Response::new(GenerateMachineSecretResponse {
        details: details(&generated.written),
        client_id: generated.client_id,
        client_secret: generated.client_secret,
    }))
}

/// `RemoveMachineSecret`.
pub(super) async fn remove_secret(
    users: &Users,
    request: Request<RemoveMachineSecretRequest>,
) -> Result<Response<RemoveMachineSecretResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .remove_machine_secret(&caller.ctx(), &req.user_id)
        .await?;
    Ok(Response::new(RemoveMachineSecretResponse {
        details: details(&written),
    }))
}
