//! The real server over HTTP: debug endpoints, HTTP/1.1 and h2c on one port,
//! graceful shutdown.

use crate::support::{TestDb, TestServer};

#[tokio::test]
async fn a_fresh_start_serves_health_readiness_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let client = reqwest::Client::new();

    let health = client
        .get(format!("{}/debug/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let ready: serde_json::Value = client
        .get(format!("{}/debug/ready", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["store"], "sqlite");

    let metrics = client
        .get(format!("{}/debug/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    assert!(text.contains("rampart_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/debug/healthz\""), "{text}");

    let missing = client
        .get(format!("{}/nope", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let (status, log) = server.terminate().await.unwrap();
    assert!(
        status.success(),
        "graceful exit on SIGTERM: {status:?}\n{log}"
    );
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[tokio::test]
async fn http2_without_tls_is_served_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2
        .get(format!("{}/debug/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn a_postgres_node_is_ready_and_reports_its_backend() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = db.env();
    env.push((
        "RAMPART_MASTERKEY".into(),
        crate::support::TEST_MASTERKEY.to_owned(),
    ));
    let server = TestServer::start(dir.path(), &env, &[]).await.unwrap();
    let ready: serde_json::Value = reqwest::get(format!("{}/debug/ready", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["store"], "postgres");
    let (status, _) = server.terminate().await.unwrap();
    assert!(status.success());
}
