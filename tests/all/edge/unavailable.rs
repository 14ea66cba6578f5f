//! A database that is away makes API methods answer 503 `unavailable` with
//! `Retry-After`, never 500 and never the database's own words — whether
//! the gate (instance, credential) or the method needed it; the server
//! recovers on its own, and the projection status forgets the error once
//! it has.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

use super::proxy::Proxy;
use crate::cqrs::{Backend, start};
use crate::support::{Api, TestDb, TestServer, user_body};

/// One answer: status, `Retry-After`, body.
type Seen = (StatusCode, Option<String>, Value);

/// A Connect JSON client that keeps `Retry-After`, calling as the first
/// instance's API administrator.
#[derive(Clone)]
struct Probe {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Probe {
    fn new(server: &TestServer) -> Self {
        Self {
            url: server.url.clone(),
            token: server.admin_token(),
            client: reqwest::Client::new(),
        }
    }

    /// Calls `method` (`rampart.org.v1.OrgService/AddOrg`) with `body`.
    async fn call(&self, method: &str, body: Value) -> Seen {
        let response = self
            .client
            .post(format!("{}/{method}", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        (
            status,
            retry,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Asserts `seen` is a success or a well-formed 503; returns whether it was a 503.
fn success_or_unavailable(what: &str, (status, retry, body): &Seen) -> bool {
    if status.is_success() {
        return false;
    }
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(retry.as_deref(), Some("1"), "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        body["code"] == "unavailable" && message.contains("reference"),
        "{what}: {body}"
    );
    assert!(
        super::reason(body).is_some_and(|r| !r.is_empty()),
        "{what}: an ErrorInfo reason: {body}"
    );
    for words in [
        "terminating connection",
        "pool timed out",
        "error communicating",
        "locked",
        "SQLSTATE",
    ] {
        assert!(!message.contains(words), "database text leaked: {body}");
    }
    true
}

/// Creates an org and a user in it, reads both back and lists users: every
/// answer, in order.
async fn round(probe: &Probe, n: usize) -> Vec<Seen> {
    let org = probe
        .call(
            "rampart.org.v1.OrgService/AddOrg",
            json!({ "name": format!("Org {n}") }),
        )
        .await;
    let mut seen = vec![org.clone()];
    if let Some(id) = org.2["orgId"].as_str() {
        seen.push(
            probe
                .call("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": id }))
                .await,
        );
        let body = user_body(id, &format!("user{n}"), None);
        let user = probe
            .call("rampart.user.v1.UserService/AddHumanUser", body)
            .await;
        if let Some(uid) = user.2["userId"].as_str() {
            seen.push(
                probe
                    .call(
                        "rampart.user.v1.UserService/GetUser",
                        json!({ "userId": uid }),
                    )
                    .await,
            );
        }
        seen.push(user);
    }
    seen.push(
        probe
            .call(
                "rampart.user.v1.UserService/ListUsers",
                json!({ "query": { "limit": 5 } }),
            )
            .await,
    );
    seen
}

/// Waits until every spooler reports no error; fails after `limit`.
async fn projections_recover(api: &Api, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let (status, report) = api
            .call(
                "rampart.projection.v1.ProjectionService/ListProjections",
                json!({}),
            )
            .await;
        let errors: Vec<&Value> = report["projections"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["generations"].as_array().into_iter().flatten())
            .map(|g| &g["spooler"]["lastError"])
            .filter(|e| !e.is_null())
            .collect();
        if status == StatusCode::OK && errors.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projections still report an error after recovering: {report}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn terminated_connections_answer_503_with_retry_after_never_500() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let Backend::Postgres(db) = &backend else {
        unreachable!()
    };
    let server = start(dir.path(), &backend, &[]).await;
    let api = Api::new(&server);
    api.add_org("Before").await;

    // Terminate every connection of the server, over and over, while
    // clients create and read.
    let stop = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn({
        let stop = stop.clone();
        let mut conn = db.connect().await;
        let name = db.name.clone();
        async move {
            let mut killed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let sql = format!(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                );
                let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap();
                killed += n as u64;
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            killed
        }
    });
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let probe = Probe::new(&server);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for n in 0..10 {
                    seen.extend(round(&probe, c * 100 + n).await);
                }
                seen
            })
        })
        .collect();
    let mut seen = Vec::new();
    for c in clients {
        seen.extend(c.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let killed = killer.await.unwrap();
    let unavailable = seen
        .iter()
        .filter(|s| success_or_unavailable("under terminations", s))
        .count();
    assert!(killed > 0, "the loop terminated connections");
    eprintln!(
        "terminated {killed} connections; {} answers, {unavailable} of them 503",
        seen.len()
    );

    // The service recovers by itself.
    recovers(&api, Duration::from_secs(15)).await;
    projections_recover(&api, Duration::from_secs(15)).await;
    server.terminate().await.unwrap();
}

/// Waits until an org can be created and read back (503s meanwhile, as
/// the pool reconnects and the spoolers take their leads again).
async fn recovers(api: &Api, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let (status, body) = api
            .call(
                "rampart.org.v1.OrgService/AddOrg",
                json!({ "name": format!("After {}", rand::random::<u32>()) }),
            )
            .await;
        if let Some(id) = body["orgId"].as_str() {
            let (status, body) = api
                .call("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": id }))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            return;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        eprintln!("not yet recovered: {body}");
        assert!(
            Instant::now() < deadline,
            "no recovery within {limit:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_database_outage_answers_503_then_recovers_and_the_projections_forget_it() {
    let db = TestDb::create().await;
    let config = db.config();
    let proxy = Proxy::start(format!("{}:{}", config.host, config.port)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = db
        .env()
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "RAMPART_DATABASE_POSTGRES_PORT" => (k, proxy.port.to_string()),
            _ => (k, v),
        })
        .collect();
    env.push((
        "RAMPART_MASTERKEY".into(),
        crate::support::TEST_MASTERKEY.to_owned(),
    ));
    env.push((
        "RAMPART_DATABASE_POSTGRES_CONNECTTIMEOUT".into(),
        "500ms".into(),
    ));
    let server = TestServer::start(dir.path(), &env, &[]).await.unwrap();
    let api = Api::new(&server);
    let probe = Probe::new(&server);
    let org = api.add_org("Before").await;

    // The database goes away: every answer that needs it is a 503, the
    // gate's lookups (instance, credential) included.
    proxy.cut();
    let outage = Instant::now();
    let mut rounds = 0;
    while outage.elapsed() < Duration::from_secs(3) {
        for (method, body) in [
            ("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": org })),
            ("rampart.org.v1.OrgService/ListOrgs", json!({})),
            (
                "rampart.projection.v1.ProjectionService/ListProjectionFailures",
                json!({ "name": "users" }),
            ),
            (
                "rampart.event.v1.EventService/ListEvents",
                json!({ "aggregateType": "org", "aggregateId": org }),
            ),
        ] {
            let read = probe.call(method, body).await;
            assert!(
                success_or_unavailable("a read during the outage", &read),
                "{method}: {read:?}"
            );
        }
        for seen in round(&probe, rounds).await {
            assert!(
                success_or_unavailable("during the outage", &seen),
                "{seen:?}"
            );
        }
        rounds += 1;
    }
    let ready = reqwest::get(format!("{}/debug/ready", api.url))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.headers()["retry-after"], "1");

    // It comes back: the projections drop their error without any new
    // event to apply, then writes and reads work again.
    proxy.restore();
    projections_recover(&api, Duration::from_secs(15)).await;
    let after = api.add_org("After").await;
    api.ok(
        "rampart.org.v1.OrgService/GetOrg",
        json!({ "orgId": after }),
    )
    .await;
    let seen = round(&probe, 999).await;
    assert!(seen.iter().all(|s| s.0.is_success()), "{seen:?}");
    let (_, log) = server.terminate().await.unwrap();
    assert!(
        log.contains("cannot reach the leader lock") || log.contains("cannot read events"),
        "the spoolers met the outage: {log}"
    );
}

#[tokio::test]
async fn a_locked_sqlite_store_answers_503_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &Backend::Sqlite,
        &[("RAMPART_DATABASE_SQLITE_BUSYTIMEOUT", "100ms")],
    )
    .await;
    let api = Api::new(&server);
    let probe = Probe::new(&server);
    api.add_org("Before").await;

    // Another process holds the write lock: writes answer 503, every one.
    let path = dir.path().join("data/rampart.db");
    let mut holder = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    holder.execute("BEGIN EXCLUSIVE").await.unwrap();
    for (method, body) in [
        (
            "rampart.org.v1.OrgService/AddOrg",
            json!({ "name": "Blocked" }),
        ),
        (
            "rampart.instance.v1.InstanceService/AddMyInstanceDomain",
            json!({ "domain": "blocked.example" }),
        ),
    ] {
        let seen = probe.call(method, body).await;
        assert_eq!(
            seen.0,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method}: {seen:?}"
        );
        assert!(success_or_unavailable(method, &seen));
    }

    holder.execute("ROLLBACK").await.unwrap();
    drop(holder);
    let org = api.add_org("After").await;
    api.ok("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": org }))
        .await;
    server.terminate().await.unwrap();
}
