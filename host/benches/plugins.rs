//! # Plugin runtime benchmark
//!
//! `cargo bench -p rampart --bench plugins` prints:
//!
//! - `call`: validator call latency (trivial validator, one small command, a
//!   fresh isolated instance per call), p50/p99 over many calls, through the
//!   registry as the command pipeline calls it; and, to show where the time
//!   goes, the same call through plain wasmtime with one setting changed at a
//!   time (default engine, `concurrency_support(false)`, pooling allocator,
//!   and without building a WASI context per call);
//! - `swap`: from the final write of a new component (about 120 KB, never seen
//!   before, so it is compiled) to the new version serving, via the watcher;
//! - `load`: 100 hot swaps while 2 threads call the plugin continuously,
//!   counting failed calls and the call rate;
//! - `memory`: RSS growth with 10 plugins loaded (in a process of its own,
//!   so nothing another section allocated counts), and the time a restart takes
//!   to load them from the on-disk code cache.
//!
//! Naming sections runs only those: `-- call swap load memory`. Medians of
//! several rounds, because these machines are shared and noisy.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart::config::{Config, PluginsConfig};
use rampart::plugins::bindings::validator::ValidatorPre;
use rampart::plugins::types::{AggregateState, Command};
use rampart::plugins::{PluginRegistry, Verdict, content_hash};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

const ROUNDS: usize = 5;
const CALLS_PER_ROUND: usize = 50_000;

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let work = tempfile::tempdir().expect("tempdir");
    println!("plugin runtime benchmark (medians of {ROUNDS} rounds)\n");
    if runs("call") {
        call(work.path());
    }
    if runs("swap") {
        swap(work.path());
    }
    if runs("load") {
        swap_under_load(work.path());
    }
    if only == ["memory"] {
        memory(work.path());
    } else if runs("memory") {
        // RSS growth means something only in a process that ran nothing
        // else: measured in a fresh run of this binary.
        let status = std::process::Command::new(std::env::current_exe().expect("this binary"))
            .arg("memory")
            .status()
            .expect("run the memory section in a process of its own");
        assert!(status.success(), "the memory section failed");
    }
}

/// A compiled test plugin.
fn test_plugin(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR"))
        .join("test-plugins")
        .join(format!("{name}.wasm"))
}

/// Plugin settings for a registry over `dir/plugins`, plus `extra` YAML keys.
fn config(dir: &Path, extra: &str) -> PluginsConfig {
    let file = dir.join("bench.yaml");
    let text = format!(
        "Plugins:\n  Dir: {}\n  CacheDir: {}\n  Shipped: false\n{extra}",
        dir.join("plugins").display(),
        dir.join("cache").display()
    );
    std::fs::write(&file, text).expect("write config");
    Config::load(&[file], Vec::new())
        .expect("bench config")
        .plugins
}

/// A fresh directory `dir/name` holding `files` (source path, file name).
fn fresh_dir(dir: &Path, name: &str, files: &[(PathBuf, String)]) -> PathBuf {
    let root = dir.join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("plugins")).expect("mkdir");
    for (source, file) in files {
        std::fs::copy(source, root.join("plugins").join(file)).expect("copy plugin");
    }
    root
}

fn small_command() -> Command {
    Command {
        name: "user.human.add".into(),
        instance_id: "instance-1".into(),
        org_id: Some("org-1".into()),
        actor: "admin".into(),
        aggregate_type: "user".into(),
        aggregate_id: "user-1".into(),
        payload: r#"{"username":"ada"}"#.into(),
    }
}

fn new_state() -> AggregateState {
    AggregateState {
        sequence: 0,
        state: "null".into(),
    }
}

/// p50 and p99 of `samples` (sorted in place), in microseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_nanos() as f64 / 1000.0;
    (at(0.50), at(0.99))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Times `CALLS_PER_ROUND` calls of `call` per round; median p50 and p99.
fn measure(mut call: impl FnMut()) -> (f64, f64) {
    for _ in 0..5_000 {
        call();
    }
    let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
    let mut samples = Vec::with_capacity(CALLS_PER_ROUND);
    for _ in 0..ROUNDS {
        samples.clear();
        for _ in 0..CALLS_PER_ROUND {
            let started = Instant::now();
            call();
            samples.push(started.elapsed());
        }
        let (p50, p99) = percentiles(&mut samples);
        p50s.push(p50);
        p99s.push(p99);
    }
    (median(&mut p50s), median(&mut p99s))
}

// ---------------------------------------------------------------- call

/// Store data of the plain-wasmtime variants.
struct Plain {
    wasi: Option<WasiCtx>,
    table: ResourceTable,
}

impl WasiView for Plain {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let wasi = self
            .wasi
            .get_or_insert_with(|| WasiCtxBuilder::new().build());
        WasiCtxView {
            ctx: wasi,
            table: &mut self.table,
        }
    }
}

/// One plain-wasmtime variant: engine settings and whether WASI is built eagerly.
fn plain_variant(bytes: &[u8], pagemap: bool, pooling: bool, eager_wasi: bool) -> [(f64, f64); 3] {
    let mut config = wasmtime::Config::new();
    if pooling {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(64)
            .total_core_instances(512)
            .total_memories(128)
            .total_tables(512)
            .max_memory_size(16 << 20)
            .table_keep_resident(64 << 10);
        if pagemap {
            pool.pagemap_scan(wasmtime::Enabled::Auto)
                .linear_memory_keep_resident(4 << 20);
        }
        config
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_reservation(16 << 20)
            .memory_guard_size(64 << 10);
    }
    let engine = Engine::new(&config).expect("engine");
    let component = Component::new(&engine, bytes).expect("compile");
    let mut linker = Linker::<Plain>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
    let pre = ValidatorPre::new(linker.instantiate_pre(&component).expect("link")).expect("world");
    let (command, state) = (small_command(), new_state());
    let data = || Plain {
        wasi: eager_wasi.then(|| WasiCtxBuilder::new().build()),
        table: ResourceTable::new(),
    };
    let store_only = measure(|| {
        std::hint::black_box(Store::new(&engine, data()));
    });
    let instantiate = measure(|| {
        let mut store = Store::new(&engine, data());
        std::hint::black_box(pre.instantiate(&mut store).expect("instantiate"));
    });
    let full = measure(|| {
        let mut store = Store::new(&engine, data());
        let validator = pre.instantiate(&mut store).expect("instantiate");
        let verdict = validator
            .call_validate(&mut store, &command, &state)
            .expect("call");
        std::hint::black_box(verdict).ok();
    });
    [store_only, instantiate, full]
}

fn call(dir: &Path) {
    println!("== call: trivial validator (toggle), one small command, fresh instance per call");
    let bytes = std::fs::read(test_plugin("toggle")).expect("toggle.wasm");
    for (label, file) in [
        (
            "wasm32-wasip2 component (Rust std links WASI and its p1 adapter)",
            "toggle",
        ),
        (
            "import-free component (wasm32-unknown-unknown + wit-component)",
            "toggle-bare",
        ),
    ] {
        let root = fresh_dir(dir, file, &[(test_plugin(file), "toggle.wasm".into())]);
        let registry = PluginRegistry::start(config(&root, "")).expect("runtime");
        let (command, state) = (small_command(), new_state());
        let (p50, p99) = measure(|| {
            let verdict = registry.validate_blocking(&command, &state).expect("call");
            assert!(matches!(verdict, Verdict::Rejected { .. }));
        });
        println!("  registry.validate, {label}");
        println!("      p50 {p50:6.2} us  p99 {p99:6.2} us   (target p50 <= 5, p99 <= 20)");
    }
    println!(
        "  where the time goes (plain wasmtime, wasip2 toggle, one setting changed at a time;"
    );
    println!("  concurrency_support is off throughout: Rampart builds wasmtime without it):");
    for (label, pagemap, pooling, eager) in [
        ("on-demand allocator, WASI ctx per call", false, false, true),
        ("+ pooling allocator (madvise reset)   ", false, true, true),
        ("+ PAGEMAP_SCAN reset of dirty pages   ", true, true, true),
        ("+ WASI ctx only when used (lazy)      ", true, true, false),
    ] {
        let [store, instantiate, full] = plain_variant(&bytes, pagemap, pooling, eager);
        println!(
            "    {label} p50/p99 us: store {:5.2}/{:5.2}  +instantiate {:5.2}/{:5.2}  +call {:5.2}/{:6.2}",
            store.0, store.1, instantiate.0, instantiate.1, full.0, full.1
        );
    }
    println!();
}

// ---------------------------------------------------------------- swap

/// `base` with a custom section appended that makes its content (and so its
/// hash and code-cache key) unique, forcing a real compile.
fn unique_variant(base: &[u8], tag: u64) -> Vec<u8> {
    let name = b"rampart-bench";
    let payload = tag.to_le_bytes();
    let body_len = 1 + name.len() + payload.len();
    let mut bytes = base.to_vec();
    bytes.push(0); // custom section id
    leb128(&mut bytes, body_len as u64);
    leb128(&mut bytes, name.len() as u64);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&payload);
    bytes
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Writes `bytes` to `path` (truncate + write, as `cp` does) and returns when
/// the last byte is written.
fn write_file(path: &Path, bytes: &[u8]) -> Instant {
    std::fs::write(path, bytes).expect("write plugin");
    Instant::now()
}

/// Waits until the registry serves `hash` for `toggle`; the time it took since `from`.
fn until_serving(registry: &PluginRegistry, hash: &str, from: Instant) -> Duration {
    loop {
        if registry.get("toggle").is_some_and(|p| p.hash == hash) {
            return from.elapsed();
        }
        assert!(
            from.elapsed() < Duration::from_secs(10),
            "swap never happened"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn swap(dir: &Path) {
    println!("== swap: final write of a never-seen component -> new version serving (watcher)");
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let v1 = std::fs::read(test_plugin("toggle")).expect("toggle");
    let v2 = std::fs::read(test_plugin("toggle-v2")).expect("toggle-v2");
    let root = fresh_dir(
        dir,
        "swap",
        &[(test_plugin("toggle"), "toggle.wasm".into())],
    );
    let registry = Arc::new(PluginRegistry::start(config(&root, "")).expect("runtime"));
    let _watch = runtime.block_on(async { registry.clone().watch().expect("watch") });
    let file = root.join("plugins/toggle.wasm");
    let mut times = Vec::new();
    for round in 0..20u64 {
        let bytes = unique_variant(if round % 2 == 0 { &v2 } else { &v1 }, round + 1);
        let hash = content_hash(&bytes);
        let written = write_file(&file, &bytes);
        times.push(until_serving(&registry, &hash, written).as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(50));
    }
    let max = times.iter().copied().fold(0.0, f64::max);
    println!(
        "  component {} KB, 20 swaps: median {:.1} ms, max {max:.1} ms   (target <= 250 ms)\n",
        v1.len() / 1024,
        median(&mut times)
    );
}

// ---------------------------------------------------------------- load

fn swap_under_load(dir: &Path) {
    println!("== load: 100 hot swaps while 2 threads call the plugin continuously");
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let v1 = std::fs::read(test_plugin("toggle")).expect("toggle");
    let v2 = std::fs::read(test_plugin("toggle-v2")).expect("toggle-v2");
    let root = fresh_dir(
        dir,
        "load",
        &[(test_plugin("toggle"), "toggle.wasm".into())],
    );
    let registry = Arc::new(PluginRegistry::start(config(&root, "")).expect("runtime"));
    let _watch = runtime.block_on(async { registry.clone().watch().expect("watch") });
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (registry, stop) = (registry.clone(), stop.clone());
            let (calls, failures) = (calls.clone(), failures.clone());
            std::thread::spawn(move || {
                let (command, state) = (small_command(), new_state());
                while !stop.load(Ordering::Relaxed) {
                    match registry.validate_blocking(&command, &state) {
                        Ok(Verdict::Rejected { .. }) => {}
                        _ => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let file = root.join("plugins/toggle.wasm");
    let started = Instant::now();
    for round in 0..100u64 {
        // alternate two versions; every fifth swap is a never-seen component
        let base = if round % 2 == 0 { &v2 } else { &v1 };
        let bytes = if round % 5 == 0 {
            unique_variant(base, 1000 + round)
        } else {
            base.clone()
        };
        let hash = content_hash(&bytes);
        let tmp = root.join("plugins/toggle.wasm.tmp");
        std::fs::write(&tmp, &bytes).expect("write");
        std::fs::rename(&tmp, &file).expect("rename");
        until_serving(&registry, &hash, Instant::now());
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.join().expect("caller thread");
    }
    let calls = calls.load(Ordering::Relaxed);
    println!(
        "  {calls} calls in {:.1} s = {:.0} calls/s; failed calls: {}   (target: 0 failed at >= 10k calls/s)\n",
        elapsed.as_secs_f64(),
        calls as f64 / elapsed.as_secs_f64(),
        failures.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------- memory

/// Resident set size of this process, bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .expect("resident")
        .parse()
        .expect("number");
    pages * 4096
}

/// Ten distinct plugins: the test plugins, plus copies of `toggle` whose
/// name (a same-length byte string in its data) is rewritten, so each is a
/// different plugin with different code to compile and keep.
/// What the ten plugins ask for beyond `config`: every plugin gets only
/// `config` unless granted more.
const TEN_GRANTS: &str = "  hostile:\n    Grants: [log, config, clock]\n  \
     echo-projection:\n    Grants: [config, clock]\n";

fn ten_plugins() -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = ["hostile", "toggle", "echo-projection", "claims-flow"]
        .iter()
        .map(|name| (test_plugin(name), format!("{name}.wasm")))
        .collect();
    let toggle = std::fs::read(test_plugin("toggle")).expect("toggle");
    let scratch = std::env::temp_dir().join(format!("rampart-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    for i in 0..6 {
        let renamed = replace_all(&toggle, b"toggle", format!("toggl{i}").as_bytes());
        let path = scratch.join(format!("toggl{i}.wasm"));
        std::fs::write(&path, renamed).expect("write");
        files.push((path, format!("toggl{i}.wasm")));
    }
    files
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

fn memory(dir: &Path) {
    println!("== memory: 10 plugins loaded; restart from the on-disk code cache");
    let files = ten_plugins();
    let root = fresh_dir(dir, "memory", &files);
    let before = rss();
    let registry = PluginRegistry::start(config(&root, TEN_GRANTS)).expect("runtime");
    let catalog = registry.catalog();
    assert_eq!(
        catalog.plugins.len(),
        10,
        "failures: {:?}",
        catalog.failures
    );
    let (command, state) = (small_command(), new_state());
    for _ in 0..10_000 {
        registry.validate_blocking(&command, &state).expect("call");
    }
    let after = rss();
    drop(catalog);
    drop(registry);
    println!(
        "  RSS growth with 10 plugins loaded and 10k calls made: {:.1} MB   (target <= 50 MB)",
        (after.saturating_sub(before)) as f64 / 1e6
    );
    let mut starts = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let registry = PluginRegistry::start(config(&root, TEN_GRANTS)).expect("runtime");
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(registry.catalog().plugins.len(), 10);
    }
    println!(
        "  restart (engine + 10 plugins from the code cache): median {:.1} ms   (target <= 100 ms)\n",
        median(&mut starts)
    );
}
