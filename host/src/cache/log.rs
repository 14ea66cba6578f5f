//! A cache's own log (`Caches.<Object>.Log`): its level and format hold for
//! that cache alone, whatever the global `Log:` says, so one cache can be
//! debugged without turning up the whole server.

use std::sync::Arc;

use tracing::{Dispatch, Level};

use crate::config::{CacheLogConfig, CacheLogLevel, LogFormat};

/// Where one cache's log lines go: stderr, through a subscriber of its own.
#[derive(Clone)]
pub struct CacheLog {
    level: CacheLogLevel,
    dispatch: Option<Arc<Dispatch>>,
}

impl CacheLog {
    /// A log at `config`'s level and format.
    pub fn new(config: &CacheLogConfig) -> Self {
        if config.level == CacheLogLevel::Off {
            return Self::off();
        }
        let builder = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_writer(std::io::stderr);
        let dispatch = match config.format {
            LogFormat::Text => Dispatch::new(builder.finish()),
            LogFormat::Json => Dispatch::new(builder.json().finish()),
        };
        Self {
            level: config.level,
            dispatch: Some(Arc::new(dispatch)),
        }
    }

    /// A log that writes nothing.
    pub fn off() -> Self {
        Self {
            level: CacheLogLevel::Off,
            dispatch: None,
        }
    }

    /// Whether lines of `level` are written.
    pub fn enabled(&self, level: CacheLogLevel) -> bool {
        level != CacheLogLevel::Off && level <= self.level
    }

    /// Logs a failure of cache `cache`.
    pub fn error(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Error, cache, message);
    }

    /// Logs a change worth attention (the breaker opening).
    pub fn warn(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Warn, cache, message);
    }

    /// Logs routine work (prunes, the breaker closing).
    pub fn info(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Info, cache, message);
    }

    /// Logs sets, invalidations and skipped operations.
    pub fn debug(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Debug, cache, message);
    }

    /// Logs every access.
    pub fn trace(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Trace, cache, message);
    }

    fn write(&self, level: CacheLogLevel, cache: &str, message: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        let Some(dispatch) = &self.dispatch else {
            return;
        };
        let message = message();
        tracing::dispatcher::with_default(dispatch, || match level {
            CacheLogLevel::Error => tracing::error!(cache, "{message}"),
            CacheLogLevel::Warn => tracing::warn!(cache, "{message}"),
            CacheLogLevel::Info => tracing::info!(cache, "{message}"),
            CacheLogLevel::Debug => tracing::debug!(cache, "{message}"),
            CacheLogLevel::Trace | CacheLogLevel::Off => tracing::trace!(cache, "{message}"),
        });
    }
}
