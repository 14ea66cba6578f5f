//! # Read models
//!
//! Where projections keep what they derive from the events: the read-model
//! tables their plugins declare, and the bookkeeping that makes those tables
//! trustworthy. SQLite (`<dir>/projections.db`, a file of its own so spooler
//! writes never wait on the eventstore's writer) and PostgreSQL (the
//! eventstore's database and schema) behind one [`ReadStore`].
//!
//! - A **generation** ([`Generation`]) is one set of physical tables
//!   (`rm_<projection>_<n>_<table>`) built by one plugin version from one
//!   declaration. A new version gets a new generation that rebuilds from
//!   position 0 while the old one keeps serving; [`ReadStore::switch`] then
//!   retires the old one and drops its tables (`generation.rs`).
//! - [`ReadStore::apply`] writes the statements a batch of events produced
//!   and moves the generation's position with a compare-and-set, in one
//!   transaction: a read model is always exactly "the events up to its
//!   position", and two nodes can never both apply a batch (`apply.rs`).
//!   PostgreSQL sends a whole batch as one script of literals (`literal.rs`).
//! - Events that keep failing are counted and, once given up on, skipped
//!   with a record of why (`failures.rs`).
//! - The query side reads rows back as JSON, by key or filtered, sorted and
//!   paged (`list.rs`, `rows.rs`).
//!
//! Plugins' statements and the query side's filters are checked against the
//! generation's own declaration (`plan.rs`, `value.rs`) before any SQL is built,
//! so both backends accept and refuse the same things.

/// Runs `$body` once per backend with `$pool` bound to that backend's pool
/// (SQLite: the `writer` or `reader` pool, as named) and `$dialect` to its
/// [`schema::Dialect`]. The body is compiled for both pool types, so the
/// bookkeeping SQL (`$n` placeholders, which SQLite understands too) is
/// written once.
macro_rules! on_pool {
    ($store:expr, $which:ident, |$pool:ident, $dialect:ident| $body:expr) => {
        match &$store.backend {
            $crate::readmodel::Backend::Sqlite { $which: $pool, .. } => {
                #[allow(unused_variables)]
                let $dialect = $crate::readmodel::schema::Dialect::Sqlite;
                $body
            }
            $crate::readmodel::Backend::Postgres($pool) => {
                #[allow(unused_variables)]
                let $dialect = $crate::readmodel::schema::Dialect::Postgres;
                $body
            }
        }
    };
}

mod apply;
mod bind;
mod error;
mod failures;
mod generation;
mod list;
mod literal;
mod plan;
mod rows;
mod schema;
mod statistics;
mod value;

#[cfg(test)]
mod tests;

use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};

pub use apply::{Applied, Fence};
pub use error::{ApplyError, ReadModelError};
pub use failures::FailedEvent;
pub use generation::{Generation, GenerationStatus};
pub use list::{Filter, FilterOp, ListQuery, Page, SortOrder};
pub use rows::Row;

use crate::config::SqliteConfig;
use crate::eventstore::sqlite::connect_options;

/// The bookkeeping migrations for SQLite, embedded from
/// `migrations/sqlite-projections/` (PostgreSQL's are part of the eventstore's
/// migrations, `migrations/postgres/`).
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("../migrations/sqlite-projections");

/// File name of the SQLite read-model database inside the data directory.
pub const DB_FILE: &str = "projections.db";

/// The read-model store: generations, positions, failures and the read-model
/// rows, on SQLite or PostgreSQL. Cheap to clone (it holds connection pools).
#[derive(Debug, Clone)]
pub struct ReadStore {
    backend: Backend,
}

/// The pools of each backend.
#[derive(Debug, Clone)]
enum Backend {
    /// SQLite: one writer connection (SQLite allows one writer at a time;
    /// queueing in the pool beats retrying on `SQLITE_BUSY`) and readers.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    /// PostgreSQL: the eventstore's pool.
    Postgres(PgPool),
}

impl ReadStore {
    /// Opens (creating if needed, private) `<cfg.dir>/projections.db` in WAL mode with
    /// the configured `synchronous` and busy timeout, and applies pending
    /// bookkeeping migrations. A file apart from the eventstore's
    /// `rampart.db`, so spooler writes never contend with event pushes.
    ///
    /// # Errors
    /// [`ReadModelError::Unavailable`] when the file cannot be opened,
    /// [`ReadModelError::Migration`] when migrating fails.
    pub async fn sqlite(cfg: &SqliteConfig) -> Result<Self, ReadModelError> {
        let path = cfg.dir.join(DB_FILE);
        crate::private_files::data_dir(&cfg.dir)
            .and_then(|()| crate::private_files::sqlite_database(&path))
            .map_err(|e| {
                ReadModelError::Unavailable(format!("cannot create {}: {e}", path.display()))
            })?;
        let options = connect_options(&path, cfg);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        SQLITE_MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(cfg.max_readers.max(1))
            // A local file does not drop connections as a network peer may:
            // no ping (a round trip to the connection's thread) per read.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(Self {
            backend: Backend::Sqlite { writer, reader },
        })
    }

    /// Over an existing PostgreSQL pool, the eventstore's: same database and
    /// schema. The bookkeeping tables come with the eventstore's migrations
    /// (`migrations/postgres/0002_projections.sql`), so nothing is migrated
    /// here.
    pub fn postgres(pool: PgPool) -> Self {
        Self {
            backend: Backend::Postgres(pool),
        }
    }

    /// The backend's name, `sqlite` or `postgres`, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes the pools (waiting for connections in use to be returned).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}
