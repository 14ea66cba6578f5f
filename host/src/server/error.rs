//! # API errors
//!
//! The one error type of the HTTP edge: every library error is mapped here,
//! once, to a status code and a JSON body `{"code": ..., "message": ...}`.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::command::CommandError;
use crate::eventstore::StoreError;
use crate::plugins::PluginError;
use crate::query::QueryError;
use crate::readmodel::ReadModelError;

/// An error answer of the HTTP API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
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
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 503 for a dependency that cannot serve right now.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message)
    }

    /// 500 for a failure that is not the caller's.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
    }

    /// 404 for a resource that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 400 for a request the API cannot understand.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
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
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "INVALID_ARGUMENT", message)
            }
            StoreError::InvalidPush(_) => Self::bad_request(message),
            StoreError::Unavailable(_) | StoreError::Locked(_) => Self::unavailable(message),
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
            QueryError::Unavailable(_) | QueryError::CatchUp(_) => Self::unavailable(message),
            QueryError::ReadModel(error) => error.into(),
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
            ReadModelError::Unavailable(_) => Self::unavailable(message),
            _ => Self::internal(message),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "code": self.code, "message": self.message }));
        (self.status, body).into_response()
    }
}
