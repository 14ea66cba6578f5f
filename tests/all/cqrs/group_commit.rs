//! Given a server on PostgreSQL with one commit slot, when 32 clients
//! create users at once over HTTP, half of them asking for a username
//! another client asks for too, then the creates shared transactions, and
//! still each got its own answer: one of each pair created, the other told
//! the name is taken; every created user is readable.
//!
//! Whether creates arrive while the slot is busy depends on the machine, so
//! the test makes the slot busy: a transaction of its own holds the events
//! table while the creates are sent, the first push waits for it in the
//! slot, and the others queue behind it.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::{Connection, Executor};

use super::{Api, Backend, start, user_body};

const ADD_HUMAN: &str = "rampart.user.v1.UserService/AddHumanUser";
const GET_USER: &str = "rampart.user.v1.UserService/GetUser";
const CLIENTS: usize = 32;

/// `rampart_eventstore_pushes_total{commit="shared"}` of the server.
async fn shared_pushes(url: &str) -> f64 {
    let metrics = reqwest::get(format!("{url}/debug/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("rampart_eventstore_pushes_total{commit=\"shared\"}"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Returns once a statement waits for a lock in the database `conn` is
/// connected to (the commit slot's push, waiting for the events table).
async fn wait_for_a_blocked_push(conn: &mut sqlx::PgConnection) {
    let since = Instant::now();
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_locks WHERE NOT granted \
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "no push reached the events table in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn concurrent_creates_share_transactions_and_each_gets_its_own_answer() {
    let backend = Backend::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &backend,
        &[("RAMPART_DATABASE_POSTGRES_COMMITSLOTS", "1")],
    )
    .await;
    let Backend::Postgres(db) = &backend else {
        unreachable!("group commit is PostgreSQL's")
    };
    let api = Api::new(&server);
    let org = api.add_org("Crowded").await;
    let mut blocker = db.connect().await;

    // Rounds until the creates did share a transaction (they arrive at
    // once, but a debug build may still serve them one by one).
    for round in 0..10 {
        let mut hold = blocker.begin().await.unwrap();
        hold.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            .await
            .unwrap();
        let creates: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (api, org) = (api.clone(), org.clone());
                let username = format!("r{round}-pair{}", c / 2);
                tokio::spawn(async move {
                    let answer = api.call(ADD_HUMAN, user_body(&org, &username, None)).await;
                    (username, answer)
                })
            })
            .collect();
        wait_for_a_blocked_push(&mut hold).await;
        // Time for the other creates to pass their validators and queue.
        tokio::time::sleep(Duration::from_secs(1)).await;
        hold.commit().await.unwrap();
        let answers: Vec<_> = futures::future::join_all(creates)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        for pair in answers.chunks(2) {
            let created: Vec<_> = pair
                .iter()
                .filter(|(_, (status, _))| status.as_u16() == 200)
                .collect();
            assert_eq!(created.len(), 1, "one create per username: {pair:?}");
            let (username, (_, body)) = created[0];
            let taken = pair.iter().find(|(_, (status, _))| status.as_u16() != 200);
            let (_, (status, refused)) = taken.expect("the other create refused");
            assert_eq!(status.as_u16(), 409, "{refused}");
            assert_eq!(refused["code"], "already_exists", "{refused}");
            let user = api.ok(GET_USER, json!({ "userId": body["userId"] })).await;
            assert_eq!(user["user"]["username"], username.as_str(), "{user}");
        }
        if shared_pushes(&server.url).await > 0.0 {
            return;
        }
    }
    panic!("no create shared a transaction in 10 rounds of {CLIENTS} at once");
}
