//! Who is calling, on which instance: the context of every command.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::tenant::host_name;
use crate::command::CommandContext;
use crate::server::{ApiError, AppState};

/// The header naming the actor until authentication exists.
pub const ACTOR_HEADER: &str = "x-rampart-actor";
/// The actor recorded when the header is absent.
const ANONYMOUS: &str = "anonymous";
/// Longest accepted actor id.
const MAX_ACTOR: usize = 200;

/// The resolved instance and the actor of a request.
pub(super) struct Caller(pub CommandContext);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let cqrs = state.cqrs()?;
        let host = host_name(parts)?;
        // Anything but a read may write: it resolves against the newest
        // instance events in the store, not this node's cache alone.
        let write = !parts.method.is_safe();
        let instance_id = cqrs.instances.resolve(&cqrs.queries, &host, write).await?;
        let actor = actor(&parts.headers, ANONYMOUS)?;
        Ok(Caller(CommandContext { instance_id, actor }))
    }
}

/// The actor the `X-Rampart-Actor` header names, or `default` without one.
///
/// # Errors
/// 400 when the header is empty, too long or not visible ASCII.
pub(super) fn actor(headers: &HeaderMap, default: &str) -> Result<String, ApiError> {
    let Some(value) = headers.get(ACTOR_HEADER) else {
        return Ok(default.to_owned());
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|a| !a.is_empty() && a.len() <= MAX_ACTOR)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{ACTOR_HEADER} must be 1 to {MAX_ACTOR} visible ASCII characters"
            ))
        })
}
