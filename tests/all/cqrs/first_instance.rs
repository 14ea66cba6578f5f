//! The first instance is set up in one push, and the API waits for it: a
//! refused administrator password leaves nothing half-made behind, and no
//! `rampart.*` method answers before start-up is done.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, Backend, reason, start};
use crate::support::{TestServer, rampart_command};

/// A start whose administrator password the password policy refuses fails
/// and stores nothing; the next start with a good password creates the
/// whole first instance, both administrators included.
async fn a_refused_admin_password_leaves_nothing_half_made(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let refused = tokio::time::timeout(
        Duration::from_secs(90),
        rampart_command(dir.path())
            .arg("start")
            .env("RAMPART_PORT", "0")
            .envs(backend.env())
            .env("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "short")
            .output(),
    )
    .await
    .expect("the refused start ends")
    .unwrap();
    let log = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{log}");
    assert!(log.contains("the password must be at least"), "{log}");
    assert!(!dir.path().join("data/admin.pat").exists());

    let server = start(dir.path(), &backend, &[]).await;
    let api = Api::at(&server.url, Some(&server.admin_token()));
    let members = api
        .ok(
            "rampart.member.v1.MemberService/ListInstanceMembers",
            json!({}),
        )
        .await;
    assert_eq!(
        members["result"].as_array().map(Vec::len),
        Some(2),
        "both administrators: {members}"
    );
    let instance = api
        .ok(
            "rampart.instance.v1.InstanceService/GetMyInstance",
            json!({}),
        )
        .await;
    let admin = api
        .ok(
            "rampart.user.v1.UserService/GetUserByUsername",
            json!({ "username": "admin" }),
        )
        .await;
    assert_eq!(admin["user"]["username"], "admin", "{admin}");
    server.terminate().await.unwrap();
    assert!(instance["instance"]["id"].is_string(), "{instance}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_refused_admin_password_leaves_nothing_half_made() {
    a_refused_admin_password_leaves_nothing_half_made(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_refused_admin_password_leaves_nothing_half_made() {
    a_refused_admin_password_leaves_nothing_half_made(Backend::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_unavailable_until_the_first_instance_is_set_up() {
    let dir = tempfile::tempdir().unwrap();
    // Hashing the administrator's password this hard keeps start-up busy
    // for a while after the port is bound.
    let env: Vec<(String, String)> = [
        ("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "Initial-Passw0rd"),
        ("RAMPART_COMMANDS_PASSWORDHASH_ITERATIONS", "400"),
        ("RAMPART_COMMANDS_PASSWORDHASH_MEMORY", "32MiB"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let server = TestServer::listening(dir.path(), &env, &[]).await.unwrap();
    let early = Api::at(&server.url, Some("anything"));
    let (status, answer) = early
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(reason(&answer), "STARTING", "{answer}");
    let (status, _) = super::debug_get(&server.url, "/debug/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    server.wait_ready(Duration::from_secs(120)).await.unwrap();
    let api = Api::at(&server.url, Some(&server.admin_token()));
    let me = api
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(me["user"]["username"], "admin-api", "{me}");
    server.terminate().await.unwrap();
}
