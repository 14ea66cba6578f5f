//! What can go wrong in the eventstore, typed so that callers can react
//! (retry a conflict, tell the user a name is taken) and the API edge can map
//! each variant to one status code.

use super::event::AggregateRef;

/// An eventstore failure. No variant ever leaves a push half-written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The aggregate moved on since the caller loaded it. Reload the aggregate
    /// and decide again (the command pipeline retries a bounded number of
    /// times). API edge: `409 Conflict` / `ABORTED`.
    #[error("concurrent modification of {aggregate}: expected sequence {expected}, found {actual}")]
    Conflict {
        /// The aggregate whose sequence did not match.
        aggregate: AggregateRef,
        /// The sequence the push expected.
        expected: u64,
        /// The sequence found, when known (a racing push may hide it).
        actual: String,
    },

    /// A claimed unique value belongs to someone else. Not retryable. API
    /// edge: `409 Conflict` / `ALREADY_EXISTS`, with `message`.
    #[error("{message} ({kind} {value:?} is already taken)")]
    UniqueTaken {
        /// Kind of value, e.g. `username`.
        kind: String,
        /// The taken value.
        value: String,
        /// The message the command supplied for this case.
        message: String,
    },

    /// An event's payload is larger than `Eventstore.MaxPayloadBytes`. API
    /// edge: `413` / `INVALID_ARGUMENT`.
    #[error(
        "payload of event {event_type:?} is {size} bytes, over the limit of {limit} bytes (Eventstore.MaxPayloadBytes)"
    )]
    PayloadTooLarge {
        /// Type of the oversized event.
        event_type: String,
        /// Its payload's size as JSON.
        size: usize,
        /// The configured limit.
        limit: usize,
    },

    /// The push is malformed (empty, an aggregate twice, empty names, too many
    /// events). A programming error of the caller. API edge: `400` /
    /// `INVALID_ARGUMENT`.
    #[error("invalid push: {0}")]
    InvalidPush(String),

    /// The store cannot be reached (connection refused, timed out, closed).
    /// Transient: retry later. API edge: `503` / `UNAVAILABLE`.
    #[error("event store unavailable: {0}")]
    Unavailable(String),

    /// Another process owns the store (SQLite: the data directory is locked).
    #[error("{0}")]
    Locked(String),

    /// Applying the schema migrations failed.
    #[error("migrating the event store failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// Any other database error. API edge: `500` / `INTERNAL`.
    #[error("event store error: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// Whether the same operation may succeed when simply retried later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Conflict { .. }
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Database(e)
        }
    }
}

/// Whether `e` says the database is away, restarting or out of connections
/// (so the same call may succeed later) rather than that the statement or
/// the data is wrong: I/O and pool failures; PostgreSQL's connection
/// exceptions (SQLSTATE class `08`), `57P01`–`57P03` (administrator or
/// crash shutdown, cannot connect now) and `53300` (too many connections);
/// SQLite's busy and locked codes.
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes.
                code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
            }
        }
        _ => false,
    }
}
