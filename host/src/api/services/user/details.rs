//! The `UserService` methods of a human's phone number and of user
//! metadata: commands through the user's write model, reads from the
//! `users` projection's `user_metadata` table, each after the caller is
//! authorized in the user's organization (as for every method on a user).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rampart_plugin_sdk::catalogue::{ChangeHumanPhone, SetUserMetadata};
use tonic::{Request, Response, Status};

use super::super::convert::{details, list_details, list_params, text, time};
use super::Users;
use crate::api::gate::caller;
use crate::api::proto::rampart::user::v1::*;
use crate::api::status::not_found;
use crate::query::USER_METADATA;
use crate::readmodel::Row;
use crate::server::ApiError;

/// A `user_metadata` row as the API shows it; the value is decoded from
/// the base64 text the projection keeps.
///
/// # Errors
/// `INTERNAL` when the stored value is not base64 (a broken replacement
/// projection): the client gets no bytes rather than wrong ones.
fn metadata(row: &Row) -> Result<Metadata, Status> {
    let key = text(row, "key");
    let value = STANDARD.decode(text(row, "value")).map_err(|e| {
        ApiError::internal(format!(
            "user_metadata row {key:?} holds a value that is not base64: {e}"
        ))
    })?;
    Ok(Metadata {
        key,
        value,
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
    })
}

/// `SetPhone`.
pub(super) async fn set_phone(
    users: &Users,
    request: Request<SetPhoneRequest>,
) -> Result<Response<SetPhoneResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let change = ChangeHumanPhone {
        phone: req.phone,
        verified: req.verified,
    };
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .change_human_phone(&caller.ctx(), &req.user_id, change)
        .await?;
    Ok(Response::new(SetPhoneResponse {
        details: details(&written),
    }))
}

/// `RemovePhone`.
pub(super) async fn remove_phone(
    users: &Users,
    request: Request<RemovePhoneRequest>,
) -> Result<Response<RemovePhoneResponse>, Status> {
    let caller = caller(&request)?;
    let id = request.into_inner().user_id;
    users.authorize(&caller, &id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands.remove_human_phone(&caller.ctx(), &id).await?;
    Ok(Response::new(RemovePhoneResponse {
        details: details(&written),
    }))
}

/// `SetUserMetadata`.
pub(super) async fn set_metadata(
    users: &Users,
    request: Request<SetUserMetadataRequest>,
) -> Result<Response<SetUserMetadataResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let set = SetUserMetadata {
        key: req.key,
        value: req.value,
    };
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .set_user_metadata(&caller.ctx(), &req.user_id, set)
        .await?;
    Ok(Response::new(SetUserMetadataResponse {
        details: details(&written),
    }))
}

/// `RemoveUserMetadata`.
pub(super) async fn remove_metadata(
    users: &Users,
    request: Request<RemoveUserMetadataRequest>,
) -> Result<Response<RemoveUserMetadataResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .remove_user_metadata(&caller.ctx(), &req.user_id, &req.key)
        .await?;
    Ok(Response::new(RemoveUserMetadataResponse {
        details: details(&written),
    }))
}

/// `GetUserMetadata`: the user first (NOT_FOUND, or PERMISSION_DENIED
/// outside the caller's organizations), then its entry.
pub(super) async fn get_metadata(
    users: &Users,
    request: Request<GetUserMetadataRequest>,
) -> Result<Response<GetUserMetadataResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.load(&caller, &req.user_id).await?;
    let key = req.key.trim();
    let params = list_params(None, &[("userId", &req.user_id), ("key", key)]);
    let queries = &users.state.cqrs()?.queries;
    let page = queries
        .list(&USER_METADATA, Some(&caller.instance_id), &params)
        .await?;
    let row = page
        .result
        .first()
        .ok_or_else(|| not_found("metadata", key))?;
    Ok(Response::new(GetUserMetadataResponse {
        metadata: Some(metadata(row)?),
    }))
}

/// `ListUserMetadata`: the user first, then a page of its entries.
pub(super) async fn list_metadata(
    users: &Users,
    request: Request<ListUserMetadataRequest>,
) -> Result<Response<ListUserMetadataResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.load(&caller, &req.user_id).await?;
    let params = list_params(
        req.query.as_ref(),
        &[("userId", &req.user_id), ("keyPrefix", &req.key_prefix)],
    );
    let queries = &users.state.cqrs()?.queries;
    let page = queries
        .list(&USER_METADATA, Some(&caller.instance_id), &params)
        .await?;
    Ok(Response::new(ListUserMetadataResponse {
        details: list_details(&page),
        result: page.result.iter().map(metadata).collect::<Result<_, _>>()?,
    }))
}
