//! # Per-call store state
//!
//! What one plugin call's `Store` carries: who is calling (for logs and
//! capability checks), the memory limiter, the clock the plugin sees, and a
//! WASI context that is built only if the guest actually touches WASI (most
//! validator calls never do, and building one costs more than the call).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::SeedableRng as _;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::clocks::{HostMonotonicClock, HostWallClock};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::types::Datetime;
use crate::config::Capability;

/// Bytes of stdout (and of stderr) kept from one call; the rest is dropped.
const STDIO_CAPACITY: usize = 16 * 1024;

/// What a plugin is, as far as a call needs to know.
#[derive(Debug)]
pub(crate) struct CallIdentity {
    /// The plugin's name, for logs and errors.
    pub(crate) name: String,
    /// Capabilities the configuration grants it.
    pub(crate) grants: Vec<Capability>,
    /// Its `Config`, as JSON text.
    pub(crate) config_json: String,
    /// Largest linear memory, in bytes.
    pub(crate) memory_limit: usize,
}

/// Where the plugin's clock (and WASI's clocks and randomness) come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Determinism {
    /// The real clock and real randomness (validators, login flows).
    Live,
    /// Projections: the clock reads the event's time, randomness is seeded
    /// from the event's position, so a replay computes the same rows.
    Replay {
        /// The event's creation time.
        at: Datetime,
        /// Seed derived from the event's position.
        seed: u64,
    },
}

/// The data of one call's `Store`.
pub(crate) struct CallState {
    pub(crate) identity: Arc<CallIdentity>,
    determinism: Determinism,
    /// Set when the guest tried to grow memory past its limit.
    pub(crate) memory_exceeded: Option<usize>,
    /// The settings in effect for the command a validator call checks (as
    /// JSON), served inside the configuration.
    pub(crate) settings: Option<Arc<str>>,
    wasi: Option<LazyWasi>,
    table: ResourceTable,
}

/// A WASI context built on first use, and its captured stdio.
struct LazyWasi {
    ctx: WasiCtx,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl CallState {
    /// State for one call of `identity`.
    pub(crate) fn new(identity: Arc<CallIdentity>, determinism: Determinism) -> Self {
        Self {
            identity,
            determinism,
            memory_exceeded: None,
            settings: None,
            wasi: None,
            table: ResourceTable::new(),
        }
    }

    /// Whether the plugin was granted `capability`.
    pub(crate) fn granted(&self, capability: Capability) -> bool {
        self.identity.grants.contains(&capability)
    }

    /// The time the plugin sees.
    pub(crate) fn now(&self) -> Datetime {
        match self.determinism {
            Determinism::Live => to_datetime(SystemTime::now()),
            Determinism::Replay { at, .. } => at,
        }
    }

    /// What the guest wrote to stdout and stderr, if it used WASI at all
    /// (always empty without the `log` grant: its output was discarded).
    pub(crate) fn take_stdio(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        let wasi = self.wasi.take()?;
        Some((
            wasi.stdout.contents().to_vec(),
            wasi.stderr.contents().to_vec(),
        ))
    }

    /// The WASI context of this call. Capabilities decide what WASI may
    /// reach: without `log`, stdout and stderr go nowhere (not even into
    /// error messages); without `clock`, WASI's clocks are pinned to the Unix
    /// epoch, as a replay pins them to the event's time.
    fn build_wasi(&self) -> LazyWasi {
        let stdout = MemoryOutputPipe::new(STDIO_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDIO_CAPACITY);
        let mut builder = WasiCtxBuilder::new();
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if self.granted(Capability::Log) {
            builder.stdout(stdout.clone()).stderr(stderr.clone());
        }
        let pinned = match (self.granted(Capability::Clock), self.determinism) {
            (true, Determinism::Live) => None,
            (true, Determinism::Replay { at, .. }) => {
                Some(Duration::new(at.seconds.max(0) as u64, at.nanoseconds))
            }
            (false, _) => Some(Duration::ZERO),
        };
        if let Some(at) = pinned {
            builder
                .wall_clock(FixedClock(at))
                .monotonic_clock(FixedClock(at));
        }
        if let Determinism::Replay { seed, .. } = self.determinism {
            builder
                .secure_random(rand::rngs::StdRng::seed_from_u64(seed))
                .insecure_random(rand::rngs::StdRng::seed_from_u64(!seed))
                .insecure_random_seed(u128::from(seed));
        }
        LazyWasi {
            ctx: builder.build(),
            stdout,
            stderr,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        if self.wasi.is_none() {
            self.wasi = Some(self.build_wasi());
        }
        let wasi = self.wasi.as_mut().expect("just built");
        WasiCtxView {
            ctx: &mut wasi.ctx,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.identity.memory_limit {
            self.memory_exceeded = Some(desired);
            // An error (not `Ok(false)`) traps at once instead of letting the
            // guest spin on failed allocations until the deadline.
            return Err(wasmtime::Error::msg("memory limit exceeded"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A clock stopped at one instant (projection replays).
struct FixedClock(Duration);

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        self.0.as_nanos() as u64
    }
}

/// A system time as the WIT `datetime`.
pub(crate) fn to_datetime(time: SystemTime) -> Datetime {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    Datetime {
        seconds: since.as_secs() as i64,
        nanoseconds: since.subsec_nanos(),
    }
}
