//! # API errors
//!
//! The one error type of the HTTP edge: every library error is mapped here,
//! once, to a status code and a JSON body `{"code": ..., "message": ...}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::plugins::PluginError;

/// An error answer of the HTTP API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
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
