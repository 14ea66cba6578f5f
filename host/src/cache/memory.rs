//! The memory connector: this node's own maps (moka), one per index, whose
//! entries share one slot per object, so invalidating an object through any
//! index invalidates it under all of them at once.
//!
//! Each node keeps its own copy. The seed's drawback, that a change on one
//! node leaves the others stale, is removed by [`super::invalidate`]: every
//! node invalidates from the events themselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{CacheError, Connector, Index, Lifetimes, Object};

/// Most keys one index holds; least recently used keys go first beyond it.
/// `LastUsage` keeps caches far smaller in practice; this only bounds memory.
const CAPACITY_PER_INDEX: u64 = 100_000;

/// One stored object, shared by all its keys.
struct Slot<V> {
    value: V,
    set_at: Instant,
    /// When it was last read, as nanoseconds after `set_at`.
    used_at: AtomicU64,
    /// Set by invalidation and by a newer `set` of the same object.
    invalid: AtomicBool,
}

impl<V> Slot<V> {
    /// Whether the slot may still be returned at `now`.
    fn usable(&self, lifetimes: &Lifetimes, now: Instant) -> bool {
        if self.invalid.load(Ordering::Acquire) {
            return false;
        }
        let age = now.saturating_duration_since(self.set_at);
        let used = Duration::from_nanos(self.used_at.load(Ordering::Relaxed));
        lifetimes.fresh(age, age.saturating_sub(used))
    }
}

/// Objects of type `V` in this node's memory.
pub struct MemoryConnector<V: Object> {
    /// One map per index, in [`Index::ALL`] order.
    indexes: Vec<moka::sync::Cache<String, Arc<Slot<V>>>>,
    lifetimes: Lifetimes,
}

impl<V: Object> MemoryConnector<V> {
    /// An empty cache keeping objects for `lifetimes`.
    pub fn new(lifetimes: Lifetimes) -> Self {
        let indexes = V::Index::ALL
            .iter()
            .map(|_| {
                moka::sync::Cache::builder()
                    .max_capacity(CAPACITY_PER_INDEX)
                    .build()
            })
            .collect();
        Self { indexes, lifetimes }
    }

    fn index(&self, index: V::Index) -> &moka::sync::Cache<String, Arc<Slot<V>>> {
        &self.indexes[index.position()]
    }

    /// Marks `slot` invalid and removes every key still pointing at it.
    fn drop_slot(&self, slot: &Arc<Slot<V>>) {
        slot.invalid.store(true, Ordering::Release);
        for index in V::Index::ALL {
            let map = self.index(*index);
            for key in slot.value.keys(*index) {
                map.remove_if(&key, |current| Arc::ptr_eq(current, slot));
            }
        }
    }
}

/// moka's `remove` regardless of value, made conditional: removes `key` only
/// while it still points at the slot given.
trait RemoveIf<V> {
    fn remove_if(&self, key: &str, matches: impl Fn(&Arc<Slot<V>>) -> bool);
}

impl<V: Object> RemoveIf<V> for moka::sync::Cache<String, Arc<Slot<V>>> {
    fn remove_if(&self, key: &str, matches: impl Fn(&Arc<Slot<V>>) -> bool) {
        let _ = self
            .entry_by_ref(key)
            .and_compute_with(|entry| match entry {
                Some(entry) if matches(entry.value()) => moka::ops::compute::Op::Remove,
                _ => moka::ops::compute::Op::Nop,
            });
    }
}

#[async_trait]
impl<V: Object> Connector<V> for MemoryConnector<V> {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, index: V::Index, key: &str) -> Result<Option<V>, CacheError> {
        let Some(slot) = self.index(index).get(key) else {
            return Ok(None);
        };
        let now = Instant::now();
        if !slot.usable(&self.lifetimes, now) {
            return Ok(None);
        }
        let since_set = now.saturating_duration_since(slot.set_at);
        let nanos = u64::try_from(since_set.as_nanos()).unwrap_or(u64::MAX);
        slot.used_at.store(nanos, Ordering::Relaxed);
        Ok(Some(slot.value.clone()))
    }

    async fn set(&self, value: &V) -> Result<(), CacheError> {
        let slot = Arc::new(Slot {
            value: value.clone(),
            set_at: Instant::now(),
            used_at: AtomicU64::new(0),
            invalid: AtomicBool::new(false),
        });
        // The object's previous version may have had keys this one lacks
        // (a host name removed): it must not answer under them any more.
        if let Some(previous) = self.indexes[0].get(&value.id()) {
            self.drop_slot(&previous);
        }
        for index in V::Index::ALL {
            let map = self.index(*index);
            for key in value.keys(*index) {
                map.insert(key, slot.clone());
            }
        }
        Ok(())
    }

    async fn invalidate(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        for key in keys {
            if let Some(slot) = self.index(index).get(key) {
                self.drop_slot(&slot);
            }
        }
        Ok(())
    }

    async fn delete(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        let map = self.index(index);
        for key in keys {
            map.invalidate(key);
        }
        Ok(())
    }

    async fn truncate(&self) -> Result<(), CacheError> {
        for map in &self.indexes {
            map.invalidate_all();
        }
        Ok(())
    }

    async fn prune(&self) -> Result<u64, CacheError> {
        let now = Instant::now();
        let mut removed = 0;
        for map in &self.indexes {
            let stale: Vec<Arc<String>> = map
                .iter()
                .filter(|(_, slot)| !slot.usable(&self.lifetimes, now))
                .map(|(key, _)| key)
                .collect();
            for key in stale {
                map.invalidate(key.as_str());
                removed += 1;
            }
            map.run_pending_tasks();
        }
        Ok(removed)
    }
}
