//! # Plugin runtime
//!
//! Business logic as WebAssembly components (wasmtime, component model):
//! validators decide whether commands proceed, projections turn events into
//! read-model rows, login flows hook into authentication. See `wit/` for the
//! boundary and `docs/plugins.md` for how the runtime isolates and swaps them.
//!
//! - [`bindings`]: the generated WIT types.
//! - `engine`: the wasmtime engine (pooling allocator, epochs, code cache).
//! - `imports`: the host interfaces plugins import, one file each.
//! - `component`: compiling and checking one component into a [`LoadedPlugin`].
//! - `instance`: a fresh instance of a pre-instantiated component.
//! - `invoke`: calling a loaded plugin in a fresh, bounded instance.
//! - [`PluginRegistry`]: the serving set, hot reload and status.

pub mod bindings;
mod call_state;
mod component;
mod engine;
mod error;
mod imports;
mod instance;
mod invoke;
mod manifest;
mod pool;
mod registry;
pub mod secrets;
mod shipped;
mod stats;
mod status;
mod tables;
mod watch;

pub use bindings::types;
pub use component::{LoadedPlugin, PluginSource, content_hash};
pub use error::{LoadError, PluginError};
pub(crate) use manifest::handles;
pub use registry::{Catalog, LoadFailure, PluginRegistry, ReloadReport, RuntimeError, Verdict};
pub use stats::PluginStats;
pub use status::{PluginStatus, StatusReport, Timestamped};
pub use watch::WatchHandle;
