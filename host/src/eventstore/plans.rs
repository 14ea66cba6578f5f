//! The query plans of the reads that must stay cheap however large the store
//! grows, checked on both backends with statistics gathered over a store
//! where the aggregate read is the oldest of many of its type.

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{ConnectOptions, Connection, Executor, Postgres, Row, Sqlite};

use super::sql::select_positions;
use super::{AggregateRef, EventQuery};
use crate::test_pg::options as pg_options;

/// Users seeded before the plans are checked (4 events each).
const USERS: i64 = 5_000;

/// The read-your-writes check of a read by id: the position of the newest
/// event of one aggregate, here the oldest user of all.
fn newest_of_oldest_user() -> EventQuery {
    EventQuery::aggregate(&AggregateRef::new("inst", "user", "u0"))
        .descending()
        .limit(1)
}

#[tokio::test]
async fn sqlite_reads_the_newest_event_of_an_aggregate_through_its_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("plans.db"))
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("open");
    super::sqlite::MIGRATOR.run(&pool).await.expect("migrate");
    pool.execute(
        format!(
            "WITH RECURSIVE n(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM n WHERE u < {last}), \
                            s(s) AS (VALUES (1), (2), (3), (4)) \
             INSERT INTO events (tx_id, tx_index, instance_id, aggregate_type, aggregate_id, \
                                 sequence, event_type, revision, payload, creator, created_at) \
             SELECT u * 4 + s, 0, 'inst', 'user', 'u' || u, s, 'user.changed', 1, '{{}}', 'x', 0 \
               FROM n, s",
            last = USERS - 1
        )
        .as_str(),
    )
    .await
    .expect("seed");
    pool.execute("ANALYZE").await.expect("analyze");

    let sql = select_positions::<Sqlite>(&newest_of_oldest_user()).into_sql();
    let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind("inst")
        .bind("user")
        .bind("u0")
        .bind(1_i64)
        .fetch_all(&pool)
        .await
        .expect("explain")
        .iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect();
    assert!(
        plan.iter().any(|step| step.contains(
            "USING INDEX events_aggregate_sequence (instance_id=? AND aggregate_type=? AND aggregate_id=?)"
        )),
        "the aggregate's key serves the filter: {plan:?}"
    );
    assert!(
        !plan
            .iter()
            .any(|step| step.contains("TEMP B-TREE") || step.contains("events_type_position")),
        "no sort and no walk of the type's events: {plan:?}"
    );

    let newest: i64 = sqlx::query_scalar(&format!("SELECT tx_id FROM ({sql})"))
        .bind("inst")
        .bind("user")
        .bind("u0")
        .bind(1_i64)
        .fetch_one(&pool)
        .await
        .expect("query");
    assert_eq!(newest, 4, "the position of the aggregate's newest event");
    pool.close().await;
}

#[tokio::test]
async fn postgres_reads_the_newest_event_of_an_aggregate_through_its_key() {
    let name = format!("rampart_plans_{}", rand::random::<u64>());
    let mut admin = pg_options("postgres")
        .connect()
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (user postgres, trust)");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    let checked = async {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            // As production connections are (host/src/eventstore/postgres/connect.rs).
            .connect_with(pg_options(&name).options([("plan_cache_mode", "force_generic_plan")]))
            .await
            .expect("connect");
        super::postgres::migrator()
            .run(&pool)
            .await
            .expect("migrate");
        sqlx::query(
            "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, \
                                 tx_index, event_type, revision, payload, creator, created_at) \
             SELECT 'inst', 'user', 'u' || u, s, u * 4 + s, 0, 'user.changed', 1, '{}', 'x', now() \
               FROM generate_series(0, $1 - 1) AS u, generate_series(1, 4) AS s",
        )
        .bind(USERS)
        .execute(&pool)
        .await
        .expect("seed");
        pool.execute("ANALYZE events").await.expect("analyze");

        let sql = select_positions::<Postgres>(&newest_of_oldest_user()).into_sql();
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN {sql}"))
            .bind("inst")
            .bind("user")
            .bind("u0")
            .bind(1_i64)
            .fetch_all(&pool)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect();
        pool.close().await;
        plan
    }
    .await;
    let _ = admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await;
    let _ = admin.close().await;
    assert!(
        checked
            .iter()
            .any(|step| step.contains("Index Scan Backward using events_aggregate_sequence")),
        "one backward probe of the aggregate's key: {checked:?}"
    );
    assert!(
        !checked.iter().any(|step| step.contains("Sort")),
        "no sort: {checked:?}"
    );
}
