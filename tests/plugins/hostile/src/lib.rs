//! # hostile
//!
//! A validator that misbehaves on purpose, for the host's isolation tests and
//! benchmarks. Its configuration picks the behaviour: `{"mode": "..."}`
//! (default `"allow"`), plus `{"bytes": N}` for `"huge-output"`, and
//! `{"commands": [...]}` to misbehave on those commands only (and allow the
//! rest).
//!
//! | mode | behaviour |
//! |---|---|
//! | `allow` | `Ok` |
//! | `reject` | rejects with `HOSTILE_REJECT` |
//! | `loop` | spins forever |
//! | `memory-bomb` | allocates and touches 1 MiB chunks until allocation fails, then rejects with `MEMORY_EXHAUSTED` |
//! | `panic` | panics (`hostile panic`) |
//! | `trap` | executes `unreachable` |
//! | `huge-output` | rejects with `HUGE_OUTPUT` and a message of `bytes` (default 8 MiB) `x` |
//! | `log` | logs `hostile says <level>` at each level, then `Ok` |
//! | `clock` | rejects with `CLOCK` and the clock's Unix seconds |
//! | `wasi-clock` | rejects with `WASI_CLOCK` and the Unix seconds of `SystemTime::now()`, read through WASI, not the `clock` import |
//! | `stdout` | prints to stdout and stderr, then `Ok` |
//! | `wasi-escape` | tries the file system, environment and network; rejects with `ESCAPE` and a report |
//! | `state-leak` | rejects with `COUNT` and a static counter incremented per call |

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// Default size of the `huge-output` message: 8 MiB.
const HUGE_OUTPUT_BYTES: usize = 8 << 20;

/// Counts calls for `state-leak`; a fresh instance per call keeps it at 1.
static COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    mode: String,
    bytes: Option<usize>,
    commands: Option<Vec<String>>,
}

/// What the manifest asks for: everything, or (feature `modest`) only the
/// `config` grant every plugin has by default.
#[cfg(not(feature = "modest"))]
const CAPABILITIES: [Capability; 3] = [Capability::Log, Capability::Config, Capability::Clock];
#[cfg(feature = "modest")]
const CAPABILITIES: [Capability; 1] = [Capability::Config];

/// The `hostile` validator.
pub struct Hostile;

impl Validator for Hostile {
    fn manifest() -> Manifest {
        Manifest::new("hostile", "1.0.0")
            .description("Misbehaves as configured; for the host's isolation tests")
            .handles(["*"])
            .capabilities(CAPABILITIES)
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let config: Config = ctx.config()?;
        if let Some(only) = &config.commands
            && !only.contains(&command.name)
        {
            return Ok(());
        }
        match config.mode.as_str() {
            "" | "allow" => Ok(()),
            "reject" => Err(Rejection::new("HOSTILE_REJECT", "rejected as configured")),
            "loop" => spin(),
            "memory-bomb" => Err(memory_bomb()),
            "panic" => panic!("hostile panic"),
            "trap" => trap(),
            "huge-output" => Err(Rejection::new(
                "HUGE_OUTPUT",
                "x".repeat(config.bytes.unwrap_or(HUGE_OUTPUT_BYTES)),
            )),
            "log" => {
                for level in Level::ALL {
                    ctx.log(level, format!("hostile says {level}"));
                }
                Ok(())
            }
            "clock" => Err(Rejection::new("CLOCK", ctx.now().timestamp().to_string())),
            "wasi-clock" => Err(Rejection::new("WASI_CLOCK", wasi_seconds().to_string())),
            "stdout" => {
                println!("hostile on stdout");
                eprintln!("hostile on stderr");
                Ok(())
            }
            "wasi-escape" => Err(Rejection::new("ESCAPE", escape_report())),
            "state-leak" => {
                let count = COUNTER.fetch_add(1, Ordering::SeqCst) + 1;
                Err(Rejection::new("COUNT", count.to_string()))
            }
            other => Err(Rejection::new(
                "HOSTILE_UNKNOWN_MODE",
                format!("unknown mode {other:?}"),
            )),
        }
    }
}

export_validator!(Hostile);

/// Never returns; `black_box` keeps the loop from being optimized away.
fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Allocates and writes 1 MiB chunks until an allocation fails.
fn memory_bomb() -> Rejection {
    const CHUNK: usize = 1 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk: Vec<u8> = Vec::new();
        if chunk.try_reserve_exact(CHUNK).is_err() || chunks.try_reserve(1).is_err() {
            break;
        }
        chunk.resize(CHUNK, 0xA5);
        chunks.push(black_box(chunk));
    }
    let mebibytes = chunks.len();
    drop(chunks);
    Rejection::new(
        "MEMORY_EXHAUSTED",
        format!("allocation failed after {mebibytes} MiB"),
    )
}

/// A WebAssembly trap; natively (where nothing calls it) a panic.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        panic!("hostile trap")
    }
}

/// Unix seconds as WASI's wall clock tells them (`std`, not the SDK's clock).
fn wasi_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the sandbox let through: `fs=denied file=denied env=0 net=denied`.
fn escape_report() -> String {
    let outcome = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let fs = std::fs::read_dir("/").is_ok();
    let file = std::fs::read("/etc/hostname").is_ok();
    let env = std::env::vars().count();
    let net = std::net::TcpStream::connect("127.0.0.1:5432").is_ok();
    format!(
        "fs={} file={} env={env} net={}",
        outcome(fs),
        outcome(file),
        outcome(net)
    )
}
