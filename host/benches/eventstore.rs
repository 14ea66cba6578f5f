//! # Eventstore benchmark
//!
//! `cargo bench -p rampart --bench eventstore` prints, for SQLite and for the
//! PostgreSQL on 127.0.0.1:5432 (`RAMPART_TEST_PG_*` as in the tests):
//!
//! - push throughput, one event per push, with 1, 8 and 32 writers on
//!   distinct aggregates, and with 8 writers contending on one aggregate
//!   (conflicts counted, each retried after reloading the sequence);
//! - on PostgreSQL, the raw single-row `INSERT` rate at the same concurrency,
//!   measured in the same run, as the ceiling the push rate is a ratio of;
//! - query-by-aggregate latency p50/p99 on a store of 1M events;
//! - `rampart start` to `/debug/ready` on SQLite with 10k and with 1M events.
//!
//! `-- --quick` shortens every phase (smoke run; figures are not comparable).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart::config::{Config, PostgresConfig, SqliteConfig};
use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::sqlite::SqliteStore;
use rampart::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, Limits, NewEvent, Push, StoreError,
};
use serde_json::json;
use sqlx::{Connection, Executor};

/// The tests' per-run PostgreSQL databases (same server settings, same cleanup).
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/all/support/pg.rs"]
mod pg;
use pg::TestDb as BenchDb;

/// Knobs of one run.
struct Plan {
    phase: Duration,
    warmup: Duration,
    big: u64,
    samples: usize,
    starts: usize,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let plan = if quick {
        Plan {
            phase: Duration::from_secs(1),
            warmup: Duration::from_millis(200),
            big: 100_000,
            samples: 500,
            starts: 2,
        }
    } else {
        Plan {
            phase: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            big: 1_000_000,
            samples: 5_000,
            starts: 5,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(plan));
}

async fn run(plan: Plan) {
    println!(
        "eventstore benchmark ({} s per phase, {} events for the query store)",
        plan.phase.as_secs_f64(),
        plan.big
    );
    println!();
    println!(
        "{:<9} {:<34} {:>7} {:>12} notes",
        "backend", "scenario", "writers", "rate/s"
    );

    // --- PostgreSQL ---
    let db = BenchDb::create().await;
    let mut es = Config::defaults().eventstore;
    es.max_events_per_push = 1000;
    let mut cfg = db.config();
    cfg.max_open_conns = 40;
    let pg: Arc<dyn EventStore> = {
        let s = PostgresStore::connect(&cfg, &es).await.expect("connect");
        s.migrate().await.expect("migrate");
        Arc::new(s)
    };
    let mut pg_ratio_32 = 0.0;
    for writers in [1, 8, 32] {
        let ceiling = raw_insert_rate(&cfg, writers, &plan).await;
        row(
            "postgres",
            "raw single-row INSERT (ceiling)",
            writers,
            ceiling,
            "tx/s".into(),
        );
        let push = push_rate(&pg, writers, false, &plan).await;
        let ratio = push.rate / ceiling;
        if writers == 32 {
            pg_ratio_32 = ratio;
        }
        row(
            "postgres",
            "push, distinct aggregates",
            writers,
            push.rate,
            format!("{ratio:.2} x ceiling"),
        );
    }
    let contended = push_rate(&pg, 8, true, &plan).await;
    row(
        "postgres",
        "push, one contended aggregate",
        8,
        contended.rate,
        format!("{} conflicts retried", contended.conflicts),
    );
    pg.close().await;

    // --- SQLite ---
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite_cfg = SqliteConfig {
        dir: dir.path().join("push"),
        ..Config::defaults().database.sqlite
    };
    let sqlite: Arc<dyn EventStore> = Arc::new(
        SqliteStore::open(&sqlite_cfg, Limits::default())
            .await
            .expect("open"),
    );
    let mut sqlite_8 = 0.0;
    for writers in [1, 8, 32] {
        let push = push_rate(&sqlite, writers, false, &plan).await;
        if writers == 8 {
            sqlite_8 = push.rate;
        }
        row(
            "sqlite",
            "push, distinct aggregates",
            writers,
            push.rate,
            "events/s, synchronous=full".into(),
        );
    }
    let contended = push_rate(&sqlite, 8, true, &plan).await;
    row(
        "sqlite",
        "push, one contended aggregate",
        8,
        contended.rate,
        format!("{} conflicts retried", contended.conflicts),
    );
    sqlite.close().await;

    // --- query by aggregate on a big store ---
    println!();
    println!(
        "{:<9} {:<34} {:>10} {:>10}",
        "backend", "query by aggregate", "p50", "p99"
    );
    let pg_big = BenchDb::create().await;
    let pg_store = {
        let s = PostgresStore::connect(&pg_big.config(), &es)
            .await
            .expect("connect");
        s.migrate().await.expect("migrate");
        fill_postgres(&pg_big, plan.big).await;
        Arc::new(s) as Arc<dyn EventStore>
    };
    let (p50, p99) = query_latency(&pg_store, plan.big, plan.samples).await;
    println!(
        "{:<9} {:<34} {:>10.3?} {:>10.3?}",
        "postgres",
        format!("{} events, 10 per aggregate", plan.big),
        p50,
        p99
    );
    let pg_p99 = p99;
    pg_store.close().await;

    let big_dir = dir.path().join("big");
    fill_sqlite(&big_dir, plan.big).await;
    let small_dir = dir.path().join("small");
    fill_sqlite(&small_dir, 10_000).await;
    let sqlite_store: Arc<dyn EventStore> = Arc::new(
        SqliteStore::open(
            &SqliteConfig {
                dir: big_dir.clone(),
                ..Config::defaults().database.sqlite
            },
            Limits::default(),
        )
        .await
        .expect("open"),
    );
    let (p50, p99) = query_latency(&sqlite_store, plan.big, plan.samples).await;
    println!(
        "{:<9} {:<34} {:>10.3?} {:>10.3?}",
        "sqlite",
        format!("{} events, 10 per aggregate", plan.big),
        p50,
        p99
    );
    let sqlite_p99 = p99;
    sqlite_store.close().await;

    // --- start-up time ---
    println!();
    println!(
        "{:<9} {:<34} {:>10} {:>10}",
        "backend", "rampart start -> /debug/ready", "median", "max"
    );
    let mut start_medians = Vec::new();
    for (label, data) in [
        ("10k events", &small_dir),
        (format!("{} events", plan.big).leak() as &str, &big_dir),
    ] {
        let (median, max) = startup_time(data, plan.starts).await;
        println!(
            "{:<9} {:<34} {:>10.1?} {:>10.1?}",
            "sqlite", label, median, max
        );
        start_medians.push(median);
    }

    println!();
    println!("targets:");
    check(
        "PG push, 32 writers >= 0.6 x raw INSERT ceiling",
        pg_ratio_32 >= 0.6,
        format!("{pg_ratio_32:.2}"),
    );
    check(
        "SQLite push, 8 writers >= 10k events/s",
        sqlite_8 >= 10_000.0,
        format!("{sqlite_8:.0}"),
    );
    check(
        "query by aggregate p99 <= 2 ms (postgres)",
        pg_p99 <= Duration::from_millis(2),
        format!("{pg_p99:.3?}"),
    );
    check(
        "query by aggregate p99 <= 2 ms (sqlite)",
        sqlite_p99 <= Duration::from_millis(2),
        format!("{sqlite_p99:.3?}"),
    );
    let slowest = start_medians.iter().max().copied().unwrap_or_default();
    check(
        "start -> ready <= 500 ms (sqlite, both sizes)",
        slowest <= Duration::from_millis(500),
        format!("{slowest:.1?}"),
    );
    let growth = start_medians[1].as_secs_f64() / start_medians[0].as_secs_f64().max(1e-9);
    println!("  start-up time 1M vs 10k: {growth:.2}x");
}

fn row(backend: &str, scenario: &str, writers: usize, rate: f64, notes: String) {
    println!("{backend:<9} {scenario:<34} {writers:>7} {rate:>12.0} {notes}");
}

fn check(what: &str, ok: bool, value: String) {
    println!("  [{}] {what}: {value}", if ok { "met" } else { "MISSED" });
}

struct Rate {
    rate: f64,
    conflicts: u64,
}

/// Pushes one event per push from `writers` tasks for one phase.
async fn push_rate(
    store: &Arc<dyn EventStore>,
    writers: usize,
    contended: bool,
    plan: &Plan,
) -> Rate {
    let run = rand::random::<u32>();
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (events, conflicts) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (store, counting, stop) = (store.clone(), counting.clone(), stop.clone());
            let (events, conflicts) = (events.clone(), conflicts.clone());
            tokio::spawn(async move {
                let id = if contended {
                    format!("hot-{run}")
                } else {
                    format!("w{w}-{run}")
                };
                let a = AggregateRef::new("bench", "user", id);
                let mut seq = store.latest_sequence(&a).await.expect("seq");
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let e = NewEvent::new(
                        "user.human.added",
                        json!({ "username": "u", "n": i }),
                        "bench",
                    );
                    match store
                        .push(Push::new(a.clone(), ExpectedSequence::Exact(seq), vec![e]))
                        .await
                    {
                        Ok(stored) => {
                            seq = stored[0].sequence;
                            if counting.load(Ordering::Relaxed) {
                                events.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(StoreError::Conflict { .. }) => {
                            if counting.load(Ordering::Relaxed) {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            seq = store.latest_sequence(&a).await.expect("seq");
                        }
                        Err(e) => panic!("push failed: {e}"),
                    }
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(plan.warmup).await;
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(plan.phase).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("writer");
    }
    Rate {
        rate: events.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        conflicts: conflicts.load(Ordering::Relaxed),
    }
}

/// Single-row autocommit INSERTs through the same driver and pool settings.
async fn raw_insert_rate(cfg: &PostgresConfig, writers: usize, plan: &Plan) -> f64 {
    let pool = rampart::eventstore::postgres::connect_pool(cfg)
        .await
        .expect("pool");
    pool.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw (id BIGSERIAL PRIMARY KEY, payload JSONB NOT NULL)",
    )
    .await
    .expect("create bench_raw");
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let (pool, counting, stop, done) =
                (pool.clone(), counting.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    sqlx::query("INSERT INTO bench_raw (payload) VALUES ($1::text::jsonb)")
                        .bind(r#"{"username":"u","n":1}"#)
                        .execute(&pool)
                        .await
                        .expect("insert");
                    if counting.load(Ordering::Relaxed) {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(plan.warmup).await;
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(plan.phase).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("inserter");
    }
    pool.close().await;
    done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64()
}

/// Reads one random aggregate's history at a time; returns (p50, p99).
async fn query_latency(
    store: &Arc<dyn EventStore>,
    events: u64,
    samples: usize,
) -> (Duration, Duration) {
    let aggregates = events / 10;
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples + samples / 10 {
        let a = AggregateRef::new(
            "bench",
            "user",
            format!("u{}", rand::random::<u64>() % aggregates),
        );
        let started = Instant::now();
        let history = store
            .query(&EventQuery::aggregate(&a))
            .await
            .expect("query");
        let took = started.elapsed();
        assert_eq!(history.len(), 10, "each aggregate has 10 events");
        if i >= samples / 10 {
            times.push(took);
        }
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// Writes `n` events (10 per aggregate) straight into PostgreSQL.
async fn fill_postgres(db: &BenchDb, n: u64) {
    let mut conn = db.connect().await;
    sqlx::query(
        "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, tx_index, \
         event_type, revision, payload, creator, created_at) \
         SELECT 'bench', 'user', 'u' || (g / 10), g % 10 + 1, g + 1, 0, 'user.human.added', 1, \
                jsonb_build_object('username', 'u' || g, 'n', g), 'bench', now() \
           FROM generate_series(0, $1 - 1) g",
    )
    .bind(n as i64)
    .execute(&mut conn)
    .await
    .expect("fill postgres");
    conn.execute("VACUUM ANALYZE events").await.expect("vacuum");
}

/// Writes `n` events (10 per aggregate) straight into a SQLite data dir.
async fn fill_sqlite(dir: &Path, n: u64) {
    let cfg = SqliteConfig {
        dir: dir.to_owned(),
        ..Config::defaults().database.sqlite
    };
    let store = SqliteStore::open(&cfg, Limits::default())
        .await
        .expect("open");
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        SqliteStore::db_path(dir).display()
    ))
    .await
    .expect("connect sqlite");
    sqlx::query(
        "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n + 1 < ?) \
         INSERT INTO events (tx_id, tx_index, instance_id, aggregate_type, aggregate_id, sequence, \
                             event_type, revision, payload, creator, created_at) \
         SELECT n + 1, 0, 'bench', 'user', 'u' || (n / 10), n % 10 + 1, 'user.human.added', 1, \
                json_object('username', 'u' || n, 'n', n), 'bench', 0 FROM g",
    )
    .bind(n as i64)
    .execute(&mut conn)
    .await
    .expect("fill sqlite");
    conn.execute("ANALYZE").await.expect("analyze");
    conn.close().await.expect("close");
}

/// Starts the real binary on `data` `runs` times; returns (median, max) of
/// spawn → `/debug/ready` 200. One unmeasured start first (it records the
/// masterkey check and warms the page cache).
async fn startup_time(data: &Path, runs: usize) -> (Duration, Duration) {
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for i in 0..=runs {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
            l.local_addr().expect("addr").port()
        };
        let started = Instant::now();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .arg("start")
            .env("RAMPART_PORT", port.to_string())
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .env("RAMPART_DATABASE_SQLITE_DIR", data)
            .env("RAMPART_LOG_LEVEL", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rampart");
        loop {
            let ready = client
                .get(format!("http://127.0.0.1:{port}/debug/ready"))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "rampart did not get ready"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let took = started.elapsed();
        if i > 0 {
            times.push(took);
        }
        let pid = child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        let _ = child.wait().await;
    }
    times.sort();
    (times[times.len() / 2], *times.last().expect("runs"))
}
