//! Given a server with a misbehaving validator on the real request path
//! (`POST /v1/orgs`), when it prints, panics, reads WASI's clock or spins
//! until its deadline, then every request still gets a JSON answer, every
//! failed call is counted, capabilities hold without grants, and a flood of
//! calls to the slow plugin is refused at once instead of starving the node.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Api, Backend};
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
    let config = dir.join("rampart.yaml");
    std::fs::write(&config, format!("Plugins:\n{indented}")).unwrap();
    let mut env = backend.env();
    env.push((
        "RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD".into(),
        "Initial-Passw0rd".into(),
    ));
    let server = TestServer::start(dir, &env, &["--config", config.to_str().unwrap()])
        .await
        .expect("server starts");
    let staged = dir.join("hostile.wasm.tmp");
    std::fs::copy(test_plugin(plugin), &staged).unwrap();
    std::fs::rename(&staged, dir.join("data/plugins/hostile.wasm")).unwrap();
    let api = Api::new(&server);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while api.get("/admin/v1/plugins/hostile").await.0 != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "hostile never loaded");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server
}

/// `hostile` in `mode`, granted everything it asks for.
fn granted(mode: &str) -> String {
    format!("hostile:\n  Config: {{mode: {mode}}}\n  Grants: [log, config, clock]\n")
}

/// The plugin status of `hostile`.
async fn hostile_status(api: &Api) -> Value {
    let (status, body) = api.get("/admin/v1/plugins/hostile").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_panicking_validator_fails_each_command_cleanly_and_counts_it() {
    for backend in [Backend::Sqlite, Backend::postgres().await] {
        let dir = tempfile::tempdir().unwrap();
        let server = server_with(dir.path(), &backend, "hostile", &granted("panic")).await;
        let api = Api::new(&server);
        for n in 0..20 {
            let (status, body) = api
                .post("/v1/orgs", json!({ "name": format!("Org {n}") }))
                .await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
            assert_eq!(body["code"], "PLUGIN_FAILED", "{body}");
            let message = body["message"].as_str().unwrap();
            assert!(
                message.contains("plugin `hostile` failed in `validate`"),
                "{message}"
            );
        }
        // Nothing was stored: the bootstrap organization is the only one.
        let (_, orgs) = api.get("/v1/orgs").await;
        assert_eq!(orgs["total"], 1, "{orgs}");
        let stats = hostile_status(&api).await;
        assert_eq!(stats["calls"], 20, "{stats}");
        assert_eq!(stats["errors"], 20, "{stats}");
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
    let (status, body) = api.post("/v1/orgs", json!({ "name": "Clockwork" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body, json!({ "code": "WASI_CLOCK", "message": "0" }));
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
    let flood: Vec<_> = (0..16)
        .map(|n| {
            let api = Api::at(&api.url);
            tokio::spawn(async move {
                let sent = std::time::Instant::now();
                let answer = api
                    .post("/v1/orgs", json!({ "name": format!("Org {n}") }))
                    .await;
                (answer, sent.elapsed())
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
        let ((status, body), took) = answer.await.unwrap();
        match body["code"].as_str() {
            Some("PLUGIN_OVERLOADED") => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                // At once: a refused call waits for no running call, and any
                // call that ran or queued took at least the 1 s deadline.
                assert!(took < Duration::from_secs(1), "refused after {took:?}");
                assert!(
                    body["message"].as_str().unwrap().contains("`hostile`"),
                    "{body}"
                );
                overloaded += 1;
            }
            Some("PLUGIN_DEADLINE_EXCEEDED") => deadline += 1,
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
        stats["errors"], 16,
        "refusals count as failed calls: {stats}"
    );
    // The shipped validators before it in the chain count the refusals too.
    let (_, policy) = api.get("/admin/v1/plugins/org-domain-policy").await;
    assert_eq!(policy["errors"], overloaded, "{policy}");
}
