//! Given a server on PostgreSQL, when another application holds a transaction
//! open (in Rampart's database or in another one on the same server), then
//! users created meanwhile read back at once; when a push itself stays open,
//! then reads of later writes wait for it, and the node says so: lag in
//! seconds, the oldest-open-push gauge and `/debug/ready` (200, `degraded`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Executor, PgConnection};

use super::{Api, Backend, assert_error, count, debug_get, start};
use crate::support::TestDb;

const GET_USER: &str = "rampart.user.v1.UserService/GetUser";

/// How long the foreign transactions stay open.
const HOLD: Duration = Duration::from_secs(10);

/// Opens a transaction on `conn` that holds a transaction id.
async fn hold_transaction(conn: &mut PgConnection, write: &str) {
    conn.execute("BEGIN").await.unwrap();
    conn.execute(write).await.unwrap();
}

/// Creates a user and reads it back by id; returns how long the read took.
async fn create_and_read(api: &Api, org: &str, username: &str) -> Duration {
    let user = api.add_user(org, username, None).await;
    let asked = Instant::now();
    let (status, body) = api.call(GET_USER, json!({ "userId": user })).await;
    let took = asked.elapsed();
    assert_eq!(status, StatusCode::OK, "{username}: {body}");
    assert_eq!(body["user"]["username"], username);
    took
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn reads_of_own_writes_do_not_wait_for_other_applications() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(dir.path(), &backend, &[]).await;
    let api = Api::new(&server);
    let Backend::Postgres(db) = &backend else {
        unreachable!()
    };
    let org = api.add_org("Horizon").await;
    let baseline: Vec<_> = create_and_read_many(&api, &org, "before", 10).await;

    let mut here = db.connect().await;
    here.execute("CREATE TABLE other_app (n INT)")
        .await
        .unwrap();
    hold_transaction(&mut here, "INSERT INTO other_app VALUES (1)").await;
    let other_db = TestDb::create().await;
    let mut there = other_db.connect().await;
    hold_transaction(&mut there, "SELECT pg_current_xact_id()").await;

    let started = Instant::now();
    let mut held = Vec::new();
    while started.elapsed() < HOLD {
        held.push(create_and_read(&api, &org, &format!("held{}", held.len())).await);
    }
    here.execute("ROLLBACK").await.unwrap();
    there.execute("ROLLBACK").await.unwrap();

    let slowest = held.iter().max().copied().unwrap_or_default();
    let (before, during) = (median(baseline), median(held.clone()));
    eprintln!(
        "{} users created and read back beside two open foreign transactions: \
         median read {during:?} (before: {before:?}), slowest {slowest:?}",
        held.len()
    );
    assert!(held.len() >= 20, "only {} users in {HOLD:?}", held.len());
    assert!(slowest < Duration::from_secs(1), "slowest read {slowest:?}");
    assert!(
        during <= before * 5 + Duration::from_millis(20),
        "median read {during:?} against {before:?} before"
    );
}

/// `n` users created and read back one after the other.
async fn create_and_read_many(api: &Api, org: &str, prefix: &str, n: usize) -> Vec<Duration> {
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        took.push(create_and_read(api, org, &format!("{prefix}{i}")).await);
    }
    took
}

#[tokio::test]
async fn a_stuck_push_shows_in_lag_metrics_and_readiness_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(
        dir.path(),
        &backend,
        &[("RAMPART_PROJECTIONS_READYOURWRITESTIMEOUT", "1s")],
    )
    .await;
    let api = Api::new(&server);
    let Backend::Postgres(db) = &backend else {
        unreachable!()
    };
    let org = api.add_org("Stuck").await;
    create_and_read(&api, &org, "before").await;
    let (status, ready) = debug_get(&api.url, "/debug/ready").await;
    assert_eq!(
        (status, &ready["status"]),
        (StatusCode::OK, &Value::from("ready"))
    );

    // A push that takes its position and does not end.
    let mut stuck = db.connect().await;
    hold_transaction(
        &mut stuck,
        "SELECT * FROM rampart_push(ARRAY['elsewhere'], ARRAY['thing'], ARRAY['t1'], \
         ARRAY[0::bigint], ARRAY[1], ARRAY['thing.happened'], ARRAY[1::smallint], \
         ARRAY['{}'::jsonb], ARRAY['x'], '{}', '{}', '{}', '{}')",
    )
    .await;
    let opened = Instant::now();

    let user = api.add_user(&org, "after", None).await;
    // The projection cannot pass the open push.
    let answer = api.call(GET_USER, json!({ "userId": user })).await;
    assert_error(
        &answer,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "UNAVAILABLE",
    );

    tokio::time::sleep(Duration::from_millis(5_500).saturating_sub(opened.elapsed())).await;
    let (status, ready) = debug_get(&api.url, "/debug/ready").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["status"], "degraded", "{ready}");
    assert!(
        ready["reason"]
            .as_str()
            .is_some_and(|r| r.contains("oldest open push")),
        "{ready}"
    );
    assert!(
        ready["oldestOpenPushSeconds"].as_f64() >= Some(5.0),
        "{ready}"
    );
    let gauge = metric(&api, "rampart_eventstore_oldest_open_push_seconds").await;
    assert!(gauge >= 4.0, "gauge {gauge}");
    let projections = api
        .ok(
            "rampart.projection.v1.ProjectionService/ListProjections",
            json!({}),
        )
        .await;
    let users = projections["projections"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "users"))
        .unwrap_or_else(|| panic!("{projections}"));
    let serving = &users["generations"][0];
    assert_eq!(serving["status"], "GENERATION_STATUS_SERVING", "{serving}");
    assert!(count(&serving["lagEvents"]) >= 1, "{serving}");
    assert!(serving["lagSeconds"].as_f64() >= Some(4.0), "{serving}");

    stuck.execute("COMMIT").await.unwrap();
    let (status, body) = api.call(GET_USER, json!({ "userId": user })).await;
    assert_eq!(status, StatusCode::OK, "read once the push ended: {body}");
    assert_eq!(body["user"]["username"], "after");
    let (status, ready) = debug_get(&api.url, "/debug/ready").await;
    assert_eq!(
        (status, &ready["status"]),
        (StatusCode::OK, &Value::from("ready"))
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while metric(&api, "rampart_eventstore_oldest_open_push_seconds").await > 0.0 {
        assert!(Instant::now() < deadline, "the gauge did not drop to 0");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The value of an unlabelled gauge in `/debug/metrics`.
async fn metric(api: &Api, name: &str) -> f64 {
    let (_, text) = debug_get(&api.url, "/debug/metrics").await;
    let text = text.as_str().unwrap_or_else(|| panic!("{text}"));
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}
