//! A cache's own log (`Caches.<Object>.Log`): its level and format hold for
//! that cache alone, whatever the global `Log:` says, so one cache can be
//! debugged without turning up the whole server.
//!
//! Lines are written to stderr directly, in the shape of the global log's
//! `text` or `json` lines, rather than through a second `tracing`
//! subscriber: registering one at a verbose level would make every
//! `trace!` of every crate in the process (hyper, h2, sqlx) costly.

use std::io::Write;

use crate::config::{CacheLogConfig, CacheLogLevel, LogFormat};

/// Where one cache's log lines go: stderr, at its own level and format.
#[derive(Clone)]
pub struct CacheLog {
    level: CacheLogLevel,
    format: LogFormat,
}

impl CacheLog {
    /// A log at `config`'s level and format.
    pub fn new(config: &CacheLogConfig) -> Self {
        Self {
            level: config.level,
            format: config.format,
        }
    }

    /// A log that writes nothing.
    pub fn off() -> Self {
        Self {
            level: CacheLogLevel::Off,
            format: LogFormat::Text,
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

    /// Logs a change worth attention.
    pub fn warn(&self, cache: &str, message: impl FnOnce() -> String) {
        self.write(CacheLogLevel::Warn, cache, message);
    }

    /// Logs routine work (prunes).
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
        let line = line(self.format, level, cache, &message(), chrono::Utc::now());
        // A log line that cannot be written is dropped, as tracing does.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// One log line, newline included.
fn line(
    format: LogFormat,
    level: CacheLogLevel,
    cache: &str,
    message: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let level = match level {
        CacheLogLevel::Error => "ERROR",
        CacheLogLevel::Warn => "WARN",
        CacheLogLevel::Info => "INFO",
        CacheLogLevel::Debug => "DEBUG",
        CacheLogLevel::Trace | CacheLogLevel::Off => "TRACE",
    };
    let timestamp = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    match format {
        LogFormat::Text => {
            format!("{timestamp} {level:>5} rampart::cache: {message} cache={cache}\n")
        }
        LogFormat::Json => {
            let value = serde_json::json!({
                "timestamp": timestamp,
                "level": level,
                "target": "rampart::cache",
                "fields": { "message": message, "cache": cache },
            });
            format!("{value}\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_cache_log_level_when_asked_then_only_that_level_and_more_severe_ones_are_written() {
        let warn = CacheLog::new(&CacheLogConfig {
            level: CacheLogLevel::Warn,
            format: LogFormat::Json,
        });
        assert!(warn.enabled(CacheLogLevel::Error));
        assert!(warn.enabled(CacheLogLevel::Warn));
        assert!(!warn.enabled(CacheLogLevel::Info));
        assert!(!warn.enabled(CacheLogLevel::Trace));
        let off = CacheLog::new(&CacheLogConfig {
            level: CacheLogLevel::Off,
            format: LogFormat::Text,
        });
        assert!(!off.enabled(CacheLogLevel::Error));
        assert!(!CacheLog::off().enabled(CacheLogLevel::Error));
    }

    #[test]
    fn given_each_format_when_a_line_is_written_then_it_names_the_cache_and_level() {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let text = line(LogFormat::Text, CacheLogLevel::Warn, "instance", "slow", at);
        assert_eq!(
            text,
            "1970-01-01T00:00:00.000000Z  WARN rampart::cache: slow cache=instance\n"
        );
        let json = line(LogFormat::Json, CacheLogLevel::Error, "org", "down", at);
        let value: serde_json::Value = serde_json::from_str(json.trim_end()).unwrap();
        assert_eq!(value["level"], "ERROR");
        assert_eq!(value["fields"]["cache"], "org");
        assert_eq!(value["fields"]["message"], "down");
    }
}
