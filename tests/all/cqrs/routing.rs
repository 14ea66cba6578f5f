//! Given two server processes on one PostgreSQL database, when a domain moves
//! from one instance to another on node 1, then node 2 — which had the domain
//! cached under its old owner — routes the very next write to the new owner,
//! and its reads follow within moments.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, Backend, start};

/// A request to `url` as if addressed to `host`.
async fn on_host(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    host: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client
        .request(method, url)
        .header("host", host)
        .header("x-rampart-actor", "tester");
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request reaches the server");
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn a_moved_domain_routes_writes_to_its_new_instance_on_every_node() {
    let backend = Backend::postgres().await;
    let (dir_1, dir_2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let node_1 = start(dir_1.path(), &backend, &[]).await;
    let node_2 = start(dir_2.path(), &backend, &[]).await;
    let api_1 = Api::new(&node_1);
    let client = reqwest::Client::new();
    use reqwest::Method;

    // Instance A is the first instance (localhost); B is new.
    let (status, body) = api_1
        .post(
            "/admin/v1/instances",
            json!({"name": "Tenant B", "domains": ["b.example"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api_1
        .post("/v1/instance/domains", json!({"domain": "moving.example"}))
        .await;
    assert!(status.is_success(), "{status} {body}");

    // Node 2 resolves (and caches) moving.example as A, for reads and writes.
    let url_2 = |path: &str| format!("{}{path}", node_2.url);
    let (_, instance) = on_host(
        &client,
        Method::GET,
        &url_2("/v1/instance"),
        "moving.example",
        None,
    )
    .await;
    assert_eq!(instance["name"], "Rampart", "{instance}");
    let (status, org) = on_host(
        &client,
        Method::POST,
        &url_2("/v1/orgs"),
        "moving.example",
        Some(json!({"name": "Before the move"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");

    // Node 1 moves the domain from A to B.
    let (status, body) = api_1.delete("/v1/instance/domains/moving.example").await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body) = on_host(
        &client,
        Method::POST,
        &format!("{}/v1/instance/domains", node_1.url),
        "b.example",
        Some(json!({"domain": "moving.example"})),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");

    // The next write through node 2 lands in B, not in A.
    let (status, org) = on_host(
        &client,
        Method::POST,
        &url_2("/v1/orgs"),
        "moving.example",
        Some(json!({"name": "After the move"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let id = org["id"].as_str().unwrap();
    let (in_b, _) = on_host(
        &client,
        Method::GET,
        &url_2(&format!("/v1/orgs/{id}")),
        "b.example",
        None,
    )
    .await;
    let (in_a, _) = on_host(
        &client,
        Method::GET,
        &url_2(&format!("/v1/orgs/{id}")),
        "localhost",
        None,
    )
    .await;
    assert_eq!((in_b, in_a), (StatusCode::OK, StatusCode::NOT_FOUND));

    // Reads through node 2 follow too, within the notification delay.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, instance) = on_host(
            &client,
            Method::GET,
            &url_2("/v1/instance"),
            "moving.example",
            None,
        )
        .await;
        if instance["name"] == "Tenant B" {
            break;
        }
        assert!(Instant::now() < deadline, "node 2 still reads {instance}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
