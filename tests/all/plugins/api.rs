//! The plugin status API of the real server: listing, dry runs, a hostile
//! plugin dropped in at run time, a broken file, and a forced reload.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestServer;

use super::{add_user, test_plugin};

/// GETs `path` as JSON.
async fn get(server: &TestServer, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", server.url))
        .await
        .expect("GET");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON body"),
    )
}

/// POSTs `body` to `path`, returning status and JSON.
async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .json(&body)
        .send()
        .await
        .expect("POST");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON body"),
    )
}

/// Polls the status until `plugin` serves.
async fn wait_for(server: &TestServer, plugin: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = get(server, &format!("/admin/v1/plugins/{plugin}")).await;
        if status == 200 {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{plugin} never started serving"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn command(name: &str, payload: Value) -> Value {
    json!({"command": {
        "name": name, "instance_id": "i1", "org_id": null, "actor": "admin",
        "aggregate_type": "user", "aggregate_id": "u1", "payload": payload.to_string(),
    }})
}

#[tokio::test]
async fn the_status_api_lists_shipped_plugins_and_contains_a_hostile_one_dropped_in_at_run_time() {
    // given: a server with a config that sets the hostile plugin's mode
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rampart.yaml");
    std::fs::write(
        &config,
        "Plugins:\n  hostile:\n    Config: {mode: loop}\n    Deadline: 30ms\n    Grants: [log, config, clock]\n",
    )
    .unwrap();
    let server = TestServer::start(dir.path(), &[], &["--config", config.to_str().unwrap()])
        .await
        .unwrap();

    // then: the shipped validators serve, in the configured order
    let (status, list) = get(&server, "/admin/v1/plugins").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "email-format",
            "instances",
            "org-domain-policy",
            "orgs",
            "password-policy",
            "username-format",
            "users"
        ]
    );
    let password = &list["plugins"][4];
    assert_eq!(
        (password["world"].as_str(), password["order"].as_u64()),
        (Some("validator"), Some(1))
    );
    assert_eq!(
        password["source"],
        json!({"kind": "shipped", "path": "password-policy"})
    );
    assert_eq!(password["hash"].as_str().unwrap().len(), 64);

    // when: a dry run of the password policy
    let weak = command(
        "user.human.add",
        add_user("ada", "ada@example.com", Some("abc")),
    );
    let (status, verdict) = post(&server, "/admin/v1/plugins/password-policy/validate", weak).await;
    // then: the plugin's code and message
    assert_eq!(status, 200);
    assert_eq!(verdict["verdict"], "rejected");
    assert_eq!(verdict["code"], "PASSWORD_TOO_SHORT");

    // when: a looping plugin is dropped into the watched directory
    std::fs::copy(
        test_plugin("hostile"),
        dir.path().join("data/plugins/hostile.wasm"),
    )
    .unwrap();
    wait_for(&server, "hostile").await;
    let (status, error) = post(
        &server,
        "/admin/v1/plugins/hostile/validate",
        command("x", json!({})),
    )
    .await;
    // then: the caller gets a clear error, the server keeps serving, the status shows it
    assert_eq!(status, 500);
    assert_eq!(error["code"], "PLUGIN_DEADLINE_EXCEEDED");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("plugin `hostile` exceeded its 30ms deadline"),
        "{error}"
    );
    let (_, hostile) = get(&server, "/admin/v1/plugins/hostile").await;
    assert_eq!(
        (hostile["calls"].as_u64(), hostile["errors"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        hostile["lastError"]["message"]
            .as_str()
            .unwrap()
            .contains("deadline")
    );
    assert!(hostile["latencyP50Us"].as_f64().unwrap() >= 30_000.0);
    let (status, _) = get(&server, "/debug/ready").await;
    assert_eq!(status, 200);

    // when: the file is replaced by garbage and a reload is forced
    std::fs::write(dir.path().join("data/plugins/hostile.wasm"), b"garbage").unwrap();
    let (status, report) = post(&server, "/admin/v1/plugins/reload", json!({})).await;
    assert_eq!(status, 200);
    // then: the previous version keeps serving and the failure is reported
    let (_, list) = get(&server, "/admin/v1/plugins").await;
    let failure = &list["failures"][0];
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("not a valid WebAssembly component"),
        "{list} {report}"
    );
    assert_eq!(failure["stillServing"], "hostile@1.0.0");
    let (_, hostile) = get(&server, "/admin/v1/plugins/hostile").await;
    assert_eq!(hostile["lastLoadError"]["stillServing"], "hostile@1.0.0");
}

#[tokio::test]
async fn dry_runs_answer_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    // an unknown plugin
    let (status, body) = post(
        &server,
        "/admin/v1/plugins/nope/validate",
        command("x", json!({})),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
    assert!(body["message"].as_str().unwrap().contains("`nope`"));
    // a body that is not a command
    let (status, body) = post(
        &server,
        "/admin/v1/plugins/password-policy/validate",
        json!({"command": {}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("INVALID_ARGUMENT"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("missing field"),
        "{body}"
    );
    // a validator asked to project
    let (status, body) = post(
        &server,
        "/admin/v1/plugins/password-policy/project",
        json!({
            "instance_id": "i", "aggregate_type": "t", "aggregate_id": "a", "sequence": 1,
            "position": {"transaction": 1, "index": 0}, "event_type": "x", "revision": 1,
            "creator": "c", "created_at": {"seconds": 0, "nanoseconds": 0}, "payload": "{}"
        }),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("PLUGIN_NOT_FOUND"))
    );
}

/// The admin routes of a router whose peer is `peer`.
async fn admin_status_from(peer: &str, allow_remote: bool) -> (u16, Value) {
    use tower::ServiceExt as _;
    let fixture = crate::support::sqlite_store().await;
    let (_dir, registry) = super::registry_with(&[], "Shipped: false\n");
    let state = rampart::server::AppState::new(
        fixture.store.clone(),
        std::sync::Arc::new(registry),
        rampart::config::AdminConfig { allow_remote },
    );
    let router = rampart::server::router(state).layer(
        axum::extract::connect_info::MockConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()),
    );
    let request = axum::http::Request::get("/admin/v1/plugins")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    fixture.close().await;
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_admin_api_answers_loopback_only_unless_allowed() {
    assert_eq!(admin_status_from("127.0.0.1:5000", false).await.0, 200);
    assert_eq!(admin_status_from("[::1]:5000", false).await.0, 200);
    let (status, body) = admin_status_from("192.0.2.7:5000", false).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("ADMIN_LOOPBACK_ONLY"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Admin.AllowRemote")
    );
    assert_eq!(admin_status_from("192.0.2.7:5000", true).await.0, 200);
}
