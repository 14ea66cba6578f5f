//! Filters for reading events back: by tenant, aggregate, type, creator,
//! position and time, in either order, a page at a time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::{Event, Position};

/// Order of the returned events by position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    /// Oldest first.
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// Which events to read. Empty lists mean "no filter"; all filters combine
/// with AND, the values inside one list with OR.
///
/// Paging: read a page with `limit`, then pass the last event to
/// [`EventQuery::next_page`] for the next one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Only these instances.
    pub instance_ids: Vec<String>,
    /// Only these aggregate types.
    pub aggregate_types: Vec<String>,
    /// Only these aggregate ids.
    pub aggregate_ids: Vec<String>,
    /// Only these event types.
    pub event_types: Vec<String>,
    /// Only events caused by these actors.
    pub creators: Vec<String>,
    /// Only events after this position (exclusive).
    pub after: Option<Position>,
    /// Only events before this position (exclusive).
    pub before: Option<Position>,
    /// Only events after this sequence (exclusive), for bringing one
    /// aggregate's state up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sequence: Option<u64>,
    /// Only events created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only events created before this time.
    pub created_until: Option<DateTime<Utc>>,
    /// At most this many events.
    pub limit: Option<u32>,
    /// Ascending (default) or descending by position.
    pub order: Order,
    /// Only return the settled prefix of the global order: events that no
    /// still-open push can precede. Followers (spoolers) set it so that a
    /// position they pass can never gain an earlier event afterwards; plain
    /// reads leave it off and see every committed event.
    pub settled_only: bool,
}

impl EventQuery {
    /// An unfiltered query.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events of one aggregate, oldest first.
    pub fn aggregate(aggregate: &super::AggregateRef) -> Self {
        Self::new()
            .instance(aggregate.instance_id.clone())
            .aggregate_type(aggregate.aggregate_type.clone())
            .aggregate_id(aggregate.aggregate_id.clone())
    }

    /// Only events after `sequence` (of one aggregate: what a state folded up
    /// to `sequence` has not seen).
    pub fn after_sequence(mut self, sequence: u64) -> Self {
        self.after_sequence = Some(sequence);
        self
    }

    /// Adds an instance to the filter.
    pub fn instance(mut self, id: impl Into<String>) -> Self {
        self.instance_ids.push(id.into());
        self
    }

    /// Adds an aggregate type to the filter.
    pub fn aggregate_type(mut self, t: impl Into<String>) -> Self {
        self.aggregate_types.push(t.into());
        self
    }

    /// Adds an aggregate id to the filter.
    pub fn aggregate_id(mut self, id: impl Into<String>) -> Self {
        self.aggregate_ids.push(id.into());
        self
    }

    /// Adds an event type to the filter.
    pub fn event_type(mut self, t: impl Into<String>) -> Self {
        self.event_types.push(t.into());
        self
    }

    /// Adds a creator to the filter.
    pub fn creator(mut self, c: impl Into<String>) -> Self {
        self.creators.push(c.into());
        self
    }

    /// Only events after `p`.
    pub fn after(mut self, p: Position) -> Self {
        self.after = Some(p);
        self
    }

    /// Only events before `p`.
    pub fn before(mut self, p: Position) -> Self {
        self.before = Some(p);
        self
    }

    /// Only events created in `[from, until)`.
    pub fn created_between(
        mut self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Self {
        self.created_from = from;
        self.created_until = until;
        self
    }

    /// At most `n` events.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Newest first.
    pub fn descending(mut self) -> Self {
        self.order = Order::Descending;
        self
    }

    /// Only the settled prefix (see [`EventQuery::settled_only`]).
    pub fn settled(mut self) -> Self {
        self.settled_only = true;
        self
    }

    /// The query for the page after the one that ended with `last`.
    pub fn next_page(&self, last: &Event) -> Self {
        let mut next = self.clone();
        match self.order {
            Order::Ascending => next.after = Some(last.position),
            Order::Descending => next.before = Some(last.position),
        }
        next
    }
}
