//! The auto-pruner (seed 004, "Auto prune"): a routine per cache that scans
//! its connector every `AutoPrune.Interval` and removes expired and
//! invalidated objects, giving up on a run after `AutoPrune.TimeOut`.
//! Connectors with native expiry (Redis) are not pruned.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::{CacheError, Object, ObjectCache};
use crate::config::AutoPruneConfig;

/// A running pruner; dropping it stops the routine.
pub struct Pruner {
    task: JoinHandle<()>,
}

impl Drop for Pruner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Pruner {
    /// Prunes `cache` as `config` says; `None` when the interval is zero.
    pub fn start<V: Object>(cache: ObjectCache<V>, config: &AutoPruneConfig) -> Option<Self> {
        if config.interval.is_zero() {
            return None;
        }
        let (interval, timeout) = (config.interval, config.timeout);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                prune_once(&cache, timeout).await;
            }
        });
        Some(Self { task })
    }
}

/// One pruning run of `cache`, abandoned after `timeout`.
pub(crate) async fn prune_once<V: Object>(cache: &ObjectCache<V>, timeout: Duration) {
    let outcome = match tokio::time::timeout(timeout, cache.prune()).await {
        Ok(outcome) => outcome,
        Err(_) => Err(CacheError::PruneTimeout(timeout)),
    };
    match outcome {
        Ok(removed) => {
            metrics::counter!("rampart_cache_pruned_total", "cache" => cache.name())
                .increment(removed);
            cache
                .log()
                .info(cache.name(), || format!("pruned {removed} entries"));
        }
        Err(error) => cache
            .log()
            .error(cache.name(), || format!("prune failed: {error}")),
    }
}
