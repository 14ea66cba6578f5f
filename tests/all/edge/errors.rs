//! Every error answer is `{code, message}` JSON with the right status:
//! unknown routes, wrong methods, long URIs, bad path encoding, oversized
//! bodies and wrong content types, under `/`, `/v1`, `/admin` and `/debug`.

use reqwest::{Client, Method};

use super::expect_error;
use crate::cqrs::{Backend, start};

#[tokio::test]
async fn every_error_is_json_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let client = Client::new();
    let url = |path: &str| format!("{}{path}", server.url);
    let send = |method: Method, path: &str| client.request(method, url(path));

    // Unknown routes: 404 everywhere.
    for path in [
        "/",
        "/nope",
        "/v1/nope",
        "/v1/users/a/nope",
        "/admin/nope",
        "/debug/nope",
    ] {
        let answer = send(Method::GET, path).send().await.unwrap();
        let (_, message) = expect_error(answer, 404, "NOT_FOUND").await;
        assert!(message.contains(path), "{message}");
    }

    // Known routes, wrong method: 405 with Allow.
    for (method, path, allowed) in [
        (Method::POST, "/debug/healthz", "GET"),
        (Method::PATCH, "/v1/users", "POST"),
        (Method::DELETE, "/admin/v1/plugins", "GET"),
        (Method::PUT, "/v1/users/some-id/lock", "POST"),
    ] {
        let answer = send(method, path).send().await.unwrap();
        let (headers, _) = expect_error(answer, 405, "METHOD_NOT_ALLOWED").await;
        let allow = headers["allow"].to_str().unwrap();
        assert!(allow.contains(allowed), "{path}: {allow}");
    }

    // A URI over the limit: 414 from us, not hyper's empty one.
    let long = "x".repeat(rampart::server::edge::MAX_URI_BYTES);
    for path in [
        format!("/v1/users?usernamePrefix={long}"),
        format!("/debug/healthz?{long}"),
        format!("/admin/v1/plugins/{long}"),
        format!("/{long}"),
    ] {
        let answer = send(Method::GET, &path).send().await.unwrap();
        expect_error(answer, 414, "URI_TOO_LONG").await;
    }

    // Invalid UTF-8 in a path parameter: 400 JSON, not plain text.
    for path in [
        "/v1/users/%FF%FE",
        "/admin/v1/plugins/%C3%28",
        "/v1/orgs/x/domains/%FF/verify",
    ] {
        let request = if path.ends_with("verify") {
            send(Method::POST, path)
        } else {
            send(Method::GET, path)
        };
        let (_, message) =
            expect_error(request.send().await.unwrap(), 400, "INVALID_ARGUMENT").await;
        assert!(message.contains("UTF-8"), "{message}");
    }

    // Bodies: wrong or missing content type 415, malformed 400, too large 413.
    for path in ["/v1/orgs", "/admin/v1/plugins/password-policy/validate"] {
        let answer = send(Method::POST, path)
            .body(r#"{"name":"x"}"#)
            .send()
            .await
            .unwrap();
        expect_error(answer, 415, "UNSUPPORTED_MEDIA_TYPE").await;
        let answer = send(Method::POST, path)
            .header("content-type", "text/plain")
            .body(r#"{"name":"x"}"#)
            .send()
            .await
            .unwrap();
        expect_error(answer, 415, "UNSUPPORTED_MEDIA_TYPE").await;
        let answer = send(Method::POST, path)
            .header("content-type", "application/json")
            .body(r#"{"name":"#)
            .send()
            .await
            .unwrap();
        expect_error(answer, 400, "INVALID_ARGUMENT").await;
    }
    let huge = serde_json::json!({ "name": "x".repeat(3 << 20) });
    // A client of its own: the server closes a connection whose body it
    // refused, and a pooled connection closed that way fails the next request.
    let answer = Client::new()
        .post(url("/v1/orgs"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    expect_error(answer, 413, "PAYLOAD_TOO_LARGE").await;

    // Success keeps its own shape, and every answer carries a request id;
    // a plain id the client sends is echoed.
    let health = send(Method::GET, "/debug/healthz").send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(health.text().await.unwrap(), "ok");
    let answer = send(Method::GET, "/nope")
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-request-id"], "trace-42");
    server.terminate().await.unwrap();
}
