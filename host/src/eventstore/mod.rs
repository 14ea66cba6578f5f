//! # Eventstore
//!
//! The single source of record: every change to an IAM resource is an
//! [`Event`] appended here, and every read model is derived from these events.
//!
//! One contract ([`EventStore`]), two backends: [`sqlite::SqliteStore`] (the
//! embedded default, one node) and [`postgres::PostgresStore`] (production and
//! scale-out). Both pass the same conformance suite (`tests/all/eventstore`).
//!
//! - [`EventStore::push`] appends the events of one or more aggregates in one
//!   transaction, checks each aggregate's expected sequence (optimistic
//!   concurrency) and claims/releases unique values in that same transaction.
//! - [`EventStore::query`] filters and pages through events.
//! - [`Follower`] reads events in global order without ever skipping one that
//!   commits late (see `docs/eventstore.md`), woken by [`EventStore::notifications`].

mod error;
mod event;
mod follow;
mod gather;
mod limits;
mod notify;
#[cfg(test)]
mod plans;
pub mod postgres;
mod push;
mod query;
mod sql;
pub mod sqlite;

pub use error::StoreError;
pub(crate) use error::is_unavailable;
pub use event::{AggregateRef, Event, NewEvent, Position};
pub use follow::Follower;
pub use limits::Limits;
pub use notify::Notifier;
pub use push::{AggregatePush, ExpectedSequence, Push, UniqueOp};
pub use query::{EventQuery, Order};

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

/// How long a push may stay open before it counts as stalled: followers
/// cannot pass its position while it is open, so reads by id that wait for
/// later events time out (`/debug/ready` reports it, the log warns).
pub const PUSH_STALLED_AFTER: Duration = Duration::from_secs(5);

/// The eventstore contract both backends implement.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends the push's events in one transaction and returns them as stored
    /// (with sequence, position and creation time), in push order.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when an aggregate's expected sequence is stale,
    /// [`StoreError::UniqueTaken`] when a claimed unique value is taken,
    /// [`StoreError::InvalidPush`] / [`StoreError::PayloadTooLarge`] for input
    /// over the configured [`Limits`]; nothing is stored in any of these cases.
    async fn push(&self, push: Push) -> Result<Vec<Event>, StoreError>;

    /// Returns the events matching `query`, in the query's order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Database`] when the store
    /// cannot be read.
    async fn query(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError>;

    /// The positions of the events matching `query`, in the query's order:
    /// what the read-your-writes check of a read needs, without fetching and
    /// decoding the events themselves.
    ///
    /// # Errors
    /// As [`EventStore::query`].
    async fn positions(&self, query: &EventQuery) -> Result<Vec<Position>, StoreError>;

    /// How many events match `query` (order ignored; its limit caps the
    /// count). Used for lag figures, so a long backlog stays cheap to count.
    ///
    /// # Errors
    /// As [`EventStore::query`].
    async fn count(&self, query: &EventQuery) -> Result<u64, StoreError>;

    /// The sequence of the aggregate's latest event, 0 when it has none.
    ///
    /// # Errors
    /// As [`EventStore::query`].
    async fn latest_sequence(&self, aggregate: &AggregateRef) -> Result<u64, StoreError>;

    /// A receiver that changes whenever events were pushed (on this node, or on
    /// another node of the same PostgreSQL). The value is the newest position
    /// known to exist; followers must still query the store.
    fn notifications(&self) -> watch::Receiver<Position>;

    /// Checks that the store answers (for `/debug/ready`).
    ///
    /// # Errors
    /// The store's error when it does not answer.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The backend's name, `sqlite` or `postgres`, for logs and metrics.
    fn backend(&self) -> &'static str;

    /// A position below which the global order is complete and final: every
    /// event before it (exclusive) is readable, and no push can add one
    /// there any more. Followers read below it; one that found nothing of
    /// its own below it starts its next read there, so its reads never
    /// rescan events it has passed. Concurrent callers may share one
    /// computation (PostgreSQL: one begun at most 1 ms before they asked).
    ///
    /// # Errors
    /// As [`EventStore::query`].
    async fn settled_horizon(&self) -> Result<Position, StoreError>;

    /// On a backend where this process makes every commit (SQLite: one node
    /// holds the store), the newest committed position: every event whose
    /// push has returned is at or below it. `None` where other nodes commit
    /// too (PostgreSQL), so only the store can say what exists.
    fn committed_horizon(&self) -> Option<Position> {
        None
    }

    /// How long the oldest push still open on this store has been open, on a
    /// backend where an open push holds followers back (PostgreSQL: no
    /// follower passes its position until it ends); `None` when no push is
    /// open. SQLite settles every push at its commit: always `None`.
    ///
    /// # Errors
    /// As [`EventStore::query`].
    async fn oldest_open_push(&self) -> Result<Option<Duration>, StoreError> {
        Ok(None)
    }

    /// Waits for in-flight pushes, then closes every connection.
    async fn close(&self);
}

/// The ids of the aggregates that the events matching `query` belong to,
/// sorted and each once: what a sweep over every aggregate holding some
/// event (a re-sealing after a masterkey rotation) visits.
///
/// # Errors
/// As [`EventStore::query`].
pub async fn aggregate_ids(
    store: &dyn EventStore,
    query: &EventQuery,
) -> Result<Vec<String>, StoreError> {
    let mut ids: Vec<String> = store
        .query(query)
        .await?
        .into_iter()
        .map(|e| e.aggregate.aggregate_id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}
