//! The CQRS path under load, on the local PostgreSQL (127.0.0.1:5432,
//! postgres, trust auth; `RAMPART_TEST_PG_*` override), each section in a
//! fresh database:
//!
//! - `create`: `UserService/AddHumanUser` (no password) against the real
//!   server binary from 32 concurrent clients: on PostgreSQL in rounds
//!   alternating with two ceilings from 32 clients (single-row INSERTs into
//!   a plain table with a primary key, and into a copy of `events` with all
//!   its indexes), with how many pushes shared a transaction; then on
//!   SQLite;
//! - `catchup`: the `users` projection plugin replaying 1,000,000 events;
//! - `get`: `UserService/GetUser` (with its read-your-writes check) at an
//!   open-loop 1,000 requests per second, and creates each followed at once
//!   by a read of the new user at 100 per second; latencies run from the
//!   scheduled send, successes only;
//! - `read-by-id` (both backends) or `read-by-id-sqlite` /
//!   `read-by-id-postgres`: a store of 100,000 users (seeded through the
//!   eventstore API while the server is down, then projected by the
//!   restarted server), read by id (`GetUser`) from 32 connections, the 1,000
//!   oldest and the 1,000 newest users apart: the closed-loop rate, then
//!   latency at an open-loop 5,000 requests per second; beside the rate of
//!   `GET /debug/healthz` from the same 32 connections (the HTTP ceiling of
//!   this box); then every user once, and the server's memory afterwards.
//!
//! - `list-users` (both backends): the same 100,000 seeded users, listed
//!   by `UserService/ListUsers` with a username-prefix filter (3 to 5
//!   digits after the common prefix, 20 a page, sorted by username), and
//!   by organization and state a page at a time (the whole org matches):
//!   open loop, latency from the scheduled send, successes only;
//! - `check-authorization` (both backends): 100,000 authorizations seeded
//!   on one project, and `AuthorizationService/GetUserProjectRoles` for
//!   random authorized users (answers checked first), open loop; then the
//!   same check as a token issuer makes it, `Queries::project_roles` in a
//!   node of the bench's own process, beside the scheduling floor of the
//!   box.
//!
//! API calls are Connect JSON (`POST /<package>.<Service>/<Method>`) with
//! the first instance's API administrator token.
//!
//! `cargo bench -p rampart --bench cqrs [create|catchup|get|read-by-id|read-by-id-sqlite|read-by-id-postgres|list-users|check-authorization]`

#![allow(missing_docs)]

// Shared with other benches: not every helper is used here.
#[allow(dead_code)]
#[path = "support/load.rs"]
mod load;

#[path = "support/serve.rs"]
mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart::config::{Config, PostgresConfig};
use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::sqlite::SqliteStore;
use rampart::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, Limits, NewEvent, Push,
};
use rampart::plugins::PluginRegistry;
use rampart::readmodel::ReadStore;
use rampart::spooler::{Leadership, Spoolers};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use support::Probe;

const CLIENTS: usize = 32;
const CREATE_SECONDS: f64 = 5.0;
const REPLAY_USERS: i64 = 250_000;
const GET_RATE: u64 = 1_000;
const GET_SECONDS: u64 = 10;
/// Clients sending the open-loop reads (more than the rate ever keeps busy).
const GET_CLIENTS: usize = 64;
/// The open-loop rate of create-then-read requests.
const RYW_RATE: u64 = 100;
const ADD_ORG: &str = "rampart.org.v1.OrgService/AddOrg";
const ADD_HUMAN: &str = "rampart.user.v1.UserService/AddHumanUser";
const GET_USER: &str = "rampart.user.v1.UserService/GetUser";

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("CQRS benchmark (PostgreSQL unless a section names SQLite)\n");
        if runs("create") {
            create().await;
        }
        if runs("catchup") {
            catchup().await;
        }
        if runs("get") {
            get().await;
        }
        if runs("read-by-id") || runs("read-by-id-sqlite") {
            read_by_id(ReadBackend::Sqlite).await;
        }
        if runs("read-by-id") || runs("read-by-id-postgres") {
            read_by_id(ReadBackend::Postgres).await;
        }
        for backend in [ReadBackend::Sqlite, ReadBackend::Postgres] {
            if runs("list-users") {
                list_users(backend).await;
            }
        }
        for backend in [ReadBackend::Sqlite, ReadBackend::Postgres] {
            if runs("check-authorization") {
                check_authorization(backend).await;
            }
        }
    });
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// A fresh database, dropped when the guard goes.
struct Db {
    name: String,
}

impl Db {
    async fn create() -> Self {
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

    fn url(database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{database}",
            env_or("RAMPART_TEST_PG_USER", "postgres"),
            env_or("RAMPART_TEST_PG_PASSWORD", ""),
            env_or("RAMPART_TEST_PG_HOST", "127.0.0.1"),
            env_or("RAMPART_TEST_PG_PORT", "5432"),
        )
    }

    fn config(&self) -> PostgresConfig {
        PostgresConfig {
            host: env_or("RAMPART_TEST_PG_HOST", "127.0.0.1"),
            port: env_or("RAMPART_TEST_PG_PORT", "5432")
                .parse()
                .expect("port"),
            user: env_or("RAMPART_TEST_PG_USER", "postgres"),
            password: env_or("RAMPART_TEST_PG_PASSWORD", ""),
            database: self.name.clone(),
            ssl_mode: rampart::config::PgSslMode::Disable,
            ..Config::defaults().database.postgres
        }
    }

    async fn drop_now(self) {
        if let Ok(mut admin) = PgConnection::connect(&Self::url("postgres")).await {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await;
        }
    }
}

/// The release `rampart` binary serving on `db`.
struct Server {
    url: String,
    /// The first instance's API administrator token.
    token: Arc<str>,
    child: tokio::process::Child,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    async fn start(db: &Db) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = Self::spawn(dir.path(), &postgres_env(db)).await;
        server._dir = Some(dir);
        server
    }

    /// Starts `rampart start` in `dir` with `env` (on top of the bench's
    /// defaults) and waits until `/debug/ready` answers 200.
    async fn spawn(dir: &std::path::Path, env: &[(String, String)]) -> Self {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.arg("start")
            .current_dir(dir)
            .env("RAMPART_PORT", "0")
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .env("RAMPART_LOG_LEVEL", "warn")
            .env("RAMPART_MASTERKEY", "Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe")
            .env("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "Bench-Passw0rd")
            .envs(env.iter().cloned())
            .stderr(Stdio::inherit());
        let (url, child) = support::serve(cmd).await;
        Self {
            url,
            token: support::admin_token(dir),
            child,
            _dir: None,
        }
    }

    /// A call of `method` with `body` as the administrator.
    fn call(&self, method: &str, body: &serde_json::Value) -> Probe {
        Probe::call(&self.url, &self.token, method, body)
    }

    /// Reads user `id`.
    fn get_user(&self, id: &str) -> Probe {
        self.call(GET_USER, &json!({ "userId": id }))
    }

    async fn org(&self, client: &reqwest::Client) -> String {
        let name = format!("Bench {}", rand::random::<u32>());
        let created = support::call_ok(
            client,
            &self.url,
            &self.token,
            ADD_ORG,
            json!({ "name": name }),
        )
        .await;
        created["orgId"].as_str().expect("org id").to_owned()
    }

    /// Creates user `username` (no password) in `org`; returns its id.
    async fn user(&self, client: &reqwest::Client, org: &str, username: &str) -> String {
        let body = user_body(org, username);
        let created = support::call_ok(client, &self.url, &self.token, ADD_HUMAN, body).await;
        created["userId"].as_str().expect("id").to_owned()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// `rampart_eventstore_pushes_total{commit="<commit>"}` from
    /// `/debug/metrics` (0 before the first push).
    async fn pushes_metric(&self, commit: &str) -> f64 {
        let text = reqwest::get(format!("{}/debug/metrics", self.url))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let series = format!("rampart_eventstore_pushes_total{{commit=\"{commit}\"}}");
        text.lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Resident and peak resident memory of the server process, in MiB.
    fn memory(&self) -> (f64, f64) {
        let status = self
            .child
            .id()
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGTERM, then waits for the process to exit (it releases the SQLite
    /// directory lock on the way out).
    async fn terminate(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

/// `RAMPART_*` variables that put a server on `db`.
fn postgres_env(db: &Db) -> Vec<(String, String)> {
    let c = db.config();
    [
        ("RAMPART_DATABASE_BACKEND", "postgres".to_owned()),
        ("RAMPART_DATABASE_POSTGRES_HOST", c.host.clone()),
        ("RAMPART_DATABASE_POSTGRES_PORT", c.port.to_string()),
        ("RAMPART_DATABASE_POSTGRES_USER", c.user.clone()),
        ("RAMPART_DATABASE_POSTGRES_PASSWORD", c.password.clone()),
        ("RAMPART_DATABASE_POSTGRES_DATABASE", c.database.clone()),
        ("RAMPART_DATABASE_POSTGRES_SSLMODE", "disable".to_owned()),
        ("RAMPART_DATABASE_POSTGRES_MAXOPENCONNS", "40".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn user_body(org: &str, username: &str) -> serde_json::Value {
    json!({
        "orgId": org,
        "username": username,
        "profile": { "givenName": "Bench", "familyName": "User" },
        "email": { "address": format!("{username}@bench.example"), "verified": true },
    })
}

/// `AddHumanUser` (no password) from 32 clients over HTTP, on PostgreSQL
/// against the two ceilings measured in alternating rounds of the same run,
/// then on SQLite.
async fn create() {
    let db = Db::create().await;
    let server = Server::start(&db).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let org = server.org(&client).await;
    // The ceilings' tables live beside the server's `events`, whose copy
    // takes all its indexes.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CLIENTS as u32)
        .connect(&Db::url(&db.name))
        .await
        .expect("pool");
    for table in [
        "CREATE TABLE raw_insert (id TEXT PRIMARY KEY, payload JSONB NOT NULL)",
        "CREATE TABLE events_copy (LIKE events INCLUDING ALL)",
    ] {
        sqlx::query(table).execute(&pool).await.expect("table");
    }
    let window = load::window(CREATE_SECONDS);
    let rounds = load::rounds(3);
    let shared_before = server.pushes_metric("shared").await;
    let alone_before = server.pushes_metric("alone").await;
    let (mut plain, mut copy, mut http) = (Vec::new(), Vec::new(), Vec::new());
    let (mut to_plain, mut to_copy) = (Vec::new(), Vec::new());
    let mut failed = 0;
    for _ in 0..rounds {
        let p = ceiling(
            &pool,
            window,
            "INSERT INTO raw_insert (id, payload) VALUES ($1, $2)",
        )
        .await;
        let c = ceiling(
            &pool,
            window,
            "INSERT INTO events_copy (instance_id, aggregate_type, aggregate_id, sequence, \
             tx_id, tx_index, event_type, revision, payload, creator, created_at) \
             VALUES ('bench', 'user', $1, 1, pg_current_xact_id()::text::bigint, 0, \
             'user.human.added', 1, $2, 'bench', now())",
        )
        .await;
        let h = add_users(&server, &client, &org, window).await;
        failed += h.failed;
        plain.push(p);
        copy.push(c);
        http.push(h.rate);
        to_plain.push(h.rate / p);
        to_copy.push(h.rate / c);
    }
    let shared = server.pushes_metric("shared").await - shared_before;
    let alone = server.pushes_metric("alone").await - alone_before;
    pool.close().await;
    server.stop().await;
    db.drop_now().await;
    println!(
        "create-user over HTTP, {CLIENTS} clients, {} s windows, {rounds} alternating rounds, \
         medians, successes only:",
        window.as_secs_f64()
    );
    println!("  PostgreSQL:");
    println!(
        "    INSERT, plain table (ceiling):   {:>8.0} tx/s",
        load::median(&plain)
    );
    println!(
        "    INSERT, copy of events (ceiling):{:>8.0} tx/s",
        load::median(&copy)
    );
    println!(
        "    AddHumanUser (no password):      {:>8.0} /s  ({failed} failed in all rounds)",
        load::median(&http)
    );
    println!(
        "    ratio: {:.2} x plain (target >= 0.5), {:.2} x events copy (medians of the rounds' own ratios)",
        load::median(&to_plain),
        load::median(&to_copy)
    );
    println!(
        "    group commit: {shared:.0} of {:.0} pushes shared a transaction",
        shared + alone
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::spawn(dir.path(), &[]).await;
    let org = server.org(&client).await;
    let mut sqlite = Vec::new();
    let mut failed = 0;
    for _ in 0..rounds {
        let h = add_users(&server, &client, &org, window).await;
        failed += h.failed;
        sqlite.push(h.rate);
    }
    server.terminate().await;
    println!("  SQLite (synchronous=full):");
    println!(
        "    AddHumanUser (no password):      {:>8.0} /s  ({failed} failed in all rounds; target >= 8000)\n",
        load::median(&sqlite)
    );
}

/// Single-row autocommit INSERTs of `insert` from 32 clients: the rate.
async fn ceiling(pool: &sqlx::PgPool, window: Duration, insert: &'static str) -> f64 {
    let pool = pool.clone();
    let run = rand::random::<u32>();
    load::saturate(CLIENTS, load::warmup(window), window, move |client, n| {
        let pool = pool.clone();
        async move {
            sqlx::query(insert)
                .bind(format!("{run}-{client}-{n}"))
                .bind(user_body("org", &format!("u{client}-{n}")))
                .execute(&pool)
                .await
                .is_ok()
        }
    })
    .await
    .rate
}

/// `AddHumanUser` from 32 clients into `org`, new usernames each.
async fn add_users(
    server: &Server,
    client: &reqwest::Client,
    org: &str,
    window: Duration,
) -> load::Saturation {
    let (url, token, org, client) = (
        server.url.clone(),
        server.token.clone(),
        org.to_owned(),
        client.clone(),
    );
    let run = rand::random::<u32>();
    load::saturate(CLIENTS, load::warmup(window), window, move |c, n| {
        let add = Probe::call(
            &url,
            &token,
            ADD_HUMAN,
            &user_body(&org, &format!("user{run}x{c}x{n}")),
        );
        let client = client.clone();
        async move { add.succeeds(&client).await }
    })
    .await
}

async fn catchup() {
    let db = Db::create().await;
    let es = Config::defaults().eventstore;
    let store = PostgresStore::connect(&db.config(), &es)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let seeded = Instant::now();
    seed_user_events(store.pool()).await;
    let events = REPLAY_USERS * 4;
    println!(
        "catch-up: seeded {events} user events in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let last = store
        .query(&EventQuery::new().descending().limit(1))
        .await
        .expect("last event")
        .pop()
        .expect("seeded")
        .position;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut plugins = Config::defaults().plugins;
    plugins.dir = dir.path().join("plugins");
    plugins.cache_dir = dir.path().join("cache");
    plugins.watch = false;
    let registry = Arc::new(PluginRegistry::start(plugins).expect("plugins"));
    let readstore = ReadStore::postgres(store.pool().clone());
    let leadership = Leadership::postgres(
        (*store.pool().connect_options()).clone(),
        Config::defaults().projections.leader_lease,
    );
    let mut projections = Config::defaults().projections;
    projections.read_your_writes_timeout = Duration::from_secs(3600);
    if let Ok(batch) = std::env::var("BENCH_BATCH") {
        projections.batch_size = batch.parse().expect("BENCH_BATCH");
    }
    let pool = store.pool().clone();
    let store: Arc<dyn EventStore> = Arc::new(store);
    let started = Instant::now();
    let spoolers = Spoolers::start(store, readstore, registry, leadership, projections).await;
    spoolers.wait_for("users", last).await.expect("caught up");
    let took = started.elapsed().as_secs_f64();
    spoolers.stop().await;
    verify_replay(&pool).await;
    db.drop_now().await;
    println!(
        "  users projection replayed {events} events in {took:.1} s: {:.0} events/s (target >= 20000)\n",
        events as f64 / took
    );
}

/// Checks that the replay counted is the replay that was asked for: every
/// seeded user is in the read model with its last event applied (locked,
/// at sequence 4), and no event failed or was skipped.
async fn verify_replay(pool: &sqlx::PgPool) {
    let table: String = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE tablename LIKE 'rm\\_users\\_%\\_users'",
    )
    .fetch_one(pool)
    .await
    .expect("the users read model's table");
    let (rows, done): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE state = 'locked' AND sequence = 4) FROM {table}"
    ))
    .fetch_one(pool)
    .await
    .expect("count the read model");
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_failures")
        .fetch_one(pool)
        .await
        .expect("count failures");
    assert_eq!(rows, REPLAY_USERS, "users in the read model");
    assert_eq!(done, REPLAY_USERS, "users with every event applied");
    assert_eq!(failed, 0, "events that failed or were skipped");
    println!("  verified: {rows} users, every one at its last event; 0 failed or skipped");
}

/// 250k users × (added, profile changed, email changed, locked), written
/// straight into `events` in pushes of 1,000.
async fn seed_user_events(pool: &sqlx::PgPool) {
    let sql = r#"
        INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, tx_index,
                            event_type, revision, payload, creator, created_at)
        SELECT 'bench', 'user', 'u' || u, s,
               1 + ((u * 4 + s - 1) / 1000), ((u * 4 + s - 1) % 1000)::int,
               CASE s WHEN 1 THEN 'user.human.added' WHEN 2 THEN 'user.human.profile.changed'
                      WHEN 3 THEN 'user.human.email.changed' ELSE 'user.locked' END,
               1,
               CASE s
                 WHEN 1 THEN jsonb_build_object('username', 'user' || u, 'givenName', 'Given',
                      'familyName', 'Family', 'email', 'user' || u || '@bench.example',
                      'emailVerified', true, 'orgId', 'org1')
                 WHEN 2 THEN jsonb_build_object('givenName', 'Changed', 'familyName', 'Family')
                 WHEN 3 THEN jsonb_build_object('address', 'new' || u || '@bench.example',
                      'verified', false)
                 ELSE '{}'::jsonb END,
               'bench', now()
          FROM generate_series(0, $1 - 1) AS u, generate_series(1, 4) AS s"#;
    sqlx::query(sql)
        .bind(REPLAY_USERS)
        .execute(pool)
        .await
        .expect("seed events");
    sqlx::query("ANALYZE events")
        .execute(pool)
        .await
        .expect("analyze");
}

async fn get() {
    let db = Db::create().await;
    let server = Server::start(&db).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let org = server.org(&client).await;
    let mut ids = Vec::new();
    for n in 0..1000 {
        ids.push(server.user(&client, &org, &format!("reader{n}")).await);
    }
    let ids = Arc::new(ids);
    let window = Duration::from_secs(GET_SECONDS);
    let (url, token) = (server.url.clone(), server.token.clone());
    let get_user = move |id: &str| Probe::call(&url, &token, GET_USER, &json!({ "userId": id }));
    let (reads_client, reads_get) = (client.clone(), get_user.clone());
    let reads = load::open_loop(
        GET_CLIENTS,
        GET_RATE as f64,
        load::warmup(window),
        window,
        move |_, n| {
            let get = reads_get(&ids[n as usize % ids.len()]);
            let client = reads_client.clone();
            async move { get.succeeds(&client).await }
        },
    )
    .await;
    // Read your writes: each request creates a user and reads it at once;
    // its latency, from the scheduled send, covers both.
    let (url, token) = (server.url.clone(), server.token.clone());
    let written = load::open_loop(
        GET_CLIENTS,
        RYW_RATE as f64,
        load::warmup(window),
        window,
        move |c, n| {
            let add = Probe::call(
                &url,
                &token,
                ADD_HUMAN,
                &user_body(&org, &format!("ryw{c}x{n}")),
            );
            let (client, get_user) = (client.clone(), get_user.clone());
            async move {
                let Ok((200, created)) = add.send(&client).await else {
                    return false;
                };
                let Some(id) = created["userId"].as_str() else {
                    return false;
                };
                get_user(id).succeeds(&client).await
            }
        },
    )
    .await;
    server.stop().await;
    db.drop_now().await;
    println!("get-user-by-id, open loop, latency from the scheduled send, successes only:");
    println!(
        "  reads at {GET_RATE}/s: {:.0} ok/s, {} failed; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 5 ms)",
        reads.ok_rate,
        reads.failed,
        load::ms(reads.p50),
        load::ms(reads.p99),
        load::ms(reads.max)
    );
    println!(
        "  create then read at once, {RYW_RATE}/s: {:.0} ok/s, {} failed; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
        written.ok_rate,
        written.failed,
        load::ms(written.p50),
        load::ms(written.p99),
        load::ms(written.max)
    );
}

/// Users in the store of the `read-by-id` section.
const READ_USERS: usize = 100_000;
/// Users per seeding push (one event each, one transaction).
const SEED_BATCH: usize = 100;
/// Seeding pushes in flight.
const SEED_CONCURRENCY: usize = 8;
/// How many of the oldest and of the newest users are read.
const READ_SET: usize = 1_000;
/// Length of each measured phase.
const READ_SECONDS: u64 = 10;
/// The open-loop rate of the latency phases (the target).
const READ_RATE: u64 = 5_000;

#[derive(Clone, Copy, PartialEq)]
enum ReadBackend {
    Sqlite,
    Postgres,
}

impl ReadBackend {
    fn name(self) -> &'static str {
        match self {
            ReadBackend::Sqlite => "SQLite",
            ReadBackend::Postgres => "PostgreSQL",
        }
    }
}

/// A server's home on one backend, for sections that seed a large store
/// through the eventstore API while no server runs (SQLite's directory has
/// one owner) and then read it through a restarted server.
struct Stack {
    dir: tempfile::TempDir,
    db: Option<Db>,
    env: Vec<(String, String)>,
}

impl Stack {
    async fn new(backend: ReadBackend) -> Self {
        let db = match backend {
            ReadBackend::Postgres => Some(Db::create().await),
            ReadBackend::Sqlite => None,
        };
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            env: db.as_ref().map(postgres_env).unwrap_or_default(),
            db,
        }
    }

    /// A server on the stack.
    async fn serve(&self) -> Server {
        Server::spawn(self.dir.path(), &self.env).await
    }

    /// The stack's eventstore, opened directly: only while no server runs.
    async fn store(&self) -> Arc<dyn EventStore> {
        let es = Config::defaults().eventstore;
        match &self.db {
            Some(db) => Arc::new(
                PostgresStore::connect(&db.config(), &es)
                    .await
                    .expect("connect"),
            ),
            None => {
                let mut cfg = Config::defaults().database.sqlite;
                cfg.dir = self.dir.path().join("data");
                Arc::new(
                    SqliteStore::open(&cfg, Limits::from(&es))
                        .await
                        .expect("open"),
                )
            }
        }
    }

    /// Restarts the server and waits until `probe` succeeds (its projection
    /// caught up with the seeded events); the server and the seconds taken.
    async fn restart_until(&self, probe: impl Fn(&Server) -> Probe) -> (Server, f64) {
        let started = Instant::now();
        let server = self.serve().await;
        let probe = probe(&server);
        let client = reqwest::Client::new();
        while !probe.succeeds(&client).await {
            assert!(
                started.elapsed() < Duration::from_secs(900),
                "the projection did not catch up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (server, started.elapsed().as_secs_f64())
    }

    /// After seeding: analyzes PostgreSQL's `events` as autovacuum would
    /// (the local PostgreSQL of these machines runs with it off); the
    /// server's own read-model statistics are its spoolers' business.
    async fn seeded(&self, store: Arc<dyn EventStore>) {
        store.close().await;
        if let Some(db) = &self.db {
            let mut conn = PgConnection::connect(&Db::url(&db.name))
                .await
                .expect("connect");
            conn.execute("ANALYZE events").await.expect("analyze");
        }
    }

    /// After the catch-up, before measuring: PostgreSQL writes out the
    /// buffers the seeding and the projection dirtied (a checkpoint it
    /// would otherwise run in the middle of the measurement), so the figures
    /// are of the reads, not of the bulk load before them.
    async fn checkpoint(&self) {
        if let Some(db) = &self.db {
            let mut conn = PgConnection::connect(&Db::url(&db.name))
                .await
                .expect("connect");
            conn.execute("CHECKPOINT").await.expect("checkpoint");
        }
    }

    async fn drop_now(self) {
        if let Some(db) = self.db {
            db.drop_now().await;
        }
    }
}

async fn read_by_id(backend: ReadBackend) {
    let name = backend.name();
    let stack = Stack::new(backend).await;

    // First start: the first instance, an organization and one user created
    // over HTTP, whose event the seeded users copy.
    let server = stack.serve().await;
    let client = reqwest::Client::new();
    let org = server.org(&client).await;
    let template_id = server.user(&client, &org, "template").await;
    server.terminate().await;

    // Seed while no server runs. Usernames are not claimed: only reads
    // follow.
    let store = stack.store().await;
    let seeded = Instant::now();
    let ids = seed_users(&store, &template_id).await;
    stack.seeded(store).await;
    let seed_took = seeded.elapsed().as_secs_f64();

    // Second start: the users projection catches up on the seeded events.
    let newest = ids[ids.len() - 1].clone();
    let (server, catchup_took) = stack.restart_until(|s| s.get_user(&newest)).await;
    println!(
        "read-by-id on {name}: {READ_USERS} users seeded in {seed_took:.1} s, \
         projected by the restarted server in {catchup_took:.1} s"
    );

    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..CLIENTS)
            .map(|_| {
                reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client")
            })
            .collect(),
    );
    let healthz = vec![Probe::get(format!("{}/debug/healthz", server.url))];
    let (ceiling, _) = closed_loop(&clients, healthz, READ_SECONDS / 2).await;
    println!("  GET /debug/healthz, {CLIENTS} connections, closed loop: {ceiling:>7.0} /s");
    for (label, set) in [
        ("oldest", &ids[..READ_SET]),
        ("newest", &ids[ids.len() - READ_SET..]),
    ] {
        let gets: Vec<Probe> = set.iter().map(|id| server.get_user(id)).collect();
        let (rate, failed) = closed_loop(&clients, gets.clone(), READ_SECONDS).await;
        println!(
            "  GetUser, {label} {READ_SET}, {CLIENTS} connections, closed loop: \
             {rate:>7.0} /s ({failed} failed)"
        );
        let open = open_loop(&clients, gets, READ_RATE, READ_SECONDS).await;
        println!(
            "  GetUser, {label} {READ_SET}, open loop at {READ_RATE}/s: {:>7.0} /s ok \
             ({} failed); p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            open.ok_rate, open.failed, open.p50_ms, open.p99_ms, open.max_ms
        );
    }
    // Every user once: the whole store passes through the caches.
    let gets: Vec<Probe> = ids.iter().map(|id| server.get_user(id)).collect();
    let (rate, failed) = read_each_once(&clients, gets).await;
    println!(
        "  GetUser, each of the {READ_USERS} users once, {CLIENTS} connections: \
         {rate:>7.0} /s ({failed} failed)"
    );
    let (rss, peak) = server.memory();
    println!(
        "  server memory after the run: RSS {rss:.0} MiB, peak RSS {peak:.0} MiB \
         (target >= {READ_RATE} req/s, p99 <= 10 ms)\n"
    );
    server.stop().await;
    stack.drop_now().await;
}

/// The open-loop rate of the list and check sections.
const QUERY_RATE: u64 = 500;
const LIST_USERS: &str = "rampart.user.v1.UserService/ListUsers";
const USER_ROLES: &str = "rampart.authorization.v1.AuthorizationService/GetUserProjectRoles";

async fn list_users(backend: ReadBackend) {
    let name = backend.name();
    let stack = Stack::new(backend).await;
    let server = stack.serve().await;
    let client = reqwest::Client::new();
    let org = server.org(&client).await;
    let template_id = server.user(&client, &org, "template").await;
    server.terminate().await;
    let store = stack.store().await;
    let ids = seed_users(&store, &template_id).await;
    stack.seeded(store).await;
    let newest = ids[ids.len() - 1].clone();
    let (server, catchup_took) = stack.restart_until(|s| s.get_user(&newest)).await;
    println!(
        "list-users on {name}: {READ_USERS} users (+1) in one org, projected in {catchup_took:.1} s"
    );
    stack.checkpoint().await;
    // The filters find what they should before they are timed.
    let exact = server.call(
        LIST_USERS,
        &json!({ "orgId": org, "usernamePrefix": "seeded42424" }),
    );
    let (status, answer) = exact.send(&client).await.expect("list");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["details"]["total"], "1", "{answer}");
    assert_eq!(answer["result"][0]["username"], "seeded42424", "{answer}");

    let clients: Arc<Vec<reqwest::Client>> =
        Arc::new((0..CLIENTS).map(|_| reqwest::Client::new()).collect());
    let by_prefix: Vec<Probe> = (0..1000)
        .map(|_| {
            let n = rand::random_range(100..READ_USERS);
            let body = json!({ "orgId": org, "usernamePrefix": format!("seeded{n}"),
                               "query": { "limit": 20, "sortBy": "username" } });
            server.call(LIST_USERS, &body)
        })
        .collect();
    let paged: Vec<Probe> = (0..1000)
        .map(|_| {
            let offset = rand::random_range(0..1000) * 20;
            let body = json!({ "orgId": org, "state": "USER_STATE_ACTIVE",
                               "query": { "limit": 20, "offset": offset } });
            server.call(LIST_USERS, &body)
        })
        .collect();
    // Paging through the whole org counts all its 100k rows each time: a
    // tenth of the rate.
    for (label, probes, rate) in [
        ("username prefix, 20 a page", by_prefix, QUERY_RATE),
        (
            "org and state, page of 20 at offset < 20,000",
            paged,
            QUERY_RATE / 10,
        ),
    ] {
        let open = open_loop(&clients, probes, rate, READ_SECONDS).await;
        println!(
            "  ListUsers by {label}, open loop at {rate}/s: {:>5.0} /s ok ({} failed); \
             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            open.ok_rate, open.failed, open.p50_ms, open.p99_ms, open.max_ms
        );
    }
    println!("  (target: p99 <= 20 ms)\n");
    server.stop().await;
    stack.drop_now().await;
}

async fn check_authorization(backend: ReadBackend) {
    let name = backend.name();
    let stack = Stack::new(backend).await;
    let server = stack.serve().await;
    let client = reqwest::Client::new();
    let org = server.org(&client).await;
    let call = |method: &'static str, body: serde_json::Value| {
        support::call_ok(&client, &server.url, &server.token, method, body)
    };
    let project = call(
        "rampart.project.v1.ProjectService/AddProject",
        json!({ "orgId": org, "name": "Bench" }),
    )
    .await["projectId"]
        .as_str()
        .expect("project id")
        .to_owned();
    for key in ["reader", "writer"] {
        call(
            "rampart.project.v1.ProjectService/AddProjectRole",
            json!({ "projectId": project, "key": key, "displayName": key }),
        )
        .await;
    }
    let template_user = server.user(&client, &org, "template").await;
    let template = call(
        "rampart.authorization.v1.AuthorizationService/AddAuthorization",
        json!({ "orgId": org, "userId": template_user, "projectId": project,
                "roleKeys": ["reader", "writer"] }),
    )
    .await["authorizationId"]
        .as_str()
        .expect("authorization id")
        .to_owned();
    server.terminate().await;

    let store = stack.store().await;
    let (users, instance) = seed_authorizations(&store, &template).await;
    stack.seeded(store).await;
    let last = users[users.len() - 1].clone();
    let check = |server: &Server, user: &str| {
        server.call(USER_ROLES, &json!({ "userId": user, "projectId": project }))
    };
    let (server, catchup_took) = stack.restart_until(|s| check(s, &last)).await;
    // The projection has the last one; wait until the check says so.
    let expected = json!({ "authorized": true, "roleKeys": ["reader", "writer"] });
    let started = Instant::now();
    while check(&server, &last).send(&client).await.expect("check").1 != expected {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "not caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let catchup_took = catchup_took + started.elapsed().as_secs_f64();
    println!(
        "check-authorization on {name}: {READ_USERS} authorizations seeded on one project, \
         projected in {catchup_took:.1} s"
    );
    stack.checkpoint().await;
    let probes: Vec<Probe> = (0..1000)
        .map(|_| check(&server, &users[rand::random_range(0..users.len())]))
        .collect();
    for probe in probes.iter().take(100) {
        let (status, answer) = probe.send(&client).await.expect("check");
        assert_eq!(
            (status, &answer),
            (200, &expected),
            "a seeded user is authorized"
        );
    }
    let (status, answer) = check(&server, "nobody").send(&client).await.expect("check");
    assert_eq!((status, answer), (200, json!({})), "an unknown user is not");
    let clients: Arc<Vec<reqwest::Client>> =
        Arc::new((0..CLIENTS).map(|_| reqwest::Client::new()).collect());
    for rate in [QUERY_RATE, 2 * QUERY_RATE] {
        let open = open_loop(&clients, probes.clone(), rate, READ_SECONDS).await;
        println!(
            "  GetUserProjectRoles, open loop at {rate}/s: {:>5.0} /s ok ({} failed); \
             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            open.ok_rate, open.failed, open.p50_ms, open.p99_ms, open.max_ms
        );
    }
    println!("  (over HTTP: the client, the server and both stacks share the box's two cores)");
    server.stop().await;
    check_in_process(&stack, &instance, &project, users).await;
    println!("  (target: p99 <= 2 ms)\n");
    stack.drop_now().await;
}

/// The check as a token issuer makes it: `Queries::project_roles` in the
/// server's own process (a node assembled on the stack, nothing serving),
/// read-your-writes included, open loop from a scheduling thread; beside it
/// the floor of this box: the same schedule spawning calls that only yield.
async fn check_in_process(stack: &Stack, instance: &str, project: &str, users: Vec<String>) {
    let mut env = stack.env.clone();
    let data = stack.dir.path().join("data");
    for (key, value) in [
        ("RAMPART_DATABASE_SQLITE_DIR", data.clone()),
        ("RAMPART_PLUGINS_DIR", data.join("plugins")),
        ("RAMPART_PLUGINS_CACHEDIR", data.join("plugin-cache")),
    ] {
        env.push((key.to_owned(), value.display().to_string()));
    }
    let cfg = Config::load(&[], env).expect("config");
    let node = rampart::app::assemble(&cfg).await.expect("assemble a node");
    let queries = node.state.cqrs.as_ref().expect("queries").queries.clone();
    let expected = Some(vec!["reader".to_owned(), "writer".to_owned()]);
    let started = Instant::now();
    // Caught up, and leading the projection: the killed server's leases
    // must lapse first (until then this node reads as a follower would).
    let projection = rampart::query::AUTHORIZATIONS.projection;
    while queries
        .project_roles(instance, &users[users.len() - 1], project)
        .await
        .ok()
        != Some(expected.clone())
        || node.spoolers.applied(projection).is_none()
    {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "not caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unknown = queries.project_roles(instance, "nobody", project).await;
    assert_eq!(
        unknown.expect("check"),
        None,
        "an unknown user is not authorized"
    );
    let window = load::window(READ_SECONDS as f64);
    let (instance, project, users) = (
        Arc::<str>::from(instance),
        Arc::<str>::from(project),
        Arc::new(users),
    );
    for rate in [QUERY_RATE, 2 * QUERY_RATE] {
        let floor = load::open_loop_spawned(
            tokio::runtime::Handle::current(),
            rate as f64,
            load::warmup(window),
            window,
            |_| async {
                tokio::task::yield_now().await;
                true
            },
        )
        .await;
        let (queries, instance, project, users, expected) = (
            queries.clone(),
            instance.clone(),
            project.clone(),
            users.clone(),
            expected.clone(),
        );
        let open = load::open_loop_spawned(
            tokio::runtime::Handle::current(),
            rate as f64,
            load::warmup(window),
            window,
            move |_| {
                let (queries, instance, project, expected) = (
                    queries.clone(),
                    instance.clone(),
                    project.clone(),
                    expected.clone(),
                );
                let user = users[rand::random_range(0..users.len())].clone();
                async move {
                    queries
                        .project_roles(&instance, &user, &project)
                        .await
                        .is_ok_and(|roles| roles == expected)
                }
            },
        )
        .await;
        println!(
            "  Queries::project_roles in process, open loop at {rate}/s: {:>5.0} /s ok ({} failed); {}",
            open.ok_rate,
            open.failed,
            open.latencies()
        );
        println!(
            "    floor (same schedule, a call that only yields): {}",
            floor.latencies()
        );
    }
    node.stop().await;
}

/// Pushes [`READ_USERS`] copies of the template authorization's creation
/// event, each for a new user id; returns the user ids and the instance.
async fn seed_authorizations(
    store: &Arc<dyn EventStore>,
    template_id: &str,
) -> (Vec<String>, String) {
    let users: Vec<String> = (0..READ_USERS)
        .map(|_| uuid::Uuid::now_v7().simple().to_string())
        .collect();
    let template = first_event(store, "authorization", template_id).await;
    let instance = template.aggregate.instance_id.clone();
    seed_copies(store, template, |n, payload| {
        payload["userId"] = json!(users[n]);
    })
    .await;
    (users, instance)
}

/// Pushes [`READ_USERS`] copies of the template user's creation event, each
/// a new user with its own id and username `seeded<n>`, oldest first;
/// returns the ids in push order.
async fn seed_users(store: &Arc<dyn EventStore>, template_id: &str) -> Vec<String> {
    let template = first_event(store, "user", template_id).await;
    seed_copies(store, template, |n, payload| {
        payload["username"] = json!(format!("seeded{n}"));
    })
    .await
}

/// The first event of aggregate `id` of `aggregate_type`.
async fn first_event(
    store: &Arc<dyn EventStore>,
    aggregate_type: &str,
    id: &str,
) -> rampart::eventstore::Event {
    store
        .query(
            &EventQuery::new()
                .aggregate_type(aggregate_type)
                .aggregate_id(id)
                .limit(1),
        )
        .await
        .expect("template")
        .pop()
        .expect("the template's first event")
}

/// Pushes [`READ_USERS`] copies of `template`, each on a new aggregate of
/// its type with its payload changed by `edit(n, payload)`, [`SEED_BATCH`]
/// to a push and [`SEED_CONCURRENCY`] pushes at a time, in order (positions
/// follow commit order, so the first copies are the oldest); returns the
/// new aggregate ids in push order.
async fn seed_copies(
    store: &Arc<dyn EventStore>,
    template: rampart::eventstore::Event,
    edit: impl Fn(usize, &mut serde_json::Value),
) -> Vec<String> {
    let ids: Vec<String> = (0..READ_USERS)
        .map(|_| uuid::Uuid::now_v7().simple().to_string())
        .collect();
    let pushes: Vec<Push> = ids
        .chunks(SEED_BATCH)
        .enumerate()
        .map(|(b, batch)| {
            let mut push: Option<Push> = None;
            for (i, id) in batch.iter().enumerate() {
                let mut payload = template.payload.clone();
                edit(b * SEED_BATCH + i, &mut payload);
                let aggregate = AggregateRef::new(
                    template.aggregate.instance_id.clone(),
                    template.aggregate.aggregate_type.clone(),
                    id.clone(),
                );
                let event = vec![NewEvent::new(
                    template.event_type.clone(),
                    payload,
                    template.creator.clone(),
                )];
                push = Some(match push {
                    None => Push::new(aggregate, ExpectedSequence::Exact(0), event),
                    Some(p) => p.and(aggregate, ExpectedSequence::Exact(0), event),
                });
            }
            push.expect("a batch has copies")
        })
        .collect();
    for wave in pushes.chunks(SEED_CONCURRENCY) {
        let wave = wave.iter().cloned().map(|push| {
            let store = store.clone();
            async move { store.push(push).await.expect("seed push") }
        });
        join_all_spawned(wave).await;
    }
    ids
}

/// Awaits every future of `futures` concurrently (spawned).
async fn join_all_spawned<F>(futures: impl Iterator<Item = F>)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    for task in tasks {
        task.await.expect("task");
    }
}

/// Each of the connections sends the next request of `probes` as soon as
/// its previous answer arrived, for `seconds`; returns successes per second
/// and the number of failures.
async fn closed_loop(
    clients: &Arc<Vec<reqwest::Client>>,
    probes: Vec<Probe>,
    seconds: u64,
) -> (f64, u64) {
    let probes = Arc::new(probes);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients.len())
        .map(|c| {
            let (clients, probes, ok, failed, stop) = (
                clients.clone(),
                probes.clone(),
                ok.clone(),
                failed.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut n = c;
                while !stop.load(Ordering::Relaxed) {
                    if probes[n % probes.len()].succeeds(&clients[c]).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    n += clients.len();
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    (
        ok.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}

/// Each request of `probes` once, over the connections as fast as they
/// answer; returns successes per second and the number of failures.
async fn read_each_once(clients: &Arc<Vec<reqwest::Client>>, probes: Vec<Probe>) -> (f64, u64) {
    let probes = Arc::new(probes);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients.len())
        .map(|c| {
            let (clients, probes, next, failed) = (
                clients.clone(),
                probes.clone(),
                next.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(probe) = probes.get(n) else { break };
                    if !probe.succeeds(&clients[c]).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client task");
    }
    let failed = failed.load(Ordering::Relaxed);
    (
        (probes.len() as u64 - failed) as f64 / started.elapsed().as_secs_f64(),
        failed,
    )
}

struct OpenLoop {
    ok_rate: f64,
    failed: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Requests scheduled at `rate` per second for `seconds`, sent over the
/// connections (each takes the next scheduled request when free); latency
/// runs from the scheduled time, so a request that waited for a connection
/// counts its wait. Only successes count in the rate and the percentiles.
async fn open_loop(
    clients: &Arc<Vec<reqwest::Client>>,
    probes: Vec<Probe>,
    rate: u64,
    seconds: u64,
) -> OpenLoop {
    let total = rate * seconds;
    let period = Duration::from_secs(1).as_nanos() as u64 / rate;
    let probes = Arc::new(probes);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = tokio::time::Instant::now() + Duration::from_millis(10);
    let tasks: Vec<_> = (0..clients.len())
        .map(|c| {
            let (clients, probes, next, failed) = (
                clients.clone(),
                probes.clone(),
                next.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break latencies;
                    }
                    let scheduled = start + Duration::from_nanos(n * period);
                    tokio::time::sleep_until(scheduled).await;
                    if probes[n as usize % probes.len()]
                        .succeeds(&clients[c])
                        .await
                    {
                        latencies.push(scheduled.elapsed());
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(total as usize);
    for task in tasks {
        samples.extend(task.await.expect("client task"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    samples.sort_unstable();
    let pct = |p: f64| {
        samples
            .get(((samples.len().max(1) - 1) as f64 * p) as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    OpenLoop {
        ok_rate: samples.len() as f64 / elapsed,
        failed: failed.load(Ordering::Relaxed),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    }
}
