//! Errors of the public API: every library error becomes a gRPC status here,
//! once, by way of the HTTP edge's [`ApiError`] mapping (so the JSON and
//! gRPC forms always agree). The status carries a `google.rpc.ErrorInfo`
//! whose `reason` is Rampart's machine-readable code (`NOT_FOUND`,
//! `PLUGIN_OVERLOADED`, or a validator's own code such as
//! `PASSWORD_TOO_WEAK`), and a `google.rpc.RetryInfo` when a retry may help.

use std::collections::HashMap;

use axum::http::StatusCode;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::validate::Violation;
use crate::auth::AuthError;
use crate::command::CommandError;
use crate::plugins::PluginError;
use crate::query::QueryError;
use crate::server::{ApiError, RETRY_AFTER_SECONDS};

/// The `domain` of every `ErrorInfo` Rampart sends.
pub const ERROR_DOMAIN: &str = "rampart";

/// The status for `error`.
pub fn from_api(error: ApiError) -> Status {
    let (http, reason, message) = error.into_reported();
    let code = match (http, reason.as_ref()) {
        (_, "FAILED_PRECONDITION") => Code::FailedPrecondition,
        (_, "ABORTED") => Code::Aborted,
        (_, "PLUGIN_OVERLOADED") => Code::ResourceExhausted,
        (StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE, _) => Code::InvalidArgument,
        (StatusCode::UNAUTHORIZED, _) => Code::Unauthenticated,
        (StatusCode::FORBIDDEN, _) => Code::PermissionDenied,
        (StatusCode::NOT_FOUND, _) => Code::NotFound,
        (StatusCode::CONFLICT, _) => Code::AlreadyExists,
        (StatusCode::SERVICE_UNAVAILABLE, _) => Code::Unavailable,
        _ => Code::Internal,
    };
    let mut details = ErrorDetails::with_error_info(reason.as_ref(), ERROR_DOMAIN, HashMap::new());
    if matches!(code, Code::Unavailable | Code::ResourceExhausted) {
        details.set_retry_info(Some(std::time::Duration::from_secs(u64::from(
            RETRY_AFTER_SECONDS,
        ))));
    }
    Status::with_error_details(code, message, details)
}

/// `INVALID_ARGUMENT` naming the field, with a `google.rpc.BadRequest`.
pub fn invalid_field(violation: &Violation) -> Status {
    let mut details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
        &violation.field,
        &violation.description,
    )]);
    details.set_error_info("INVALID_ARGUMENT", ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid {violation}"),
        details,
    )
}

/// `UNAUTHENTICATED` (or the store's error when it could not answer).
pub fn unauthenticated(error: AuthError) -> Status {
    match error {
        AuthError::Query(error) => error.into(),
        AuthError::Unavailable(message) => with_reason(Code::Unavailable, "UNAVAILABLE", message),
        other => with_reason(Code::Unauthenticated, "UNAUTHENTICATED", other.to_string()),
    }
}

/// `PERMISSION_DENIED` naming the permission and where it is missing.
pub fn permission_denied(permission: &str, place: &str) -> Status {
    with_reason(
        Code::PermissionDenied,
        "PERMISSION_DENIED",
        format!("permission denied: {permission} is required {place}"),
    )
}

/// A status with an `ErrorInfo` of `reason`.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>) -> Status {
    Status::with_error_details(
        code,
        message,
        ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new()),
    )
}

/// Domain errors convert through the one mapping.
macro_rules! through_api_error {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for Status {
            fn from(error: $error) -> Self {
                from_api(ApiError::from(error))
            }
        })*
    };
}

through_api_error!(ApiError, CommandError, QueryError, PluginError);

/// A 404 for a resource of `kind` with `id`.
pub fn not_found(kind: &str, id: &str) -> Status {
    from_api(ApiError::not_found(format!("{kind} {id} not found")))
}
