//! The HTTP edge of the real server: bodies refuse unknown fields, text no
//! backend can store is refused before it reaches one, every error is
//! `{code, message}` JSON with its status, and a database that is away
//! answers 503 with `Retry-After`, never 500.

mod errors;
mod proxy;
mod strict;
mod unavailable;

use reqwest::header::HeaderMap;
use serde_json::Value;

/// Checks that `response` is an error with `status` and `code` in the API's
/// shape, with a request id; returns its headers and message.
pub async fn expect_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> (HeaderMap, String) {
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
    let message = body["message"].as_str().expect("message").to_owned();
    assert!(!message.is_empty());
    (headers, message)
}
