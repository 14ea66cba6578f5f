//! The local PostgreSQL of the benches (`#[path]`-included): a fresh
//! database per run, and the raw single-row INSERT ceiling on a table of
//! the `events` table's shape.
//!
//! 127.0.0.1:5432, user postgres, trust auth; `RAMPART_TEST_PG_HOST`,
//! `_PORT`, `_USER` and `_PASSWORD` override.

use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use crate::load::{Saturation, saturate};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// A fresh database, dropped by [`Db::drop_now`].
pub(crate) struct Db {
    /// Its name.
    pub(crate) name: String,
}

impl Db {
    /// Creates `rampart_bench_<random>`.
    pub(crate) async fn create() -> Self {
        let name = format!("rampart_bench_{}", rand::random::<u32>());
        let mut admin = PgConnection::connect(&Self::url("postgres")).await.expect(
            "PostgreSQL must run on 127.0.0.1:5432 (override with RAMPART_TEST_PG_HOST/PORT/USER)",
        );
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create database");
        Self { name }
    }

    /// The URL of `database` on the bench's server.
    pub(crate) fn url(database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{database}",
            env_or("RAMPART_TEST_PG_USER", "postgres"),
            env_or("RAMPART_TEST_PG_PASSWORD", ""),
            env_or("RAMPART_TEST_PG_HOST", "127.0.0.1"),
            env_or("RAMPART_TEST_PG_PORT", "5432"),
        )
    }

    /// The `Database.Postgres` settings of a node on this database.
    pub(crate) fn config(&self) -> rampart::config::PostgresConfig {
        rampart::config::PostgresConfig {
            host: env_or("RAMPART_TEST_PG_HOST", "127.0.0.1"),
            port: env_or("RAMPART_TEST_PG_PORT", "5432")
                .parse()
                .expect("port"),
            user: env_or("RAMPART_TEST_PG_USER", "postgres"),
            password: env_or("RAMPART_TEST_PG_PASSWORD", ""),
            database: self.name.clone(),
            ssl_mode: rampart::config::PgSslMode::Disable,
            max_open_conns: 40,
            ..rampart::config::Config::defaults().database.postgres
        }
    }

    /// The `RAMPART_*` variables that put a `rampart start` on this
    /// database.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let c = self.config();
        [
            ("RAMPART_DATABASE_BACKEND", "postgres".to_owned()),
            ("RAMPART_DATABASE_POSTGRES_HOST", c.host.clone()),
            ("RAMPART_DATABASE_POSTGRES_PORT", c.port.to_string()),
            ("RAMPART_DATABASE_POSTGRES_USER", c.user.clone()),
            ("RAMPART_DATABASE_POSTGRES_PASSWORD", c.password.clone()),
            ("RAMPART_DATABASE_POSTGRES_DATABASE", c.database.clone()),
            ("RAMPART_DATABASE_POSTGRES_SSLMODE", "disable".to_owned()),
            (
                "RAMPART_DATABASE_POSTGRES_MAXOPENCONNS",
                c.max_open_conns.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Drops the database, whoever is still connected.
    pub(crate) async fn drop_now(self) {
        if let Ok(mut admin) = PgConnection::connect(&Self::url("postgres")).await {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await;
        }
    }
}

/// The raw single-row INSERT ceiling in `db`, whose `events` table exists
/// (a node migrated it): `raw_events` has the columns of `events` and its
/// primary key `(instance_id, aggregate_type, aggregate_id, sequence)`, and
/// no other index (not `events_position`); `clients` tasks each INSERT one
/// row of a user-creation event per transaction (autocommit) over a sqlx
/// pool of `clients` connections, closed loop.
pub(crate) struct Ceiling {
    pool: sqlx::PgPool,
}

impl Ceiling {
    /// Creates `raw_events` (empty) and the pool.
    pub(crate) async fn prepare(db: &Db, clients: usize) -> Self {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(clients as u32)
            .min_connections(clients as u32)
            .connect(&Db::url(&db.name))
            .await
            .expect("pool");
        pool.execute(
            "DROP TABLE IF EXISTS raw_events; \
             CREATE TABLE raw_events (LIKE events INCLUDING DEFAULTS); \
             ALTER TABLE raw_events ADD PRIMARY KEY \
                 (instance_id, aggregate_type, aggregate_id, sequence)",
        )
        .await
        .expect("create raw_events (a node must have migrated `events`)");
        Self { pool }
    }

    /// Rows per second, `clients` concurrent inserters.
    pub(crate) async fn measure(
        &self,
        clients: usize,
        warmup: Duration,
        window: Duration,
    ) -> Saturation {
        let pool = self.pool.clone();
        let round = rand::random::<u32>();
        saturate(clients, warmup, window, move |_, n| {
            let pool = pool.clone();
            async move {
                let username = format!("raw{round}x{n}");
                let payload = serde_json::json!({
                    "orgId": "0198a0d6c0a37c11b1e1f3d9a3f0c2b1",
                    "username": username,
                    "profile": { "givenName": "Bench", "familyName": "User" },
                    "email": { "address": format!("{username}@bench.example"), "verified": true },
                });
                sqlx::query(
                    "INSERT INTO raw_events (instance_id, aggregate_type, aggregate_id, sequence, \
                         tx_id, tx_index, event_type, revision, payload, creator, created_at) \
                     VALUES ('0198a0d6c0a37c11b1e1f3d9a3f0c2b0', 'user', $1, 1, \
                         pg_current_xact_id()::text::bigint, 0, 'user.human.added', 1, $2, \
                         '0198a0d6c0a37c11b1e1f3d9a3f0c2b2', now())",
                )
                .bind(uuid::Uuid::now_v7().simple().to_string())
                .bind(payload)
                .execute(&pool)
                .await
                .is_ok()
            }
        })
        .await
    }

    /// What was measured, exactly, for the report.
    pub(crate) fn describe(clients: usize) -> String {
        format!(
            "raw single-row INSERT into raw_events (the columns of `events`, PRIMARY KEY \
             (instance_id, aggregate_type, aggregate_id, sequence), no other index), one row \
             per transaction, {clients} clients over {clients} sqlx connections"
        )
    }

    /// Closes the pool.
    pub(crate) async fn close(self) {
        self.pool.close().await;
    }
}
