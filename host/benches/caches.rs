//! The caches of seed 004, on a fresh PostgreSQL database per section
//! (127.0.0.1:5432, user postgres, trust; `RAMPART_TEST_PG_*` override) and
//! the local Redis (127.0.0.1:6379):
//!
//! - `resolve`: instance resolution as every request does it
//!   ([`rampart::query::Queries::instance_by_host`], a read, the host name
//!   `localhost`), one node assembled in-process per connector: `memory`,
//!   `redis`, `postgres` and none (the read model and the instance's events,
//!   what every request paid before). Sequential calls after a warm-up, each
//!   timed: mean, p50, p99.
//! - `staleness`: two nodes on one database with memory caches. Node A
//!   renames an organization that node B has cached; B reads it in a tight
//!   loop until it sees the new name. The window runs from A's answer to
//!   B's first read of the change; p50, p99 and max over the renames.
//!
//! `BENCH_SAMPLES` (default 20,000; the memory connector takes 20× as many)
//! and `BENCH_RENAMES` (default 300) set the sizes.
//!
//! `cargo bench -p rampart --bench caches [resolve|staleness]`

#![allow(missing_docs)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "support/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "support/pg.rs"]
mod pg;

use std::time::{Duration, Instant};

use pg::Db;
use rampart::app::Node;
use rampart::bootstrap::FirstInstance;
use rampart::command::CommandContext;
use rampart::config::{Backend, Config};
use rampart_plugin_sdk::catalogue::RenameOrg;

const TARGET_MEMORY_NS: f64 = 1_000.0;
const TARGET_REDIS_P99_US: f64 = 300.0;
const TARGET_POSTGRES_P99_US: f64 = 1_000.0;
const TARGET_STALENESS_P99_MS: f64 = 50.0;

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
    // As the server does: cache metrics are recorded, as in production.
    rampart::telemetry::metrics();
    rt.block_on(async {
        if runs("resolve") {
            resolve().await;
        }
        if runs("staleness") {
            staleness().await;
        }
    });
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A node's configuration on `db`, every cache on `connector` (`""`: none).
fn config(db: &Db, dir: &std::path::Path, connector: &str) -> Config {
    let mut cfg = Config::defaults();
    cfg.database.backend = Backend::Postgres;
    cfg.database.postgres = db.config();
    cfg.plugins.dir = dir.join("plugins");
    cfg.plugins.cache_dir = std::env::temp_dir().join("rampart-bench-plugin-cache");
    cfg.plugins.watch = false;
    cfg.first_instance.machine.pat_path = dir.join("admin.pat");
    cfg.first_instance.admin.password = "Bench-Passw0rd".into();
    cfg.log.level = "warn".into();
    let caches = &mut cfg.caches;
    caches.connectors.postgres.enabled = true;
    caches.connectors.redis.enabled = true;
    caches.connectors.redis.addr = "127.0.0.1:6379".into();
    caches.connectors.redis.key_prefix = format!("rampart-bench-{}", rand::random::<u32>());
    for cache in [
        &mut caches.instance,
        &mut caches.organization,
        &mut caches.milestones,
    ] {
        cache.connector = connector.to_owned();
    }
    cfg
}

/// Assembles a node and creates the first instance when the store is new.
async fn node(cfg: &Config) -> (Node, Option<FirstInstance>) {
    let node = rampart::app::assemble(cfg).await.expect("assemble");
    let first = rampart::bootstrap::ensure_first_instance(
        node.store.as_ref(),
        &node.commands,
        &cfg.first_instance,
    )
    .await
    .expect("first instance");
    node.state.mark_started();
    (node, first)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

async fn resolve() {
    let samples = env_number("BENCH_SAMPLES", 20_000);
    println!(
        "Instance resolution of one host name, as every request does it (Queries::instance_by_host, \
         a read), sequential calls after 1,000 warm-up calls, PostgreSQL backend:"
    );
    for (label, connector, count) in [
        ("memory", "memory", samples * 20),
        ("redis", "redis", samples),
        ("postgres", "postgres", samples),
        ("no cache", "", samples),
    ] {
        let db = Db::create().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = config(&db, dir.path(), connector);
        let (node, _) = node(&cfg).await;
        let queries = node.state.cqrs.as_ref().expect("cqrs").queries.clone();
        for _ in 0..1_000 {
            let found = queries.instance_by_host("localhost", false).await;
            assert!(
                matches!(found, Ok(Some(_))),
                "localhost resolves: {found:?}"
            );
        }
        let mut times = Vec::with_capacity(count);
        let started = Instant::now();
        for _ in 0..count {
            let at = Instant::now();
            let found = queries.instance_by_host("localhost", false).await;
            times.push(at.elapsed());
            assert!(matches!(found, Ok(Some(_))), "{found:?}");
        }
        let mean = started.elapsed().as_secs_f64() / count as f64;
        times.sort_unstable();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        let target = match connector {
            "memory" => format!("  [target mean <= {TARGET_MEMORY_NS:.0} ns]"),
            "redis" => format!("  [target p99 <= {TARGET_REDIS_P99_US:.0} us]"),
            "postgres" => format!("  [target p99 <= {TARGET_POSTGRES_P99_US:.0} us]"),
            _ => String::new(),
        };
        println!(
            "  {label:<9} {count:>7} calls: mean {:>9.0} ns, p50 {:>9.0} ns, p99 {:>9.0} ns{target}",
            mean * 1e9,
            p50.as_nanos() as f64,
            p99.as_nanos() as f64,
        );
        node.stop().await;
        db.drop_now().await;
    }
    println!();
}

async fn staleness() {
    let renames = env_number("BENCH_RENAMES", 300);
    let db = Db::create().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cfg_a = config(&db, dir_a.path(), "memory");
    let mut cfg_b = cfg_a.clone();
    cfg_b.plugins.dir = dir_b.path().join("plugins");
    let (a, first) = node(&cfg_a).await;
    let first = first.expect("a fresh store");
    let (b, _) = node(&cfg_b).await;
    let ctx = CommandContext::new(&first.instance_id, &first.admin_id);
    let queries_b = b.state.cqrs.as_ref().expect("cqrs").queries.clone();
    let org = &first.org_id;
    let mut windows = Vec::with_capacity(renames);
    let mut reads = 0u64;
    for n in 0..renames {
        // B has the organization cached before each change.
        let before = queries_b
            .org(&first.instance_id, org)
            .await
            .expect("read")
            .expect("org");
        let name = format!("Renamed {n}");
        assert_ne!(before.name, name);
        let rename = RenameOrg { name: name.clone() };
        a.commands
            .rename_org(&ctx, org, rename)
            .await
            .expect("rename");
        let changed = Instant::now();
        loop {
            reads += 1;
            let seen = queries_b
                .org(&first.instance_id, org)
                .await
                .expect("read")
                .expect("org");
            if seen.name == name {
                windows.push(changed.elapsed());
                break;
            }
            assert!(
                changed.elapsed() < Duration::from_secs(10),
                "node B never saw rename {n}"
            );
            tokio::task::yield_now().await;
        }
    }
    windows.sort_unstable();
    println!(
        "Cross-node staleness of the memory cache: two nodes on one PostgreSQL \
         (NotifyInterval {:?}), {renames} organization renames on node A, node B reading in a \
         tight loop ({reads} reads):",
        cfg_a.eventstore.notify_interval
    );
    println!(
        "  window from A's answer to B's first read of the change: p50 {:.1} ms, p99 {:.1} ms, \
         max {:.1} ms  [target p99 <= {TARGET_STALENESS_P99_MS:.0} ms]",
        load::ms(percentile(&windows, 0.5)),
        load::ms(percentile(&windows, 0.99)),
        load::ms(*windows.last().expect("renames")),
    );
    b.stop().await;
    a.stop().await;
    db.drop_now().await;
}
