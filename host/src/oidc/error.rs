//! The one error type of the OAuth edge: RFC 6749 §5.2 error responses
//! (`{"error", "error_description"}`), with the HTTP status each code goes
//! with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::eventstore::StoreError;
use crate::query::QueryError;

/// An OAuth error: the registered `error` code, a description that says
/// what is wrong, and its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OidcError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// The `error` code (RFC 6749 §5.2, RFC 7009, RFC 7662).
    pub code: &'static str,
    /// `error_description`.
    pub description: String,
    /// Whether a `server_error`'s description may be shown to the client
    /// (it names what failed without internals); others are logged only.
    pub disclosed: bool,
}

impl OidcError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            disclosed: false,
        }
    }

    /// `invalid_request`: a parameter is missing, repeated or malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// `invalid_client`: the client could not be authenticated (401, with a
    /// `WWW-Authenticate: Basic` challenge).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// `invalid_grant`: the grant (an assertion, a code, a refresh token)
    /// is invalid, expired or revoked.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// `unauthorized_client`: the client may not use this grant type.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// `unsupported_grant_type`.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    /// `invalid_scope`: a requested scope is unknown or not allowed.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// `unsupported_token_type` (RFC 7009 §2.2.1).
    pub fn unsupported_token_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            description,
        )
    }

    /// 404 for a host no instance serves.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request", description)
    }

    /// `server_error`: the server failed; logged, and described to the
    /// client only in general terms.
    pub fn server(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            description,
        )
    }

    /// `server_error` that the client is told about: a login-flow plugin
    /// failed, so no token is issued (fail closed).
    pub fn login_flow(error: &crate::login_flow::LoginFlowError) -> Self {
        tracing::error!(%error, "a login-flow plugin failed; no token is issued");
        let description = match error {
            crate::login_flow::LoginFlowError::Plugin(e) => format!(
                "no token was issued: the login-flow plugin `{}` failed; the server's log has the details",
                e.plugin()
            ),
            crate::login_flow::LoginFlowError::Query(_) => {
                "no token was issued: the user's roles and metadata could not be read for the login-flow plugins".to_owned()
            }
        };
        Self {
            disclosed: true,
            ..Self::server(description)
        }
    }

    /// `temporarily_unavailable`: the node cannot answer now; retry.
    pub fn unavailable(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            description,
        )
    }
}

impl From<StoreError> for OidcError {
    fn from(error: StoreError) -> Self {
        Self::unavailable(format!("the eventstore cannot answer: {error}"))
    }
}

impl From<QueryError> for OidcError {
    fn from(error: QueryError) -> Self {
        Self::unavailable(format!("the query side cannot answer: {error}"))
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        let description = if self.status == StatusCode::INTERNAL_SERVER_ERROR && !self.disclosed {
            tracing::error!(error = %self.description, "OAuth endpoint failed");
            "the server failed to answer; see its log".to_owned()
        } else {
            self.description
        };
        let body = serde_json::json!({ "error": self.code, "error_description": description });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"rampart\""),
            );
        }
        response
    }
}
