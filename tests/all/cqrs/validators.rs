//! Given a running server, when an operator drops a validator plugin into
//! the plugin directory, then what the API accepts changes without a
//! restart; removing the file changes it back. Validators see a plaintext
//! password only with the `secrets` grant.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, Backend, assert_error, count, start, user_body};
use crate::plugins::test_plugin;

#[tokio::test]
async fn a_validator_dropped_in_at_run_time_changes_what_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let api = Api::new(&server);
    let org = api.add_org("Ops").await;
    api.add_user(&org, "root", None).await;

    let target = dir.path().join("data/plugins/reserved-names.wasm");
    let staged = dir.path().join("reserved-names.wasm.tmp");
    std::fs::copy(test_plugin("reserved-names"), &staged).unwrap();
    std::fs::rename(&staged, &target).unwrap();
    wait_for_plugin(&api, "reserved-names", true).await;

    let answer = api
        .call(
            "rampart.user.v1.UserService/AddHumanUser",
            user_body(&org, "postmaster", None),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "USERNAME_RESERVED",
    );
    assert_eq!(
        answer.1["message"], "the username \"postmaster\" is reserved",
        "{}",
        answer.1
    );
    let users = api
        .ok(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": org }),
        )
        .await;
    assert_eq!(count(&users["details"]["total"]), 1, "{users}");

    std::fs::remove_file(&target).unwrap();
    wait_for_plugin(&api, "reserved-names", false).await;
    api.add_user(&org, "postmaster", None).await;
}

#[tokio::test]
async fn validators_without_the_secrets_grant_never_see_a_plaintext_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let api = Api::new(&server);
    let org = api.add_org("Peek").await;
    // secret-peek refuses any password it can read; it has no `secrets` grant.
    let target = dir.path().join("data/plugins/secret-peek.wasm");
    let staged = dir.path().join("secret-peek.wasm.tmp");
    std::fs::copy(test_plugin("secret-peek"), &staged).unwrap();
    std::fs::rename(&staged, &target).unwrap();
    wait_for_plugin(&api, "secret-peek", true).await;

    api.add_user(&org, "ada", Some("Initial-Passw0rd")).await;
    // The shipped password policy, granted `secrets`, still reads it.
    let answer = api
        .call(
            "rampart.user.v1.UserService/AddHumanUser",
            user_body(&org, "grace", Some("short")),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "PASSWORD_TOO_SHORT",
    );
    let (_, log) = server.terminate().await.unwrap();
    assert!(!log.contains("Initial-Passw0rd"), "{log}");
}

async fn wait_for_plugin(api: &Api, name: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, answer) = api
            .call(
                "rampart.plugin.v1.PluginService/GetPlugin",
                json!({ "name": name }),
            )
            .await;
        if !present {
            // Gone means not found, nothing else.
            assert!(
                matches!(status, StatusCode::OK | StatusCode::NOT_FOUND),
                "{status} {answer}"
            );
        }
        if (status == StatusCode::OK) == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "plugin present={present} not reached: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
