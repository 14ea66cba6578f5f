//! Given a server with a misbehaving validator on the real request path
//! (`OrgService/AddOrg`), when it prints, panics, reads WASI's clock or spins
//! until its deadline, then every request still gets a JSON answer, every
//! failed call is counted, capabilities hold without grants, and a flood of
//! calls to the slow plugin is refused at once instead of starving the node.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, Backend, assert_error, count, reason, start_configured};
use crate::plugins::test_plugin;
use crate::support::TestServer;

/// A server on `backend` with `yaml` under `Plugins:`, into which `plugin`
/// (a test plugin build) is then dropped as `hostile.wasm` — after start-up,
/// so that the bootstrap's own commands do not meet it.
async fn server_with(
    dir: &std::path::Path,
    backend: &Backend,
    plugin: &str,
    yaml: &str,
) -> TestServer {
    let indented: String = yaml.lines().map(|l| format!("  {l}\n")).collect();
    let server = start_configured(dir, backend, &format!("Plugins:\n{indented}")).await;
    let staged = dir.join("hostile.wasm.tmp");
    std::fs::copy(test_plugin(plugin), &staged).unwrap();
    std::fs::rename(&staged, dir.join("data/plugins/hostile.wasm")).unwrap();
    let api = Api::new(&server);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while plugin_status(&api, "hostile").await.0 != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "hostile never loaded");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server
}

/// `hostile` in `mode`, granted everything it asks for.
fn granted(mode: &str) -> String {
    format!("hostile:\n  Config: {{mode: {mode}}}\n  Grants: [log, config, clock]\n")
}

const ADD_ORG: &str = "rampart.org.v1.OrgService/AddOrg";

/// `PluginService/GetPlugin` of `name`.
async fn plugin_status(api: &Api, name: &str) -> (StatusCode, Value) {
    api.call(
        "rampart.plugin.v1.PluginService/GetPlugin",
        json!({ "name": name }),
    )
    .await
}

/// The plugin status of `hostile`.
async fn hostile_status(api: &Api) -> Value {
    let (status, body) = plugin_status(api, "hostile").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["plugin"].clone()
}

#[tokio::test]
async fn a_panicking_validator_fails_each_command_cleanly_and_counts_it() {
    for backend in [Backend::Sqlite, Backend::postgres().await] {
        let dir = tempfile::tempdir().unwrap();
        let server = server_with(dir.path(), &backend, "hostile", &granted("panic")).await;
        let api = Api::new(&server);
        for n in 0..20 {
            let answer = api
                .call(ADD_ORG, json!({ "name": format!("Org {n}") }))
                .await;
            assert_error(
                &answer,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "PLUGIN_FAILED",
            );
            let message = answer.1["message"].as_str().unwrap();
            assert!(
                message.contains("plugin `hostile` failed in `validate`"),
                "{message}"
            );
        }
        // Nothing was stored: the bootstrap organization is the only one.
        let orgs = api
            .ok("rampart.org.v1.OrgService/ListOrgs", json!({}))
            .await;
        assert_eq!(count(&orgs["details"]["total"]), 1, "{orgs}");
        let stats = hostile_status(&api).await;
        assert_eq!(count(&stats["calls"]), 20, "{stats}");
        assert_eq!(count(&stats["errors"]), 20, "{stats}");
        let metrics = reqwest::get(format!("{}/debug/metrics", api.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("rampart_plugin_call_errors_total{plugin=\"hostile\"} 20"),
            "{metrics}"
        );
        let (_, log) = server.terminate().await.unwrap();
        assert!(!log.contains("Cannot start a runtime"), "{log}");
    }
}

#[tokio::test]
async fn printing_reaches_the_log_only_with_the_log_grant() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), &Backend::Sqlite, "hostile", &granted("stdout")).await;
    let api = Api::new(&server);
    for n in 0..10 {
        api.add_org(&format!("Org {n}")).await;
    }
    let (_, log) = server.terminate().await.unwrap();
    assert!(
        log.contains("hostile on stdout"),
        "granted `log`: the output is logged"
    );

    // The modest build asks for (and gets) only the default grant, `config`.
    let dir = tempfile::tempdir().unwrap();
    let yaml = "hostile:\n  Config: {mode: stdout}\n";
    let server = server_with(dir.path(), &Backend::Sqlite, "hostile-modest", yaml).await;
    let api = Api::new(&server);
    for n in 0..10 {
        api.add_org(&format!("Org {n}")).await;
    }
    let (_, log) = server.terminate().await.unwrap();
    assert!(
        !log.contains("hostile on"),
        "without `log` nothing reaches the log:\n{log}"
    );
}

#[tokio::test]
async fn wasi_clocks_are_pinned_without_the_clock_grant() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "hostile:\n  Config: {mode: wasi-clock}\n";
    let server = server_with(dir.path(), &Backend::Sqlite, "hostile-modest", yaml).await;
    let api = Api::new(&server);
    let answer = api.call(ADD_ORG, json!({ "name": "Clockwork" })).await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "WASI_CLOCK",
    );
    assert_eq!(answer.1["message"], "0", "{}", answer.1);
}

#[tokio::test]
async fn a_flood_of_calls_to_a_slow_validator_is_refused_at_once_and_health_answers() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "Deadline: 1s\nPool:\n  Threads: 1\n  Queue: 2\n{}",
        granted("loop")
    );
    let server = server_with(dir.path(), &Backend::Sqlite, "hostile", &yaml).await;
    let api = Api::new(&server);
    let token = server.admin_token();
    let flood: Vec<_> = (0..16)
        .map(|n| {
            let (url, token) = (api.url.clone(), token.clone());
            tokio::spawn(async move {
                let sent = std::time::Instant::now();
                let answer = reqwest::Client::new()
                    .post(format!("{url}/{ADD_ORG}"))
                    .bearer_auth(token)
                    .json(&json!({ "name": format!("Org {n}") }))
                    .send()
                    .await
                    .expect("request reaches the server");
                let status = answer.status();
                let retry_after = answer.headers().get("retry-after").cloned();
                let body: Value = answer.json().await.expect("a JSON answer");
                ((status, retry_after, body), sent.elapsed())
            })
        })
        .collect();
    // While the pool spins, the server's own threads still answer.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..10 {
        let health = client
            .get(format!("{}/debug/healthz", api.url))
            .send()
            .await
            .expect("healthz answers while the plugin pool is saturated");
        assert_eq!(health.status(), StatusCode::OK);
    }
    let (mut overloaded, mut deadline) = (0, 0);
    for answer in flood {
        let ((status, retry_after, body), took) = answer.await.unwrap();
        match reason(&body) {
            "PLUGIN_OVERLOADED" => {
                assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
                assert_eq!(body["code"], "resource_exhausted", "{body}");
                assert!(retry_after.is_some(), "429 without Retry-After: {body}");
                // At once: a refused call waits for no running call, and any
                // call that ran or queued took at least the 1 s deadline.
                assert!(took < Duration::from_secs(1), "refused after {took:?}");
                assert!(
                    body["message"].as_str().unwrap().contains("`hostile`"),
                    "{body}"
                );
                overloaded += 1;
            }
            "PLUGIN_DEADLINE_EXCEEDED" => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
                deadline += 1;
            }
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    // One thread and a queue of two: at most three run, the rest are refused,
    // naming the plugins they needed (hostile among them).
    assert!(
        overloaded >= 13,
        "{overloaded} refused, {deadline} ran out of time"
    );
    assert_eq!(overloaded + deadline, 16);
    let stats = hostile_status(&api).await;
    assert_eq!(
        count(&stats["errors"]),
        16,
        "refusals count as failed calls: {stats}"
    );
    // The shipped validators before it in the chain count the refusals too.
    let (_, policy) = plugin_status(&api, "org-domain-policy").await;
    assert_eq!(count(&policy["plugin"]["errors"]), overloaded, "{policy}");
}
