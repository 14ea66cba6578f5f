//! The write-model cache: the state commands decide on, per aggregate, kept
//! in this node's memory (moka, `Caches.WriteModels.MaxEntries`), so that a
//! command on an aggregate this node knows reads nothing before it pushes.
//!
//! An entry is a write model folded from the aggregate's first events up to
//! its sequence. Events never change once stored, so an entry is always
//! right about those events; it can only miss newer ones, written by
//! another node or by a push that did not go through this cache. Nothing
//! rests on it being fresh:
//!
//! - a command decides on the cached state and pushes expecting its
//!   sequence: when anything was written since, the push conflicts, the
//!   entry is dropped, and the command decides again on state read from
//!   the store (`pipeline`);
//! - a command that fails on cached state (not found, a wrong state, a
//!   validator's rejection) is decided again on state brought up to date
//!   before the failure is reported;
//! - the state of other aggregates a decision checks is brought up to date
//!   with the events after the entry's sequence (one indexed read, usually
//!   of nothing) before it is used ([`WriteModelCache::load`]).

use std::any::Any;
use std::sync::Arc;

use super::write_model::{EventSource, Loaded, WriteModel};
use crate::eventstore::{AggregateRef, Event, EventQuery, StoreError};

/// Folded write models by aggregate; each aggregate type has one model type.
pub struct WriteModelCache {
    /// `None` when the cache is off (`MaxEntries: 0`).
    entries: Option<moka::sync::Cache<AggregateRef, Arc<dyn Any + Send + Sync>>>,
}

/// Reads of the cache, labelled `result`: `hit` or `miss`.
pub const WRITE_MODEL_READS_METRIC: &str = "rampart_write_model_cache_reads_total";

impl std::fmt::Debug for WriteModelCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteModelCache")
            .field("entries", &self.entries.as_ref().map(|e| e.entry_count()))
            .finish()
    }
}

impl WriteModelCache {
    /// A cache of at most `max_entries` aggregates (0: off, every read goes
    /// to the store).
    pub fn new(max_entries: u64) -> Self {
        Self {
            entries: (max_entries > 0).then(|| moka::sync::Cache::new(max_entries)),
        }
    }

    /// The cached state of `aggregate`, possibly behind the store; `None`
    /// when this node has none.
    pub(crate) fn get<M: WriteModel>(&self, aggregate: &AggregateRef) -> Option<Loaded<M>> {
        let entry = self.entries.as_ref()?.get(aggregate);
        let loaded = entry.and_then(|e| e.downcast_ref::<Loaded<M>>().cloned());
        let result = if loaded.is_some() { "hit" } else { "miss" };
        metrics::counter!(WRITE_MODEL_READS_METRIC, "result" => result).increment(1);
        loaded
    }

    /// The state of `aggregate` as the store has it now: the cached state
    /// with the events after its sequence folded in, or every event folded
    /// when nothing is cached. The result is cached.
    ///
    /// # Errors
    /// The source's error when the events cannot be read.
    pub(crate) async fn load<M: WriteModel>(
        &self,
        source: &dyn EventSource,
        aggregate: &AggregateRef,
    ) -> Result<Loaded<M>, StoreError> {
        let from = self.get::<M>(aggregate).unwrap_or_else(Loaded::new);
        self.catch_up(source, aggregate, from).await
    }

    /// `from` (a state of `aggregate`) with the events after its sequence
    /// folded in; the result is cached.
    ///
    /// # Errors
    /// The source's error when the events cannot be read.
    pub(crate) async fn catch_up<M: WriteModel>(
        &self,
        source: &dyn EventSource,
        aggregate: &AggregateRef,
        mut from: Loaded<M>,
    ) -> Result<Loaded<M>, StoreError> {
        let mut query = EventQuery::aggregate(aggregate);
        if from.sequence > 0 {
            query = query.after_sequence(from.sequence);
        }
        for event in &source.events(&query).await? {
            from.apply(event);
        }
        if from.sequence > 0 {
            self.put(aggregate, from.clone());
        }
        Ok(from)
    }

    /// Keeps `loaded` as `aggregate`'s state, unless a newer one is kept.
    pub(crate) fn put<M: WriteModel>(&self, aggregate: &AggregateRef, loaded: Loaded<M>) {
        let Some(entries) = &self.entries else {
            return;
        };
        let newer_kept = entries
            .get(aggregate)
            .and_then(|e| e.downcast_ref::<Loaded<M>>().map(|l| l.sequence))
            .is_some_and(|kept| kept > loaded.sequence);
        if !newer_kept {
            entries.insert(aggregate.clone(), Arc::new(loaded));
        }
    }

    /// Keeps `before` with `stored` (a successful push's events) folded in
    /// as `aggregate`'s state.
    pub(crate) fn pushed<M: WriteModel>(
        &self,
        aggregate: &AggregateRef,
        mut before: Loaded<M>,
        stored: &[Event],
    ) {
        for event in stored.iter().filter(|e| &e.aggregate == aggregate) {
            before.apply(event);
        }
        self.put(aggregate, before);
    }

    /// Drops what is kept of the aggregates of `events` (pushed around the
    /// cache, or found to be behind).
    pub(crate) fn forget(&self, events: &[Event]) {
        if let Some(entries) = &self.entries {
            for event in events {
                entries.invalidate(&event.aggregate);
            }
        }
    }

    /// Drops what is kept of `aggregate`.
    pub(crate) fn forget_aggregate(&self, aggregate: &AggregateRef) {
        if let Some(entries) = &self.entries {
            entries.invalidate(aggregate);
        }
    }
}
