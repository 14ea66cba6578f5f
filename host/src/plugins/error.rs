//! # Plugin errors
//!
//! Load failures and call failures, each naming the plugin (and the hook),
//! mapped to HTTP or gRPC statuses once, at the API edge.

use std::time::Duration;

/// Why a component could not be loaded; the previous version (if any) keeps serving.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a WebAssembly component wasmtime can compile.
    #[error("{source_name} is not a valid WebAssembly component: {message}")]
    Compile {
        /// File or shipped name the bytes came from.
        source_name: String,
        /// wasmtime's explanation.
        message: String,
    },
    /// The component exports none of Rampart's worlds, or a world's exports
    /// have the wrong types (e.g. built against another WIT version).
    #[error("{source_name} {message}")]
    WrongWorld {
        /// File or shipped name.
        source_name: String,
        /// What was wrong.
        message: String,
    },
    /// The component imports something Rampart does not provide.
    #[error("{source_name} cannot be linked: {message}")]
    Link {
        /// File or shipped name.
        source_name: String,
        /// wasmtime's explanation (names the missing import).
        message: String,
    },
    /// Its manifest is invalid, or disagrees with its world or configuration.
    #[error("{source_name}: {message}")]
    Manifest {
        /// File or shipped name.
        source_name: String,
        /// What is wrong with it.
        message: String,
    },
    /// Instantiating it or asking for its manifest failed.
    #[error("{source_name}: {error}")]
    Describe {
        /// File or shipped name.
        source_name: String,
        /// The call error.
        error: Box<PluginError>,
    },
    /// The file could not be read.
    #[error("cannot read {source_name}: {message}")]
    Read {
        /// The file.
        source_name: String,
        /// The I/O error.
        message: String,
    },
}

/// Why a plugin call failed. The plugin's own decisions (a rejection, a
/// denial) are not errors; these are the plugin failing to decide.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginError {
    /// No plugin of that name and kind is loaded.
    #[error("no {kind} plugin named `{plugin}` is loaded")]
    NotFound {
        /// The name asked for.
        plugin: String,
        /// The kind asked for.
        kind: &'static str,
    },
    /// The plugin ran past its deadline and was stopped.
    #[error("plugin `{plugin}` exceeded its {deadline:?} deadline in `{hook}` and was stopped")]
    DeadlineExceeded {
        /// Plugin name.
        plugin: String,
        /// The exported function called.
        hook: &'static str,
        /// The deadline it had.
        deadline: Duration,
    },
    /// The plugin tried to grow its memory past its limit.
    #[error(
        "plugin `{plugin}` tried to grow its memory to {requested} bytes in `{hook}`, over its limit of {limit} bytes"
    )]
    MemoryLimit {
        /// Plugin name.
        plugin: String,
        /// The exported function called.
        hook: &'static str,
        /// The size it asked for.
        requested: usize,
        /// Its limit.
        limit: usize,
    },
    /// The plugin returned more than `Plugins.MaxOutput`.
    #[error(
        "plugin `{plugin}` returned {size} bytes from `{hook}`, over the limit of {limit} bytes"
    )]
    OutputTooLarge {
        /// Plugin name.
        plugin: String,
        /// The exported function called.
        hook: &'static str,
        /// Bytes returned.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The plugin trapped: a panic, an `unreachable`, a capability it was not
    /// granted, a bad return value.
    #[error("plugin `{plugin}` failed in `{hook}`: {message}")]
    Trap {
        /// Plugin name.
        plugin: String,
        /// The exported function called.
        hook: &'static str,
        /// The trap, and what the guest printed to stderr before it.
        message: String,
    },
    /// The plugin answered, but not in a way the host can use (e.g. a
    /// projection statement naming a table it does not own).
    #[error("plugin `{plugin}` returned an invalid result from `{hook}`: {message}")]
    InvalidOutput {
        /// Plugin name.
        plugin: String,
        /// The exported function called.
        hook: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Every thread of the call pool is busy and its queue is full
    /// (`Plugins.Pool`): the call was refused at once, without running.
    /// Callers should retry later (HTTP 503, gRPC `RESOURCE_EXHAUSTED`).
    #[error(
        "plugin call refused, {refused} not called: all {threads} plugin threads are busy{} and {queue} calls are queued (Plugins.Pool); retry later",
        busy.as_ref().map(|b| format!(" (running `{b}`)")).unwrap_or_default()
    )]
    Overloaded {
        /// The first plugin the refused call would have run.
        plugin: String,
        /// Every plugin it would have run, as `` `a`, `b` ``.
        refused: String,
        /// The plugin the pool's threads run (or ran last), if known: the
        /// likely reason for the refusal.
        busy: Option<String>,
        /// Threads of the call pool.
        threads: usize,
        /// Its queue's capacity.
        queue: usize,
    },
    /// Every pooled instance slot is in use (`Plugins.MaxConcurrentCalls`).
    #[error("plugin `{plugin}` could not be instantiated: {message}")]
    Unavailable {
        /// Plugin name.
        plugin: String,
        /// wasmtime's explanation.
        message: String,
    },
}

impl PluginError {
    /// The plugin the error is about.
    pub fn plugin(&self) -> &str {
        match self {
            PluginError::NotFound { plugin, .. }
            | PluginError::DeadlineExceeded { plugin, .. }
            | PluginError::MemoryLimit { plugin, .. }
            | PluginError::OutputTooLarge { plugin, .. }
            | PluginError::Trap { plugin, .. }
            | PluginError::InvalidOutput { plugin, .. }
            | PluginError::Overloaded { plugin, .. }
            | PluginError::Unavailable { plugin, .. } => plugin,
        }
    }
}
