//! What can go wrong in the read-model store, typed so that the spooler can
//! tell "someone else moved on" from "this event's statements are wrong" from
//! "the database is away", and the API edge can map each to a status code.

use crate::eventstore::{Position, is_unavailable};

/// A read-model store failure (bookkeeping, schema or query side).
#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    /// The generation declares no table of this logical name. A programming
    /// error of the caller (the query side names tables the plugin declared).
    #[error("projection {projection:?} declares no table {table:?}")]
    UnknownTable {
        /// The projection asked.
        projection: String,
        /// The logical table name asked for.
        table: String,
    },

    /// A filter, key or sort names a column the table does not declare. API
    /// edge: `400` with the known columns, so the caller can correct itself.
    #[error("table {table:?} has no column {column:?} (known columns: {})", known.join(", "))]
    UnknownColumn {
        /// The logical table name.
        table: String,
        /// The unknown column.
        column: String,
        /// Every column the table declares, in declaration order.
        known: Vec<String>,
    },

    /// A filter cannot apply to its column (a prefix match on a non-text
    /// column, a value of the wrong type). API edge: `400`.
    #[error("invalid filter: {0}")]
    InvalidFilter(String),

    /// A physical table name would exceed PostgreSQL's 63-byte identifier
    /// limit (the projection's or the table's name is too long).
    #[error(
        "read-model table name {name:?} is longer than 63 bytes; shorten the projection or table name"
    )]
    NameTooLong {
        /// The physical name that does not fit.
        name: String,
    },

    /// The generation is retired (switched away from, its tables dropped) or
    /// was never created. Whoever holds it must reload the live generations.
    #[error("generation {generation} of projection {projection:?} is retired or unknown")]
    NotLive {
        /// The projection.
        projection: String,
        /// The generation's number.
        generation: i64,
    },

    /// Applying the bookkeeping migrations failed.
    #[error("migrating the read-model store failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// The database cannot be reached (connection refused, timed out, closed,
    /// busy). Transient: retry later. API edge: `503`.
    #[error("read-model store unavailable: {0}")]
    Unavailable(String),

    /// Any other database error. API edge: `500`.
    #[error("read-model store error: {0}")]
    Database(sqlx::Error),
}

impl ReadModelError {
    /// Whether the same operation may succeed when simply retried later.
    pub fn is_transient(&self) -> bool {
        matches!(self, ReadModelError::Unavailable(_))
    }
}

impl From<sqlx::Error> for ReadModelError {
    fn from(e: sqlx::Error) -> Self {
        if is_transient(&e) {
            ReadModelError::Unavailable(e.to_string())
        } else {
            ReadModelError::Database(e)
        }
    }
}

/// Why a batch was not applied. Whatever the variant, nothing of the batch
/// was written and the position did not move.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Someone else (another node, an older spooler) advanced this generation
    /// since the caller read its position: the caller must stop and reload.
    #[error("the projection's position moved: expected {expected}, found {found}")]
    PositionMoved {
        /// The position the caller applied from.
        expected: Position,
        /// The position found in the store.
        found: Position,
    },

    /// The caller's lease on the generation ([`super::Fence`]) expired or was
    /// taken over: another node leads it now, or will. The caller must stop.
    #[error("the lease {key:?} expired or another node took it over")]
    LeaseLost {
        /// The lease's key.
        key: String,
    },

    /// The statements of the batch's `item`-th event failed (a constraint, a
    /// value of the wrong type, …). The caller may apply the items before it
    /// and record or skip the failing event.
    #[error("the statements of event #{item} of the batch failed: {error}")]
    Statement {
        /// Index of the failing event in the batch.
        item: usize,
        /// The database's or the host's reason.
        error: String,
    },

    /// The store failed (unavailable, bookkeeping error, retired generation).
    #[error(transparent)]
    Store(#[from] ReadModelError),
}

impl From<sqlx::Error> for ApplyError {
    fn from(e: sqlx::Error) -> Self {
        ApplyError::Store(e.into())
    }
}

/// Whether `e` says the database is away or busy rather than that the SQL or
/// the data is wrong: what the eventstore counts as unavailable
/// ([`is_unavailable`]), plus PostgreSQL's rollback (serialization,
/// deadlock), resource, operator-intervention and system-error classes,
/// after which a spooler's batch is simply tried again.
pub(super) fn is_transient(e: &sqlx::Error) -> bool {
    is_unavailable(e)
        || matches!(e, sqlx::Error::Database(db)
        if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some()
            && db.code().is_some_and(|code| {
                code.len() == 5 && ["40", "53", "57", "58"].contains(&&code[..2])
            }))
}

/// Whether `e` is the database refusing a statement (as opposed to the
/// database being away): the error an event's statements are blamed for.
pub(super) fn is_statement_error(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(_)) && !is_transient(e)
}
