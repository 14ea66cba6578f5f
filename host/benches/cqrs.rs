//! The CQRS path under load, on the local PostgreSQL (127.0.0.1:5432,
//! postgres, trust auth; `RAMPART_TEST_PG_*` override), each section in a
//! fresh database:
//!
//! - `create`: `POST /v1/users` (no password) against the real server
//!   binary from 32 concurrent clients, next to the ceiling of raw
//!   single-row INSERTs from 32 clients measured in the same run;
//! - `catchup`: the `users` projection plugin replaying 1,000,000 events;
//! - `get`: `GET /v1/users/{id}` (with its read-your-writes check) at an
//!   open-loop 1,000 requests per second.
//!
//! `cargo bench -p rampart --bench cqrs [create|catchup|get]`

#![allow(missing_docs)]

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart::config::{Config, PostgresConfig};
use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::{EventQuery, EventStore};
use rampart::plugins::PluginRegistry;
use rampart::readmodel::ReadStore;
use rampart::spooler::{Leadership, Spoolers};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use tokio::io::{AsyncBufReadExt, BufReader};

const CLIENTS: usize = 32;
const CREATE_SECONDS: u64 = 10;
const REPLAY_USERS: i64 = 250_000;
const GET_RATE: u64 = 1_000;
const GET_SECONDS: u64 = 10;

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
        println!("CQRS benchmark on PostgreSQL\n");
        if runs("create") {
            create().await;
        }
        if runs("catchup") {
            catchup().await;
        }
        if runs("get") {
            get().await;
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
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(db: &Db) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = db.config();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .arg("start")
            .current_dir(dir.path())
            .env("RAMPART_PORT", "0")
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .env("RAMPART_LOG_LEVEL", "warn")
            .env("RAMPART_MASTERKEY", "b".repeat(32))
            .env("RAMPART_DATABASE_BACKEND", "postgres")
            .env("RAMPART_DATABASE_POSTGRES_HOST", &c.host)
            .env("RAMPART_DATABASE_POSTGRES_PORT", c.port.to_string())
            .env("RAMPART_DATABASE_POSTGRES_USER", &c.user)
            .env("RAMPART_DATABASE_POSTGRES_PASSWORD", &c.password)
            .env("RAMPART_DATABASE_POSTGRES_DATABASE", &c.database)
            .env("RAMPART_DATABASE_POSTGRES_SSLMODE", "disable")
            .env("RAMPART_DATABASE_POSTGRES_MAXOPENCONNS", "40")
            .env("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "Bench-Passw0rd")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rampart");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = loop {
            let line = lines
                .next_line()
                .await
                .expect("stdout")
                .expect("server exited");
            if let Some(url) = line.strip_prefix("rampart listening on ") {
                break url.to_owned();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = reqwest::Client::new();
        loop {
            let ready = client.get(format!("{url}/debug/ready")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            url,
            child,
            _dir: dir,
        }
    }

    async fn org(&self, client: &reqwest::Client) -> String {
        let created: serde_json::Value = client
            .post(format!("{}/v1/orgs", self.url))
            .json(&json!({ "name": format!("Bench {}", rand::random::<u32>()) }))
            .send()
            .await
            .expect("create org")
            .json()
            .await
            .expect("json");
        created["id"].as_str().expect("org id").to_owned()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn user_body(org: &str, username: &str) -> serde_json::Value {
    json!({
        "orgId": org,
        "username": username,
        "profile": { "givenName": "Bench", "familyName": "User" },
        "email": { "address": format!("{username}@bench.example"), "verified": true },
    })
}

/// Runs `op` from `CLIENTS` tasks for `seconds`; returns operations per second.
async fn saturate<F, Fut>(seconds: u64, op: F) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (op, done, stop) = (op.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    op(client, n).await;
                    n += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn create() {
    let db = Db::create().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CLIENTS as u32)
        .connect(&Db::url(&db.name))
        .await
        .expect("pool");
    sqlx::query("CREATE TABLE raw_insert (id TEXT PRIMARY KEY, payload JSONB NOT NULL)")
        .execute(&pool)
        .await
        .expect("table");
    let raw_pool = pool.clone();
    let raw = saturate(CREATE_SECONDS, move |client, n| {
        let pool = raw_pool.clone();
        async move {
            sqlx::query("INSERT INTO raw_insert (id, payload) VALUES ($1, $2)")
                .bind(format!("{client}-{n}"))
                .bind(user_body("org", &format!("u{client}-{n}")))
                .execute(&pool)
                .await
                .expect("raw insert");
        }
    })
    .await;
    pool.close().await;

    let server = Server::start(&db).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let org = server.org(&client).await;
    let url = format!("{}/v1/users", server.url);
    let failures = Arc::new(AtomicU64::new(0));
    let counted = failures.clone();
    let http = saturate(CREATE_SECONDS, move |c, n| {
        let (client, url, org, failures) =
            (client.clone(), url.clone(), org.clone(), counted.clone());
        async move {
            let answer = client
                .post(&url)
                .json(&user_body(&org, &format!("user{c}x{n}")))
                .send()
                .await;
            if !answer.is_ok_and(|r| r.status() == 201) {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;
    server.stop().await;
    db.drop_now().await;
    println!("create-user over HTTP, {CLIENTS} clients, {CREATE_SECONDS} s each:");
    println!("  raw single-row INSERT ceiling: {raw:>8.0} /s");
    println!(
        "  POST /v1/users (no password):  {http:>8.0} /s  ({} failed)",
        failures.load(Ordering::Relaxed)
    );
    println!(
        "  ratio: {:.2} x the raw ceiling (target >= 0.5)\n",
        http / raw
    );
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
    let leadership = Leadership::postgres((*store.pool().connect_options()).clone());
    let mut projections = Config::defaults().projections;
    projections.read_your_writes_timeout = Duration::from_secs(3600);
    if let Ok(batch) = std::env::var("BENCH_BATCH") {
        projections.batch_size = batch.parse().expect("BENCH_BATCH");
    }
    let store: Arc<dyn EventStore> = Arc::new(store);
    let started = Instant::now();
    let spoolers = Spoolers::start(store, readstore, registry, leadership, projections).await;
    spoolers.wait_for("users", last).await.expect("caught up");
    let took = started.elapsed().as_secs_f64();
    spoolers.stop().await;
    db.drop_now().await;
    println!(
        "  users projection replayed {events} events in {took:.1} s: {:.0} events/s (target >= 20000)\n",
        events as f64 / took
    );
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
        let created: serde_json::Value = client
            .post(format!("{}/v1/users", server.url))
            .json(&user_body(&org, &format!("reader{n}")))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let ids = Arc::new(ids);
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicU64::new(0));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / GET_RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    for n in 0..(GET_RATE * GET_SECONDS) as usize {
        tick.tick().await;
        let (client, ids, latencies, failures) = (
            client.clone(),
            ids.clone(),
            latencies.clone(),
            failures.clone(),
        );
        let url = format!("{}/v1/users/{}", server.url, ids[n % ids.len()]);
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = client.get(&url).send().await;
            let ok = match answer {
                Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                latencies.lock().expect("lock").push(sent.elapsed());
            } else {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("request task");
    }
    server.stop().await;
    db.drop_now().await;
    let mut samples = latencies.lock().expect("lock").clone();
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!(
        "get-user-by-id at {GET_RATE}/s for {GET_SECONDS} s (read-your-writes check included):"
    );
    println!(
        "  {} ok, {} failed; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 5 ms)\n",
        samples.len(),
        failures.load(Ordering::Relaxed),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}
