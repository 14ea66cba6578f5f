//! What a command hands the eventstore: the events of one or more aggregates
//! and the unique values they claim or release, all or nothing.

use serde::{Deserialize, Serialize};

use super::event::{AggregateRef, NewEvent};

/// The sequence an aggregate must be at for a push to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedSequence {
    /// No check: append after whatever is there (for events that commute).
    Any,
    /// The aggregate's latest sequence must be exactly this (0 = no events yet).
    Exact(u64),
}

/// The events to append to one aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePush {
    /// The aggregate the events belong to.
    pub aggregate: AggregateRef,
    /// Optimistic concurrency check for this aggregate.
    pub expected: ExpectedSequence,
    /// The events, in order; they get consecutive sequences.
    pub events: Vec<NewEvent>,
}

/// Claiming or releasing a unique value (a username, a domain, …) in the same
/// transaction as the events that need it.
#[derive(Debug, Clone, PartialEq)]
pub enum UniqueOp {
    /// Take `value` of kind `kind` in the instance; fails the whole push with
    /// [`super::StoreError::UniqueTaken`] (carrying `message`) when taken.
    Claim {
        /// Tenant the value is unique in.
        instance_id: String,
        /// Kind of value, e.g. `username`.
        kind: String,
        /// The value itself.
        value: String,
        /// What the caller is told when the value is taken.
        message: String,
    },
    /// Give the value back (no error when it was not taken).
    Release {
        /// Tenant the value was unique in.
        instance_id: String,
        /// Kind of value.
        kind: String,
        /// The value itself.
        value: String,
    },
    /// Give back every value of the instance (when the instance is removed).
    ReleaseInstance {
        /// The removed tenant.
        instance_id: String,
    },
}

impl UniqueOp {
    /// Takes `value` of kind `kind` in `instance_id`; `message` is what the
    /// caller is told when it is taken.
    pub fn claim(
        instance_id: impl Into<String>,
        kind: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        UniqueOp::Claim {
            instance_id: instance_id.into(),
            kind: kind.into(),
            value: value.into(),
            message: message.into(),
        }
    }

    /// Gives `value` of kind `kind` in `instance_id` back.
    pub fn release(
        instance_id: impl Into<String>,
        kind: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        UniqueOp::Release {
            instance_id: instance_id.into(),
            kind: kind.into(),
            value: value.into(),
        }
    }
}

/// One atomic append: every aggregate's events and every unique operation
/// apply together, or none does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Push {
    /// The aggregates written, each at most once.
    pub aggregates: Vec<AggregatePush>,
    /// Unique values claimed or released, applied in order.
    pub unique: Vec<UniqueOp>,
}

impl Push {
    /// A push of `events` to one aggregate expected at `expected`.
    pub fn new(aggregate: AggregateRef, expected: ExpectedSequence, events: Vec<NewEvent>) -> Self {
        Self {
            aggregates: vec![AggregatePush {
                aggregate,
                expected,
                events,
            }],
            unique: Vec::new(),
        }
    }

    /// Adds the events of another aggregate to the same transaction.
    pub fn and(
        mut self,
        aggregate: AggregateRef,
        expected: ExpectedSequence,
        events: Vec<NewEvent>,
    ) -> Self {
        self.aggregates.push(AggregatePush {
            aggregate,
            expected,
            events,
        });
        self
    }

    /// Adds a unique-value claim to the push.
    pub fn claim(
        mut self,
        instance_id: impl Into<String>,
        kind: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.unique
            .push(UniqueOp::claim(instance_id, kind, value, message));
        self
    }

    /// Adds a unique-value release to the push.
    pub fn release(
        mut self,
        instance_id: impl Into<String>,
        kind: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.unique
            .push(UniqueOp::release(instance_id, kind, value));
        self
    }

    /// How many events the push appends.
    pub fn event_count(&self) -> usize {
        self.aggregates.iter().map(|a| a.events.len()).sum()
    }

    /// The events in push order, each with its aggregate's index.
    pub(crate) fn events(&self) -> impl Iterator<Item = (usize, &NewEvent)> {
        self.aggregates
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.events.iter().map(move |e| (i, e)))
    }
}
