//! # Call statistics
//!
//! Per-plugin call and error counts and a latency histogram, lock-free on the
//! call path. Kept by plugin name, so they survive hot swaps.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::Counter;

/// Sub-buckets per power of two (precision about ±12%).
const SUB_BITS: u32 = 2;
const BUCKETS: usize = 64 << SUB_BITS;

/// Counters and latencies of one plugin.
pub struct PluginStats {
    /// The plugin's name, which labels its metrics (none: not exported).
    name: Option<String>,
    /// `rampart_plugin_calls_total{plugin}`, resolved once (a no-op unnamed).
    calls_metric: Counter,
    /// `rampart_plugin_call_errors_total{plugin}`, likewise.
    errors_metric: Counter,
    calls: AtomicU64,
    errors: AtomicU64,
    buckets: Box<[AtomicU64]>,
    last_error: Mutex<Option<(DateTime<Utc>, String)>>,
}

impl PluginStats {
    /// Empty statistics, not exported as metrics.
    pub fn new() -> Self {
        Self {
            name: None,
            calls_metric: Counter::noop(),
            errors_metric: Counter::noop(),
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            last_error: Mutex::new(None),
        }
    }

    /// Empty statistics of plugin `name`, also exported as the metrics
    /// `rampart_plugin_calls_total` and `rampart_plugin_call_errors_total`.
    /// The counters are bound to the metrics recorder installed now (the
    /// server installs it before it loads plugins), not looked up per call.
    pub fn named(name: &str) -> Self {
        let label = || name.to_owned();
        Self {
            name: Some(name.to_owned()),
            calls_metric: metrics::counter!("rampart_plugin_calls_total", "plugin" => label()),
            errors_metric: metrics::counter!("rampart_plugin_call_errors_total", "plugin" => label()),
            ..Self::new()
        }
    }

    /// Records one successful call.
    pub(crate) fn record(&self, elapsed: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.buckets[bucket(elapsed)].fetch_add(1, Ordering::Relaxed);
        self.calls_metric.increment(1);
    }

    /// Records one failed call and why: whatever failed (the plugin, its
    /// limits, a full call pool, the host), it counts here.
    pub(crate) fn record_error(&self, elapsed: Duration, error: &str) {
        self.record(elapsed);
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.errors_metric.increment(1);
        *self.last_error.lock().expect("stats lock") = Some((Utc::now(), error.to_owned()));
    }

    /// The plugin these statistics belong to, if they are exported.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Calls made, successful or not.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Calls that failed (trap, deadline, memory, output).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The latest call error and when it happened.
    pub fn last_error(&self) -> Option<(DateTime<Utc>, String)> {
        self.last_error.lock().expect("stats lock").clone()
    }

    /// The latency below which a fraction `q` (0–1) of calls finished, if any were made.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_nanos(midpoint(index)));
            }
        }
        None
    }
}

impl Default for PluginStats {
    fn default() -> Self {
        Self::new()
    }
}

/// The histogram bucket of a latency (log-linear over nanoseconds).
fn bucket(elapsed: Duration) -> usize {
    let nanos = elapsed.as_nanos().min(u128::from(u64::MAX)) as u64 | 1;
    let exp = 63 - nanos.leading_zeros();
    let sub = if exp >= SUB_BITS {
        (nanos >> (exp - SUB_BITS)) & ((1 << SUB_BITS) - 1)
    } else {
        0
    };
    ((exp << SUB_BITS) as u64 + sub) as usize
}

/// A representative latency of bucket `index`, in nanoseconds.
fn midpoint(index: usize) -> u64 {
    let exp = (index >> SUB_BITS) as u32;
    let sub = (index & ((1 << SUB_BITS) - 1)) as u64;
    if exp < SUB_BITS {
        return 1 << exp;
    }
    let low = (1u64 << exp) + (sub << (exp - SUB_BITS));
    low + (1u64 << (exp - SUB_BITS)) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_land_within_the_bucket_precision() {
        let stats = PluginStats::new();
        for micros in 1..=100 {
            stats.record(Duration::from_micros(micros));
        }
        let p50 = stats.quantile(0.5).unwrap().as_nanos() as f64;
        let p99 = stats.quantile(0.99).unwrap().as_nanos() as f64;
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.15, "p50 {p50}");
        assert!((p99 / 99_000.0 - 1.0).abs() < 0.15, "p99 {p99}");
    }

    #[test]
    fn errors_count_as_calls_and_keep_the_last_message() {
        let stats = PluginStats::new();
        stats.record(Duration::from_micros(3));
        stats.record_error(Duration::from_micros(5), "boom");
        assert_eq!((stats.calls(), stats.errors()), (2, 1));
        assert_eq!(stats.last_error().unwrap().1, "boom");
    }

    #[test]
    fn no_calls_means_no_quantile() {
        assert_eq!(PluginStats::new().quantile(0.5), None);
    }
}
