//! Every error answer is JSON with the right status: paths that are no
//! route (the removed `/v1` and `/admin` API included) get the edge's
//! `{code, message}` 404; wrong methods, long URIs, bad encodings, oversized
//! bodies and wrong content types on API methods get Connect errors; the
//! API's own errors carry the Connect code, its HTTP status and an
//! `ErrorInfo` reason.

use reqwest::{Client, Method};
use serde_json::json;

use super::{expect_error, message, reason, violated_field};
use crate::cqrs::{Backend, start};
use crate::support::Api;

const GET_USER: &str = "/rampart.user.v1.UserService/GetUser";
const ADD_ORG: &str = "/rampart.org.v1.OrgService/AddOrg";

#[tokio::test]
async fn every_error_is_json_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let token = server.admin_token();
    let client = Client::new();
    let url = |path: &str| format!("{}{path}", server.url);
    let send = |method: Method, path: &str| client.request(method, url(path));
    let call = |path: &str| {
        send(Method::POST, path)
            .bearer_auth(&token)
            .header("content-type", "application/json")
    };

    // Paths that are no route: the edge's 404, whatever the method, the
    // hand-written API that is gone included.
    for path in [
        "/",
        "/nope",
        "/v1/nope",
        "/v1/users",
        "/v1/orgs",
        "/v1/users/a/nope",
        "/admin/nope",
        "/admin/v1/plugins",
        "/admin/v1/instances",
        "/debug/nope",
        "/rampart.user.v1.UserService/Nope",
        "/rampart.nope.v1.NopeService/GetNope",
        "/rampart.user.v1.UserService",
        "/rampart.user.v1.UserService/%FF%FE",
    ] {
        for request in [send(Method::GET, path), call(path).body("{}")] {
            let answer = request.send().await.unwrap();
            let (_, body) = expect_error(answer, 404, "NOT_FOUND").await;
            assert!(message(&body).contains(path), "{path}: {body}");
        }
    }

    // Known routes, wrong method: 405 with Allow.
    let answer = send(Method::POST, "/debug/healthz").send().await.unwrap();
    let (headers, _) = expect_error(answer, 405, "METHOD_NOT_ALLOWED").await;
    assert!(headers["allow"].to_str().unwrap().contains("GET"));

    // A URI over the limit: 414 from us, not hyper's empty one.
    let long = "x".repeat(rampart::server::edge::MAX_URI_BYTES);
    for path in [
        format!("{GET_USER}?{long}"),
        format!("/debug/healthz?{long}"),
        format!("/rampart.user.v1.UserService/{long}"),
        format!("/{long}"),
    ] {
        let answer = send(Method::GET, &path).send().await.unwrap();
        expect_error(answer, 414, "URI_TOO_LONG").await;
        let answer = call(&path).body("{}").send().await.unwrap();
        expect_error(answer, 414, "URI_TOO_LONG").await;
    }

    // Bodies: wrong or missing content type, invalid UTF-8, malformed JSON,
    // JSON that is not the request message: 400 `invalid_argument`.
    for path in [ADD_ORG, "/rampart.plugin.v1.PluginService/ValidateCommand"] {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let mut request = send(Method::POST, path)
                .bearer_auth(&token)
                .body(r#"{"name":"x"}"#);
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let (_, body) =
                expect_error(request.send().await.unwrap(), 400, "invalid_argument").await;
            assert_eq!(reason(&body), Some("UNSUPPORTED_MEDIA_TYPE"), "{body}");
            assert!(message(&body).contains("application/json"), "{body}");
        }
        for text in [
            &br#"{"name":"#[..],
            b"{\"name\":\"\xff\xfe\"}",
            b"[]",
            b"\"name\"",
            br#"{"name":"x"} {}"#,
            br#"{"name": 42}"#,
        ] {
            let answer = call(path).body(text.to_vec()).send().await.unwrap();
            let (_, body) = expect_error(answer, 400, "invalid_argument").await;
            assert_eq!(reason(&body), Some("INVALID_ARGUMENT"), "{body}");
            assert!(message(&body).contains("invalid JSON"), "{body}");
        }
    }
    // Over the message limit (4 MiB). A client of its own: the server may
    // close a connection whose body it refused, and a pooled connection
    // closed that way fails the next request.
    let huge = json!({ "name": "x".repeat(5 << 20) });
    let answer = Client::new()
        .post(url(ADD_ORG))
        .bearer_auth(&token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    let (_, body) = expect_error(answer, 400, "invalid_argument").await;
    assert!(message(&body).contains("length limit"), "{body}");

    // The API's own errors: Connect code, HTTP status, ErrorInfo reason.
    let api = Api::new(&server);
    let org = api.add_org("ACME").await;
    let user = api.add_user(&org, "ada", None).await;
    let (_, no_role) = api.add_machine(&org, "bot", &[]).await;
    let unlock = json!({ "userId": user });
    for (credential, method, body, status, code) in [
        (
            None,
            GET_USER,
            json!({"userId": user}),
            401,
            "unauthenticated",
        ),
        (
            Some("nope"),
            GET_USER,
            json!({"userId": user}),
            401,
            "unauthenticated",
        ),
        (
            Some(no_role.as_str()),
            GET_USER,
            json!({"userId": user}),
            403,
            "permission_denied",
        ),
        (
            Some(token.as_str()),
            GET_USER,
            json!({}),
            400,
            "invalid_argument",
        ),
        (
            Some(token.as_str()),
            GET_USER,
            json!({"userId": "nobody"}),
            404,
            "not_found",
        ),
        (
            Some(token.as_str()),
            ADD_ORG,
            json!({"name": "ACME"}),
            409,
            "already_exists",
        ),
        (
            Some(token.as_str()),
            "/rampart.user.v1.UserService/UnlockUser",
            unlock,
            400,
            "failed_precondition",
        ),
    ] {
        let mut request = send(Method::POST, method)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        let (_, answer) = expect_error(request.send().await.unwrap(), status, code).await;
        assert_eq!(
            reason(&answer),
            Some(code.to_ascii_uppercase().as_str()),
            "{method}: {answer}"
        );
        if code == "invalid_argument" {
            assert_eq!(violated_field(&answer), Some("user_id"), "{answer}");
        }
    }

    // Success keeps its own shape, and every answer carries a request id;
    // a plain id the client sends is echoed.
    let health = send(Method::GET, "/debug/healthz").send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(health.text().await.unwrap(), "ok");
    for request in [
        send(Method::GET, "/nope"),
        call(GET_USER).body(json!({"userId": user}).to_string()),
        call(GET_USER).body("{}"),
    ] {
        let answer = request
            .header("x-request-id", "trace-42")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()["x-request-id"], "trace-42");
    }
    server.terminate().await.unwrap();
}

/// An API method is a known route served with POST only: another HTTP
/// method gets 405 with `Allow: POST` (as any other route of the edge, and
/// as Connect servers answer), whatever the content type — not a complaint
/// about the content type, nor a 501.
#[tokio::test]
async fn api_methods_answer_other_http_methods_with_405() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let token = server.admin_token();
    let client = Client::new();
    for (method, json) in [
        (Method::GET, false),
        (Method::GET, true),
        (Method::PUT, true),
        (Method::DELETE, false),
        (Method::PATCH, true),
    ] {
        let mut request = client
            .request(method.clone(), format!("{}{GET_USER}", server.url))
            .bearer_auth(&token);
        if json {
            request = request
                .header("content-type", "application/json")
                .body(r#"{"userId":"u1"}"#);
        }
        let answer = request.send().await.unwrap();
        let headers = answer.headers().clone();
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.expect("a JSON body");
        assert_eq!(status, 405, "{method} {GET_USER} (json: {json}): {body}");
        let allow = headers.get("allow").map(|v| v.to_str().unwrap().to_owned());
        assert!(
            allow.as_deref().is_some_and(|a| a.contains("POST")),
            "{method}: Allow {allow:?}"
        );
        assert!(!message(&body).is_empty(), "{body}");
    }
    server.terminate().await.unwrap();
}
