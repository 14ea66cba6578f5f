//! `rampart:plugin/log`: plugin log lines go to tracing, tagged with the plugin.

use super::log_wit::{Host, Level};
use super::require;
use crate::config::Capability;
use crate::plugins::call_state::CallState;

/// Longest log line kept from a plugin (log import or stdio); longer ones are cut.
pub(crate) const MAX_LINE: usize = 4096;

impl Host for CallState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        require(self, Capability::Log)?;
        let plugin = self.identity.name.as_str();
        let message = truncate(&message, MAX_LINE);
        match level {
            Level::Trace => tracing::trace!(target: "rampart::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "rampart::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "rampart::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "rampart::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "rampart::plugin", plugin, "{message}"),
        }
        Ok(())
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
