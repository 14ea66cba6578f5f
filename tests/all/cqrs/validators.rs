//! Given a running server, when an operator drops a validator plugin into
//! the plugin directory, then what the API accepts changes without a
//! restart; removing the file changes it back.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{Api, Backend, start, user_body};
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
    wait_for_plugin(&api, true).await;

    let (status, answer) = api
        .post("/v1/users", user_body(&org, "postmaster", None))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "USERNAME_RESERVED");
    assert_eq!(answer["message"], "the username \"postmaster\" is reserved");
    let (_, users) = api.get(&format!("/v1/users?orgId={org}")).await;
    assert_eq!(users["total"], 1, "{users}");

    std::fs::remove_file(&target).unwrap();
    wait_for_plugin(&api, false).await;
    api.add_user(&org, "postmaster", None).await;
}

async fn wait_for_plugin(api: &Api, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = api.get("/admin/v1/plugins/reserved-names").await;
        if (status == StatusCode::OK) == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "plugin present={present} not reached"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
