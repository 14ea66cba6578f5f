//! # Host calls
//!
//! The capabilities a plugin may ask the host for — `log`, `config`, `clock`
//! — behind one trait. Inside a component [`WitHost`] forwards them to the
//! WIT imports; in native tests [`crate::testing::Harness`] answers them, so
//! plugin logic runs under `cargo test` without WebAssembly.

use crate::DateTime;
use crate::bindings::{clock, config, log};

/// Severity of a log line, as the host's `log` capability knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Information for debugging.
    Debug,
    /// Normal operation worth recording.
    Info,
    /// Something unexpected that the plugin handled.
    Warn,
    /// Something that failed.
    Error,
}

impl Level {
    /// Every level, from the most to the least verbose.
    pub const ALL: [Level; 5] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ];

    /// The lowercase name: `"trace"`, `"debug"`, `"info"`, `"warn"`, `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a plugin can ask of the host. [`crate::Ctx`] wraps one.
///
/// Implement it only to drive plugin code from your own test double; the
/// [`crate::testing::Harness`] already provides one.
pub trait Host {
    /// Writes `message` to the host's log, tagged with the plugin's name.
    fn log(&self, level: Level, message: &str);
    /// The plugin's configuration as JSON text; `"{}"` when none is set.
    fn config(&self) -> String;
    /// The current time; the event's time during a projection call.
    fn now(&self) -> DateTime;
}

/// The host behind the WIT imports. Only meaningful inside a component: off
/// `wasm32` the imports are `unreachable!()` stubs, and only the export
/// macros' wasm-only expansion ever creates a `WitHost`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WitHost;

impl Host for WitHost {
    fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        log::log(level, message);
    }

    fn config(&self) -> String {
        config::get()
    }

    fn now(&self) -> DateTime {
        crate::abi::datetime_from_wit(clock::now())
    }
}
