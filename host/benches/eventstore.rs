//! # Eventstore benchmark
//!
//! `cargo bench -p rampart --bench eventstore` prints, for SQLite and for the
//! PostgreSQL on 127.0.0.1:5432 (`RAMPART_TEST_PG_*` as in the tests):
//!
//! - push throughput, one event per push, with 1, 8 and 32 writers on
//!   distinct aggregates (each push a new aggregate, or each writer appending
//!   to its own), and with 8 writers contending on one aggregate (conflicts
//!   counted, each retried after reloading the sequence);
//! - on PostgreSQL, two ceilings at the same concurrency, measured in the
//!   same rounds: one `INSERT` per transaction into a plain table with a
//!   primary key, and into a copy of `events` with all its indexes; every
//!   printed rate is measured (the median round's), and each ratio is the
//!   median of the rounds' own ratios;
//! - on PostgreSQL (`group-commit`), group commit off (`CommitSlots: 0`,
//!   every push a transaction of its own) against on (the default), in
//!   alternating rounds, pushes creating an aggregate with a unique claim:
//!   one writer's push latency p50/p99, and 32 writers' rates;
//! - query-by-aggregate latency p50/p99 on a store of 1M events;
//! - `rampart start` to `/debug/ready` on SQLite with 10k and with 1M events.
//!
//! Each figure is the median of several rounds (2 s each), the PostgreSQL
//! ceiling and pushes alternating, because these machines are shared and
//! noisy. `BENCH_COMMIT_SLOTS` and `BENCH_GROUP_COMMIT_MAX` set the group
//! commit compared in `group-commit`. `-- --quick` shortens every phase (smoke run; figures are not comparable).
//! Naming sections runs only those: `-- push-postgres group-commit push-sqlite query startup`.

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
    /// Sections named on the command line; all when empty.
    only: Vec<String>,
    phase: Duration,
    /// Repetitions of each measurement; medians are reported.
    rounds: usize,
    warmup: Duration,
    big: u64,
    samples: usize,
    starts: usize,
}

impl Plan {
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let plan = if quick {
        Plan {
            only,
            phase: Duration::from_secs(1),
            rounds: 1,
            warmup: Duration::from_millis(200),
            big: 100_000,
            samples: 500,
            starts: 2,
        }
    } else {
        Plan {
            only,
            phase: Duration::from_secs(2),
            rounds: 5,
            warmup: Duration::from_millis(500),
            big: 1_000_000,
            samples: 2_000,
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
        "eventstore benchmark ({} s per phase, {} rounds, {} events for the query store)",
        plan.phase.as_secs_f64(),
        plan.rounds,
        plan.big
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut targets = Vec::new();
    if plan.runs("push-postgres") {
        let ratio = push_postgres(&plan).await;
        targets.push((
            "PG push (appending), 32 writers >= 0.6 x plain-table INSERT ceiling",
            ratio >= 0.6,
            format!("{ratio:.2}"),
        ));
    }
    if plan.runs("group-commit") {
        group_commit(&plan).await;
    }
    if plan.runs("push-sqlite") {
        let rate = push_sqlite(&plan, dir.path()).await;
        targets.push((
            "SQLite push, 8 writers >= 10k events/s",
            rate >= 10_000.0,
            format!("{rate:.0}"),
        ));
    }
    if plan.runs("query") || plan.runs("startup") {
        let (pg, sqlite) = query_by_aggregate(&plan, dir.path()).await;
        let two_ms = Duration::from_millis(2);
        targets.push((
            "query by aggregate p99 <= 2 ms (postgres)",
            pg <= two_ms,
            format!("{pg:.3?}"),
        ));
        targets.push((
            "query by aggregate p99 <= 2 ms (sqlite)",
            sqlite <= two_ms,
            format!("{sqlite:.3?}"),
        ));
    }
    if plan.runs("startup") {
        let (small, big) = startup(&plan, dir.path()).await;
        let slowest = small.max(big);
        let growth = format!(
            "{slowest:.1?}; big store vs 10k events: {:.2}x",
            big.as_secs_f64() / small.as_secs_f64().max(1e-9)
        );
        targets.push((
            "start -> ready <= 500 ms (sqlite, both sizes)",
            slowest <= Duration::from_millis(500),
            growth,
        ));
    }
    println!();
    println!("targets:");
    for (what, ok, value) in targets {
        println!("  [{}] {what}: {value}", if ok { "met" } else { "MISSED" });
    }
}

/// PostgreSQL push rates beside the raw INSERT ceiling; returns the 32-writer ratio.
async fn push_postgres(plan: &Plan) -> f64 {
    println!();
    println!(
        "{:<9} {:<36} {:>7} {:>12} notes",
        "backend", "scenario", "writers", "rate/s"
    );
    let db = BenchDb::create().await;
    let mut cfg = db.config();
    cfg.max_open_conns = 40;
    let store: Arc<dyn EventStore> = {
        let s = PostgresStore::connect(&cfg, &Config::defaults().eventstore)
            .await
            .expect("connect");
        s.migrate().await.expect("migrate");
        Arc::new(s)
    };
    let mut ratio_32 = 0.0;
    for writers in [1, 8, 32] {
        // Rounds alternate ceiling and pushes, so both see the same noise of
        // this shared machine; medians are reported.
        // Each round measures the ceiling and both pushes; a rate printed
        // is a measured rate (the median round's), and a ratio is the
        // median of the rounds' own ratios, never one derived from the other.
        let (mut plain, mut copy) = (Vec::new(), Vec::new());
        let (mut new, mut own) = (Rounds::default(), Rounds::default());
        for _ in 0..plan.rounds {
            let ceilings = [
                raw_insert_rate(&cfg, writers, plan, Ceiling::Plain).await,
                raw_insert_rate(&cfg, writers, plan, Ceiling::EventsCopy).await,
            ];
            plain.push(ceilings[0]);
            copy.push(ceilings[1]);
            new.add(
                push_rate(&store, writers, Target::New, plan).await.rate,
                ceilings,
            );
            own.add(
                push_rate(&store, writers, Target::Own, plan).await.rate,
                ceilings,
            );
        }
        let notes = format!("tx/s, median of {} rounds", plan.rounds);
        row(
            "postgres",
            "INSERT, plain table (ceiling)",
            writers,
            median(&mut plain),
            notes.clone(),
        );
        row(
            "postgres",
            "INSERT, copy of events (ceiling)",
            writers,
            median(&mut copy),
            notes,
        );
        for (label, rounds) in [
            ("push, a new aggregate each", &mut new),
            ("push, appending to own aggregate", &mut own),
        ] {
            let (to_plain, to_copy) =
                (median(&mut rounds.ratios[0]), median(&mut rounds.ratios[1]));
            let notes = format!(
                "{to_plain:.2} x plain, {to_copy:.2} x events copy (medians of rounds' own ratios)"
            );
            row("postgres", label, writers, median(&mut rounds.rates), notes);
        }
        if writers == 32 {
            ratio_32 = median(&mut own.ratios[0]);
        }
    }
    contended("postgres", &store, plan).await;
    store.close().await;
    ratio_32
}

/// The `group-commit` section: a store with group commit as configured
/// beside one without, on a fresh database.
async fn group_commit(plan: &Plan) {
    let db = BenchDb::create().await;
    let mut cfg = db.config();
    cfg.max_open_conns = 40;
    if let Some(slots) = std::env::var("BENCH_COMMIT_SLOTS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        cfg.commit_slots = slots;
    }
    if let Some(max) = std::env::var("BENCH_GROUP_COMMIT_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        cfg.group_commit_max = max;
    }
    let on = PostgresStore::connect(&cfg, &Config::defaults().eventstore)
        .await
        .expect("connect");
    on.migrate().await.expect("migrate");
    let on: Arc<dyn EventStore> = Arc::new(on);
    group_commit_off_and_on(&cfg, &on, plan).await;
    on.close().await;
}

/// One writer's push latency and 32 writers' rate, with group commit off
/// (a store on the same database with `CommitSlots: 0`) and on (`on`), in
/// alternating rounds; each push a new aggregate claiming a unique value
/// (the pushes group commit takes: the one-statement shapes go alone).
async fn group_commit_off_and_on(cfg: &PostgresConfig, on: &Arc<dyn EventStore>, plan: &Plan) {
    let off: Arc<dyn EventStore> = {
        let mut cfg = cfg.clone();
        cfg.commit_slots = 0;
        let s = PostgresStore::connect(&cfg, &Config::defaults().eventstore)
            .await
            .expect("connect");
        Arc::new(s)
    };
    let (mut p50s, mut p99s) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let (mut rates, mut p50_ratios, mut rate_ratios) =
        ([Vec::new(), Vec::new()], Vec::new(), Vec::new());
    for _ in 0..plan.rounds {
        let mut round_p50 = [Duration::ZERO; 2];
        let mut round_rate = [0.0; 2];
        for (i, store) in [&off, on].into_iter().enumerate() {
            let (p50, p99) = one_writer_latency(store, plan).await;
            p50s[i].push(p50);
            p99s[i].push(p99);
            round_p50[i] = p50;
            round_rate[i] = push_rate(store, 32, Target::Claim, plan).await.rate;
            rates[i].push(round_rate[i]);
        }
        p50_ratios.push(round_p50[1].as_secs_f64() / round_p50[0].as_secs_f64());
        rate_ratios.push(round_rate[1] / round_rate[0]);
    }
    println!();
    println!(
        "postgres group commit, off (CommitSlots: 0) / on (default), median of {} rounds:",
        plan.rounds
    );
    println!(
        "  1 writer, push latency p50 / p99:  off {:.0?} / {:.0?}   on {:.0?} / {:.0?}   on/off p50 {:.2}",
        median(&mut p50s[0]),
        median(&mut p99s[0]),
        median(&mut p50s[1]),
        median(&mut p99s[1]),
        median(&mut p50_ratios)
    );
    println!(
        "  32 writers, pushes/s:               off {:.0}   on {:.0}   on/off {:.2}",
        median(&mut rates[0]),
        median(&mut rates[1]),
        median(&mut rate_ratios)
    );
    off.close().await;
}

/// One writer creating aggregates that claim a unique value, for a phase:
/// the p50 and p99 of its pushes' latencies (after a warm-up).
async fn one_writer_latency(store: &Arc<dyn EventStore>, plan: &Plan) -> (Duration, Duration) {
    let a = AggregateRef::new(
        "bench",
        "user",
        format!("latency-{}", rand::random::<u32>()),
    );
    let mut seq = 0;
    let mut times = Vec::new();
    let warm_until = Instant::now() + plan.warmup;
    let until = warm_until + plan.phase;
    while Instant::now() < until {
        let e = NewEvent::new("user.human.added", json!({ "username": "u" }), "bench");
        let started = Instant::now();
        let stored = store
            .push(Push::new(a.clone(), ExpectedSequence::Exact(seq), vec![e]))
            .await
            .expect("push");
        if started >= warm_until {
            times.push(started.elapsed());
        }
        seq = stored[0].sequence;
    }
    let mut sorted = times.clone();
    sorted.sort();
    (sorted[sorted.len() / 2], sorted[sorted.len() * 99 / 100])
}

/// The measured rates of one scenario over rounds, and each round's ratio
/// to the ceiling measured beside it.
#[derive(Default)]
struct Rounds {
    rates: Vec<f64>,
    /// Against the plain table, against the copy of `events`.
    ratios: [Vec<f64>; 2],
}

impl Rounds {
    fn add(&mut self, rate: f64, ceilings: [f64; 2]) {
        self.rates.push(rate);
        for (ratios, ceiling) in self.ratios.iter_mut().zip(ceilings) {
            ratios.push(rate / ceiling);
        }
    }
}

/// Eight writers on one aggregate: pushes/s, and the conflicts they retried.
async fn contended(backend: &str, store: &Arc<dyn EventStore>, plan: &Plan) {
    let r = push_rate(store, 8, Target::Hot, plan).await;
    let notes = format!("{} conflicts retried", r.failed);
    row(backend, "push, one contended aggregate", 8, r.rate, notes);
}

/// SQLite push rates; returns the 8-writer rate.
async fn push_sqlite(plan: &Plan, dir: &Path) -> f64 {
    let store: Arc<dyn EventStore> = Arc::new(open_sqlite(&dir.join("push")).await);
    let mut rate_8 = 0.0;
    for writers in [1, 8, 32] {
        let mut rates = Vec::new();
        for _ in 0..plan.rounds {
            rates.push(push_rate(&store, writers, Target::Own, plan).await.rate);
        }
        let rate = median(&mut rates);
        if writers == 8 {
            rate_8 = rate;
        }
        let notes = format!(
            "events/s, synchronous=full, median of {} rounds",
            plan.rounds
        );
        row(
            "sqlite",
            "push, appending to own aggregate",
            writers,
            rate,
            notes,
        );
    }
    contended("sqlite", &store, plan).await;
    store.close().await;
    rate_8
}

/// Query-by-aggregate latency on a big store of each backend; returns the p99s.
async fn query_by_aggregate(plan: &Plan, dir: &Path) -> (Duration, Duration) {
    println!();
    println!(
        "{:<9} {:<36} {:>10} {:>10}",
        "backend", "query by aggregate", "p50", "p99"
    );
    let label = format!("{} events, 10 per aggregate", plan.big);

    let db = BenchDb::create().await;
    let pg = PostgresStore::connect(&db.config(), &Config::defaults().eventstore)
        .await
        .expect("connect");
    pg.migrate().await.expect("migrate");
    fill_postgres(&db, plan.big).await;
    let pg: Arc<dyn EventStore> = Arc::new(pg);
    let (p50, pg_p99) = query_latency(&pg, plan.big, plan).await;
    println!(
        "{:<9} {:<36} {:>10.3?} {:>10.3?}",
        "postgres", label, p50, pg_p99
    );
    pg.close().await;

    fill_sqlite(&dir.join("big"), plan.big).await;
    let sqlite: Arc<dyn EventStore> = Arc::new(open_sqlite(&dir.join("big")).await);
    let (p50, sqlite_p99) = query_latency(&sqlite, plan.big, plan).await;
    println!(
        "{:<9} {:<36} {:>10.3?} {:>10.3?}",
        "sqlite", label, p50, sqlite_p99
    );
    sqlite.close().await;
    (pg_p99, sqlite_p99)
}

/// Start-up time of the real binary on 10k events and on the big store
/// (filled by [`query_by_aggregate`]); returns both medians.
async fn startup(plan: &Plan, dir: &Path) -> (Duration, Duration) {
    println!();
    println!(
        "{:<9} {:<36} {:>10} {:>10}",
        "backend", "rampart start -> /debug/ready", "median", "max"
    );
    fill_sqlite(&dir.join("small"), 10_000).await;
    let mut medians = Vec::new();
    for (label, data) in [
        ("10k events".to_owned(), "small"),
        (format!("{} events", plan.big), "big"),
    ] {
        let (median, max) = startup_time(&dir.join(data), plan.starts).await;
        println!(
            "{:<9} {:<36} {:>10.1?} {:>10.1?}",
            "sqlite", label, median, max
        );
        medians.push(median);
    }
    (medians[0], medians[1])
}

fn row(backend: &str, scenario: &str, writers: usize, rate: f64, notes: String) {
    println!("{backend:<9} {scenario:<36} {writers:>7} {rate:>12.0} {notes}");
}

async fn open_sqlite(dir: &Path) -> SqliteStore {
    let cfg = SqliteConfig {
        dir: dir.to_owned(),
        ..Config::defaults().database.sqlite
    };
    SqliteStore::open(&cfg, Limits::from(&Config::defaults().eventstore))
        .await
        .expect("open sqlite")
}

/// What one measured phase counted.
struct Rate {
    /// Successful operations per second.
    rate: f64,
    /// Failed (retried) operations during the phase.
    failed: u64,
}

/// Shared by the tasks of one phase: whether to go on, whether to count.
#[derive(Clone, Default)]
struct Phase {
    counting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl Phase {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    fn record(&self, ok: bool) {
        if self.counting.load(Ordering::Relaxed) {
            let counter = if ok { &self.done } else { &self.failed };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs `task` on `tasks` tokio tasks through the warm-up and one measured phase.
async fn measure<F, Fut>(tasks: usize, plan: &Plan, task: F) -> Rate
where
    F: Fn(usize, Phase) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let phase = Phase::default();
    let handles: Vec<_> = (0..tasks)
        .map(|i| tokio::spawn(task(i, phase.clone())))
        .collect();
    tokio::time::sleep(plan.warmup).await;
    phase.counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(plan.phase).await;
    phase.counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    phase.stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.await.expect("benchmark task");
    }
    Rate {
        rate: phase.done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        failed: phase.failed.load(Ordering::Relaxed),
    }
}

/// Which aggregates the writers push to.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// Every push creates a new aggregate (sequence 0 expected), as creations do.
    New,
    /// Each writer appends to its own aggregate.
    Own,
    /// All writers append to one aggregate; conflicts are reloaded and retried.
    Hot,
    /// Every push creates a new aggregate and claims a unique value in the
    /// same transaction, as creating a user does.
    Claim,
}

/// One event per push from `writers` tasks.
async fn push_rate(
    store: &Arc<dyn EventStore>,
    writers: usize,
    target: Target,
    plan: &Plan,
) -> Rate {
    let run = rand::random::<u32>();
    measure(writers, plan, |w, phase| {
        let store = store.clone();
        async move {
            let aggregate = |i: u64| {
                let id = match target {
                    Target::New | Target::Claim => format!("n{w}-{run}-{i}"),
                    Target::Own => format!("w{w}-{run}"),
                    Target::Hot => format!("hot-{run}"),
                };
                AggregateRef::new("bench", "user", id)
            };
            let mut seq = store.latest_sequence(&aggregate(0)).await.expect("seq");
            let mut i = 0u64;
            while phase.running() {
                let a = aggregate(i);
                if matches!(target, Target::New | Target::Claim) {
                    seq = 0;
                }
                let e = NewEvent::new(
                    "user.human.added",
                    json!({ "username": "u", "n": i }),
                    "bench",
                );
                let mut push = Push::new(a.clone(), ExpectedSequence::Exact(seq), vec![e]);
                if target == Target::Claim {
                    push = push.claim("bench", "username", a.aggregate_id.clone(), "taken");
                }
                match store.push(push).await {
                    Ok(stored) => {
                        seq = stored[0].sequence;
                        phase.record(true);
                    }
                    Err(StoreError::Conflict { .. }) => {
                        phase.record(false);
                        seq = store.latest_sequence(&a).await.expect("seq");
                    }
                    Err(e) => panic!("push failed: {e}"),
                }
                i += 1;
            }
        }
    })
    .await
}

/// Single-row autocommit INSERTs through the same driver and pool settings.
async fn raw_insert_rate(
    cfg: &PostgresConfig,
    writers: usize,
    plan: &Plan,
    ceiling: Ceiling,
) -> f64 {
    let pool = rampart::eventstore::postgres::connect_pool(cfg)
        .await
        .expect("pool");
    pool.execute(ceiling.table())
        .await
        .expect("create the ceiling's table");
    let rate = measure(writers, plan, |writer, phase| {
        let pool = pool.clone();
        async move {
            let mut n = 0u64;
            while phase.running() {
                n += 1;
                let insert = sqlx::query(ceiling.insert())
                    .bind(format!("w{writer}-{n}-{}", rand::random::<u32>()))
                    .bind(r#"{"username":"u","n":1}"#);
                insert.execute(&pool).await.expect("insert");
                phase.record(true);
            }
        }
    })
    .await;
    pool.close().await;
    rate.rate
}

/// What a push is compared with: one `INSERT` per transaction into a table.
#[derive(Debug, Clone, Copy)]
enum Ceiling {
    /// A plain table with a primary key.
    Plain,
    /// A copy of `events` with all its indexes and constraints.
    EventsCopy,
}

impl Ceiling {
    fn table(self) -> &'static str {
        match self {
            Ceiling::Plain => {
                "CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, payload JSONB NOT NULL)"
            }
            Ceiling::EventsCopy => {
                "CREATE TABLE IF NOT EXISTS bench_events_copy (LIKE events INCLUDING ALL)"
            }
        }
    }

    fn insert(self) -> &'static str {
        match self {
            Ceiling::Plain => "INSERT INTO bench_raw (id, payload) VALUES ($1, $2::text::jsonb)",
            Ceiling::EventsCopy => {
                "INSERT INTO bench_events_copy (instance_id, aggregate_type, aggregate_id, sequence, \
                 tx_id, tx_index, event_type, revision, payload, creator, created_at) \
                 VALUES ('bench', 'user', $1, 1, pg_current_xact_id()::text::bigint, 0, \
                 'user.added', 1, $2::text::jsonb, 'bench', now())"
            }
        }
    }
}

/// Reads one random aggregate's history at a time, in rounds; returns the
/// median over rounds of each round's (p50, p99).
async fn query_latency(
    store: &Arc<dyn EventStore>,
    events: u64,
    plan: &Plan,
) -> (Duration, Duration) {
    let aggregates = events / 10;
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    for _ in 0..plan.rounds {
        let mut times = Vec::with_capacity(plan.samples);
        for i in 0..plan.samples + plan.samples / 10 {
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
            if i >= plan.samples / 10 {
                times.push(took);
            }
        }
        times.sort();
        p50s.push(times[times.len() / 2]);
        p99s.push(times[times.len() * 99 / 100]);
    }
    (median(&mut p50s), median(&mut p99s))
}

/// The median of `values` (sorted in place).
fn median<T: PartialOrd + Copy>(values: &mut [T]) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
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
    let store = SqliteStore::open(&cfg, Limits::from(&Config::defaults().eventstore))
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
