//! # API errors
//!
//! The one error type of the HTTP edge: every library error is mapped here,
//! once, to a status code and a JSON body `{"code": ..., "message": ...}`.
//!
//! No database text ever reaches a client. A 5xx answer is logged with the
//! request's id (the `x-request-id` response header, see [`super::edge`])
//! and its internal cause; the client gets the id as a reference: a 500 says
//! only `internal error; reference <id>`. Every 503 carries `Retry-After`.

use std::borrow::Cow;

use axum::Json;
use axum::extract::rejection::{
    BytesRejection, JsonRejection, PathRejection, QueryRejection, RawPathParamsRejection,
};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::edge::request_id;
use crate::command::CommandError;
use crate::eventstore::StoreError;
use crate::plugins::PluginError;
use crate::query::QueryError;
use crate::readmodel::ReadModelError;
use crate::spooler::CatchUpError;

/// Seconds a client should wait before retrying a 503 (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// An error answer of the HTTP API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    /// The internal cause of a 5xx: logged with the request id, never sent.
    cause: Option<String>,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            cause: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message as it stands before the response adds a reference.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 503 for a dependency that cannot serve right now; `message` is sent.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }

    /// 503 whose `cause` (a database's words) is logged, not sent.
    pub fn unavailable_because(message: impl Into<String>, cause: impl Into<String>) -> Self {
        Self::unavailable(message).with_cause(cause)
    }

    /// 500 for a failure that is not the caller's: `cause` is logged and the
    /// client gets a reference to the log line.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        )
        .with_cause(cause)
    }

    /// 404 for a resource that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 400 for a request the API cannot understand.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    /// The answer to a request the framework refused with `status` and
    /// `text`: the status is kept, the code follows from it.
    pub fn rejection(status: StatusCode, text: impl Into<String>) -> Self {
        let code = match status {
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
            StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
            StatusCode::URI_TOO_LONG => "URI_TOO_LONG",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
            StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
            s if s.is_server_error() => return Self::internal(text),
            _ => "INVALID_ARGUMENT",
        };
        // Framework refusals of the request itself are the caller's: 400,
        // not 422, whatever the extractor chose.
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        Self::new(status, code, text)
    }

    /// The same error with an internal `cause` to log.
    fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }
}

impl From<PluginError> for ApiError {
    fn from(error: PluginError) -> Self {
        let (status, code) = match &error {
            PluginError::NotFound { .. } => (StatusCode::NOT_FOUND, "PLUGIN_NOT_FOUND"),
            PluginError::DeadlineExceeded { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "PLUGIN_DEADLINE_EXCEEDED",
            ),
            PluginError::MemoryLimit { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "PLUGIN_MEMORY_LIMIT")
            }
            PluginError::OutputTooLarge { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "PLUGIN_OUTPUT_TOO_LARGE")
            }
            PluginError::Trap { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "PLUGIN_FAILED"),
            PluginError::InvalidOutput { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "PLUGIN_INVALID_OUTPUT")
            }
            PluginError::Unavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "PLUGIN_UNAVAILABLE")
            }
            PluginError::Overloaded { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "PLUGIN_OVERLOADED")
            }
        };
        Self::new(status, code, error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let message = error.to_string();
        match error {
            StoreError::Conflict { .. } => Self::new(StatusCode::CONFLICT, "ABORTED", message),
            StoreError::UniqueTaken { .. } => {
                Self::new(StatusCode::CONFLICT, "ALREADY_EXISTS", message)
            }
            StoreError::PayloadTooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
            }
            StoreError::InvalidPush(_) => Self::bad_request(message),
            StoreError::Unavailable(_) | StoreError::Locked(_) => Self::unavailable_because(
                "the event store is unavailable right now; retry shortly",
                message,
            ),
            StoreError::Migration(_) | StoreError::Database(_) => Self::internal(message),
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        let message = error.to_string();
        match error {
            CommandError::Rejected { code, message, .. } => {
                Self::new(StatusCode::BAD_REQUEST, code, message)
            }
            CommandError::InvalidArgument(_) => Self::bad_request(message),
            CommandError::Mismatch { code, message } => {
                Self::new(StatusCode::BAD_REQUEST, code, message)
            }
            CommandError::Denied { code, message } => {
                Self::new(StatusCode::FORBIDDEN, code, message)
            }
            CommandError::NotFound { .. } => Self::not_found(message),
            CommandError::FailedPrecondition(_) => {
                Self::new(StatusCode::BAD_REQUEST, "FAILED_PRECONDITION", message)
            }
            CommandError::AlreadyExists { message, .. } => {
                Self::new(StatusCode::CONFLICT, "ALREADY_EXISTS", message)
            }
            CommandError::Conflict { .. } => Self::new(StatusCode::CONFLICT, "ABORTED", message),
            CommandError::Plugin(error) => error.into(),
            CommandError::Store(error) => error.into(),
            CommandError::Config(_) | CommandError::Internal(_) => Self::internal(message),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        let message = error.to_string();
        match error {
            QueryError::InvalidArgument(_) => Self::bad_request(message),
            QueryError::Unavailable(_) => Self::unavailable(message),
            QueryError::CatchUp(CatchUpError::Store(error)) | QueryError::ReadModel(error) => {
                error.into()
            }
            QueryError::CatchUp(_) => Self::unavailable(message),
            QueryError::Store(error) => error.into(),
        }
    }
}

impl From<ReadModelError> for ApiError {
    fn from(error: ReadModelError) -> Self {
        let message = error.to_string();
        match error {
            ReadModelError::UnknownColumn { .. } | ReadModelError::InvalidFilter(_) => {
                Self::bad_request(message)
            }
            ReadModelError::Unavailable(_) => Self::unavailable_because(
                "the read models are unavailable right now; retry shortly",
                message,
            ),
            _ => Self::internal(message),
        }
    }
}

/// Framework rejections keep their status (413 stays 413, 415 stays 415).
macro_rules! rejections {
    ($($rejection:ty),* $(,)?) => {
        $(impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> Self {
                Self::rejection(rejection.status(), rejection.body_text())
            }
        })*
    };
}

rejections!(
    BytesRejection,
    JsonRejection,
    PathRejection,
    QueryRejection,
    RawPathParamsRejection,
);

impl ApiError {
    /// The status, code and the message a client may see. A 5xx is logged
    /// here with the request id and its internal cause; its message carries
    /// the id as a reference instead of the cause.
    pub(crate) fn into_reported(self) -> (StatusCode, Cow<'static, str>, String) {
        if !self.status.is_server_error() {
            return (self.status, self.code, self.message);
        }
        let reference = request_id();
        let cause = self.cause.as_deref().unwrap_or(&self.message);
        let code = &self.code;
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(request_id = %reference, %code, error = %cause, "request failed");
        } else {
            tracing::warn!(request_id = %reference, %code, error = %cause, "request failed");
        }
        let message = if self.code == "INTERNAL" {
            format!("internal error; reference {reference}")
        } else {
            format!("{} (reference {reference})", self.message)
        };
        (self.status, self.code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.into_reported();
        let body = Json(json!({ "code": code, "message": message }));
        let mut response = (status, body).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}
