//! The HTTP edge of the real server and the Connect JSON API behind it:
//! bodies refuse unknown fields, text no backend can store is refused
//! before it reaches one, every error is JSON with its status (the edge's
//! `{code, message}` for paths that are no route, Connect's `{code,
//! message, details}` for API methods), and a database that is away
//! answers 503 with `Retry-After`, never 500.

mod errors;
mod metrics;
mod proxy;
mod strict;
mod unavailable;

use reqwest::header::HeaderMap;
use serde_json::Value;

/// Checks that `response` is an error with `status` and `code` in the API's
/// shape, with a request id; returns its headers and body.
pub async fn expect_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> (HeaderMap, Value) {
    let headers = response.headers().clone();
    let got = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{got}: not JSON: {text:?}"));
    assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{headers:?}"
    );
    assert!(headers.contains_key("x-request-id"), "{headers:?}");
    let message = body["message"].as_str().expect("message");
    assert!(!message.is_empty(), "{body}");
    (headers, body)
}

/// The `reason` of a Connect error's `google.rpc.ErrorInfo` detail.
pub fn reason(body: &Value) -> Option<&str> {
    detail(body, "google.rpc.ErrorInfo")?["reason"].as_str()
}

/// The first field a Connect error's `google.rpc.BadRequest` names.
pub fn violated_field(body: &Value) -> Option<&str> {
    detail(body, "google.rpc.BadRequest")?["fieldViolations"][0]["field"].as_str()
}

fn detail<'a>(body: &'a Value, kind: &str) -> Option<&'a Value> {
    body["details"]
        .as_array()?
        .iter()
        .find(|d| d["type"] == kind)
        .map(|d| &d["debug"])
}

/// The message of an error body.
pub fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}
