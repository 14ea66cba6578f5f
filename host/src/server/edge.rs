//! # The edge: what every request meets first
//!
//! - **A request id**: the client's `x-request-id` when it is short and
//!   plain, else a fresh UUID. It is echoed on every response, and every 5xx
//!   answer names it in its message and in the log line that holds the
//!   internal cause, so a client's report leads to one log line.
//! - **A URI length limit** ([`MAX_URI_BYTES`]), answered with a JSON 414.
//!   hyper refuses URIs of 64 KiB and more by itself, with an empty 414,
//!   before any of our code runs; our limit is lower so that clients see
//!   the JSON answer.
//! - **JSON answers for unknown routes** (404) and methods (405, with the
//!   `Allow` header axum sets).
//! - **A last guard**: an error response that is not JSON (a framework
//!   rejection, a layer) is rewritten into `{code, message}` with its status
//!   and headers kept.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The header carrying the request id: optional on requests, always on
/// responses.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest URI (authority, path and query) served; longer ones get 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Longest request id taken from a client.
const MAX_CLIENT_ID: usize = 128;
/// Largest non-JSON error body the guard carries over as the message.
const MAX_GUARDED_BODY: usize = 4 * 1024;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or a fresh one outside a request.
pub(crate) fn request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| fresh_id())
}

/// The middleware: request id, URI limit, JSON guard.
pub(super) async fn edge(req: Request, next: Next) -> Response {
    let id = client_id(req.headers()).unwrap_or_else(fresh_id);
    let mut response = REQUEST_ID
        .scope(id.clone(), async move {
            let length = uri_length(req.uri());
            let response = if length > MAX_URI_BYTES {
                ApiError::new(
                    StatusCode::URI_TOO_LONG,
                    "URI_TOO_LONG",
                    format!("the URI is {length} bytes long; the limit is {MAX_URI_BYTES}"),
                )
                .into_response()
            } else {
                next.run(req).await
            };
            guard(response).await
        })
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// 404 for a path no route serves.
pub(crate) async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route serves {method} {}", uri.path()))
}

/// 405 for a route that does not serve the method (axum adds `Allow`).
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{} does not serve {method}", uri.path()),
    )
}

/// Rewrites an error response without a JSON body into `{code, message}`;
/// HTML pages (the hosted login's) say what went wrong themselves.
async fn guard(response: Response) -> Response {
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    if !failed || is_json(response.headers()) || is_html(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_GUARDED_BODY)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let (fixed, body) = ApiError::rejection(status, message)
        .into_response()
        .into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(fixed.headers);
    Response::from_parts(parts, body)
}

/// Whether the headers declare an HTML page.
fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/html"))
}

/// Whether the headers declare a JSON body.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn uri_length(uri: &Uri) -> usize {
    uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len())
}

/// The client's request id, if it is 1–128 characters of `A-Z a-z 0-9 . _ : -`.
fn client_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
    (!id.is_empty() && id.len() <= MAX_CLIENT_ID && id.chars().all(plain)).then(|| id.to_owned())
}

fn fresh_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_client_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("abc-123"));
        assert_eq!(client_id(&headers).as_deref(), Some("abc-123"));
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("a b"));
        assert_eq!(client_id(&headers), None);
        let long = "x".repeat(MAX_CLIENT_ID + 1);
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_str(&long).unwrap());
        assert_eq!(client_id(&headers), None);
    }

    #[test]
    fn json_content_types_are_recognized() {
        let with = |ct: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/problem+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
