//! # The wasmtime engine
//!
//! One engine per process: Cranelift, the pooling instance allocator (fresh
//! instances from pre-reserved slots, copy-on-write memory images), epoch
//! interruption driven by a ticker thread, and wasmtime's on-disk code cache
//! keyed by content hash so a restart does not recompile.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, InstanceAllocationStrategy,
    PoolingAllocationConfig,
};

/// How often the epoch advances; deadlines are whole ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(1);

/// What sizes the engine.
#[derive(Debug, Clone)]
pub(crate) struct EngineSettings<'a> {
    /// Largest linear memory any instance may have, in bytes.
    pub(crate) max_memory: usize,
    /// Instances that may exist at once.
    pub(crate) max_instances: u32,
    /// Where compiled code is cached; `None` disables the cache.
    pub(crate) cache_dir: Option<&'a Path>,
}

/// Builds the engine.
pub(crate) fn build(settings: &EngineSettings<'_>) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    // A Rust component has a handful of core instances (the main module, the
    // WASI adapter shims) and one or two memories.
    let instances = settings.max_instances.max(1);
    pool.total_component_instances(instances)
        .total_core_instances(instances * 8)
        .total_memories(instances * 2)
        .total_tables(instances * 8)
        .max_memory_size(settings.max_memory)
        .max_memories_per_component(4)
        .max_core_instances_per_component(16)
        .max_tables_per_component(16)
        // Reset memory in place instead of returning it to the kernel after
        // every call: with PAGEMAP_SCAN (Linux 6.7+) only the pages the call
        // dirtied are reset, so a Rust guest's 1 MiB stack region costs a few
        // pages, not a 1 MiB memset or an madvise with its TLB shootdowns.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident(64 << 10)
        .max_unused_warm_slots(64);

    let mut config = Config::new();
    config
        .epoch_interruption(true)
        .concurrency_support(false)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        // Small slots keep the reserved address space proportionate to the pool.
        .memory_reservation(settings.max_memory as u64)
        .memory_guard_size(64 << 10)
        .memory_init_cow(true)
        .max_wasm_stack(1 << 20);
    if let Some(dir) = settings.cache_dir {
        let mut cache = CacheConfig::new();
        // wasmtime wants an absolute path; `Plugins.CacheDir` defaults to a
        // relative one (`./data/plugin-cache`).
        cache.with_directory(std::path::absolute(dir)?);
        config.cache(Some(Cache::new(cache)?));
    }
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub(crate) fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.weak();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("rampart-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => return,
                    }
                }
            })
            .expect("spawn the epoch ticker thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Epoch ticks that cover `deadline` (at least one).
pub(crate) fn deadline_ticks(deadline: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos();
    (deadline.as_nanos().div_ceil(tick) as u64).max(1) + 1
}
