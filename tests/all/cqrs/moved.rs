//! A database dumped and restored into another PostgreSQL cluster keeps a
//! strictly increasing global order: the new cluster's transaction ids are
//! lower than the stored positions, and nothing pushed there may sort
//! before them.

use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};

use super::{Api, Backend, count, start};
use crate::support::{SecondCluster, TestDb, TestServer};

/// Transaction ids the source cluster must have passed, so that its
/// positions are far above a fresh cluster's ids.
const SOURCE_XIDS: i64 = 30_000;

/// Uses up transaction ids on the cluster of `db` until its next one is at
/// least `target`.
async fn burn_xids(db: &TestDb, target: i64) {
    let mut conn = db.connect().await;
    let (next,): (i64,) =
        sqlx::query_as("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    if next < target {
        conn.execute(
            format!(
                "DO $$ BEGIN FOR i IN 1..{} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$",
                target - next
            )
            .as_str(),
        )
        .await
        .unwrap();
    }
}

/// The position (transaction part) of `user`'s last event in the database
/// `name` on `port`.
async fn position_of(port: u16, name: &str, user: &str) -> i64 {
    let mut conn = PgConnection::connect(&format!("postgres://postgres@127.0.0.1:{port}/{name}"))
        .await
        .unwrap();
    let (tx,): (i64,) = sqlx::query_as(
        "SELECT max(tx_id) FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(user)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restored_into_another_cluster_keeps_its_order() {
    let source = TestDb::create().await;
    burn_xids(&source, SOURCE_XIDS).await;
    let name = source.name.clone();
    let source_port = source.config().port;
    let backend = Backend::Postgres(source);
    let dir = tempfile::tempdir().unwrap();
    let a = start(dir.path(), &backend, &[]).await;
    let api = Api::new(&a);
    let org = api.add_org("Moved").await;
    let before = api.add_user(&org, "before", None).await;
    a.terminate().await.unwrap();
    let old = position_of(source_port, &name, &before).await;

    let cluster = SecondCluster::start();
    let Backend::Postgres(db) = &backend else {
        unreachable!()
    };
    cluster.restore(db);
    let mut env = backend.env();
    env.retain(|(k, _)| k != "RAMPART_DATABASE_POSTGRES_PORT");
    env.push((
        "RAMPART_DATABASE_POSTGRES_PORT".into(),
        cluster.port.to_string(),
    ));
    let b = TestServer::start(dir.path(), &env, &[]).await.unwrap();
    let api = Api::new(&b);
    let after = api.add_user(&org, "after", None).await;
    // Read your writes: the spooler, restored at the old position, must
    // reach the new user's events.
    let user = api
        .ok(
            "rampart.user.v1.UserService/GetUser",
            json!({ "userId": after }),
        )
        .await;
    assert_eq!(user["user"]["username"], "after", "{user}");
    let list = api
        .ok(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": org }),
        )
        .await;
    assert_eq!(count(&list["details"]["total"]), 2, "{list}");
    let new = position_of(cluster.port, &name, &after).await;
    assert!(new > old, "new position {new} after the old {old}");
    let (_, log) = b.terminate().await.unwrap();
    assert!(log.contains("new positions continue above them"), "{log}");
}
