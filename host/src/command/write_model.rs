//! Write models: the state a command decides on, folded from its
//! aggregate's events (ZITADEL's `*_model.go`), and how they are loaded.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::eventstore::{AggregateRef, Event, EventQuery, EventStore, Position, StoreError};

/// The state of one aggregate as far as commands care, folded from its
/// events (and kept by the write-model cache, `write_model_cache`).
///
/// Serialized as JSON it is the `state` validators receive, so field names
/// are part of the plugin contract: camelCase, stable.
pub(crate) trait WriteModel: Default + Clone + Serialize + Send + Sync + 'static {
    /// The aggregate type whose events the model folds, e.g. `user`.
    const AGGREGATE_TYPE: &'static str;

    /// Folds one event of the aggregate into the model. Unknown event types
    /// are ignored, so new events never break old models.
    fn apply(&mut self, event: &Event);

    /// Whether the aggregate was created and not removed since: commands on
    /// anything else answer "not found".
    fn exists(&self) -> bool;
}

/// A write model together with the sequence it was folded up to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Loaded<M> {
    /// The folded state.
    pub(crate) model: M,
    /// The sequence of the aggregate's latest event, 0 when it has none.
    pub(crate) sequence: u64,
    /// Who wrote the aggregate's first event, and when.
    pub(crate) created: Option<(String, DateTime<Utc>)>,
    /// When and where the aggregate's latest event landed.
    pub(crate) changed: Option<(DateTime<Utc>, Position)>,
}

impl<M: WriteModel> Loaded<M> {
    /// The state of an aggregate without events.
    pub(crate) fn new() -> Self {
        Self {
            model: M::default(),
            sequence: 0,
            created: None,
            changed: None,
        }
    }

    /// Folds the aggregate's next event in.
    pub(crate) fn apply(&mut self, event: &Event) {
        self.model.apply(event);
        self.sequence = event.sequence;
        if self.created.is_none() {
            self.created = Some((event.creator.clone(), event.created_at));
        }
        self.changed = Some((event.created_at, event.position));
    }
}

/// Where write models read their events from: the eventstore, or in tests a
/// list of given events.
#[async_trait]
pub(crate) trait EventSource: Send + Sync {
    /// The events matching `query`, oldest first.
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError>;
}

/// An [`EventSource`] reading from an [`EventStore`].
pub(crate) struct StoreSource<'a>(pub(crate) &'a dyn EventStore);

#[async_trait]
impl EventSource for StoreSource<'_> {
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.0.query(query).await
    }
}

/// Folds every event of `aggregate` into a fresh `M`.
///
/// # Errors
/// The source's error when the events cannot be read.
pub(crate) async fn load<M: WriteModel>(
    source: &dyn EventSource,
    aggregate: &AggregateRef,
) -> Result<Loaded<M>, StoreError> {
    let events = source.events(&EventQuery::aggregate(aggregate)).await?;
    Ok(fold(&events))
}

/// Folds `events` (of one aggregate, in order) into a fresh `M`.
pub(crate) fn fold<M: WriteModel>(events: &[Event]) -> Loaded<M> {
    let mut loaded = Loaded::new();
    for event in events {
        loaded.apply(event);
    }
    loaded
}

/// The payload of `event` as `P`, or `None` when it does not parse (a
/// corrupt or foreign event is skipped rather than failing every command on
/// the aggregate; it is logged).
pub(crate) fn payload<P: serde::de::DeserializeOwned>(event: &Event) -> Option<P> {
    match serde_json::from_value(event.payload.clone()) {
        Ok(payload) => Some(payload),
        Err(err) => {
            tracing::warn!(
                aggregate = %event.aggregate,
                sequence = event.sequence,
                event_type = %event.event_type,
                "skipping an event whose payload does not parse: {err}"
            );
            None
        }
    }
}
