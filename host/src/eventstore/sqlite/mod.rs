//! # SQLite eventstore (the embedded default)
//!
//! One process owns the data directory (an OS file lock, so a second
//! `rampart start` on the same directory fails with a clear error). All pushes
//! go through one writer task that commits them in groups ([`writer`]), so the
//! file sees one write transaction at a time: commit order is position order
//! and every committed event is settled. Reads use a separate pool of
//! connections (WAL mode lets them run beside the writer).

mod checkpoint;
mod lock;
mod read;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite};
use tokio::sync::{mpsc, oneshot, watch};

use super::sql::Dialect;
use super::{
    AggregateRef, Event, EventQuery, EventStore, Limits, Notifier, Position, Push, StoreError,
};
use crate::config::{SqliteConfig, SqliteSynchronous as SyncSetting};

/// The schema migrations for SQLite, embedded from `migrations/sqlite/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "rampart.db";

/// The page cache of every SQLite connection the node opens (`PRAGMA
/// cache_size`, negative = KiB): 4 MiB, except the eventstore's writer.
/// Each connection has a cache of its own, filled as pages are read and kept
/// until it closes, so the budget is per connection times connections:
/// readers serve index probes whose upper levels fit here, and the rest
/// comes from the operating system's page cache, which all of them share.
/// With `MaxReaders` readers per file: (16 + 4 × MaxReaders) MiB for the
/// events and 4 × (1 + MaxReaders) MiB for the read models, 84 MiB at the
/// default 8 (`docs/eventstore.md`, "Memory on SQLite").
pub const CONNECTION_CACHE_KIB: &str = "-4096";

/// The page cache of the eventstore's one writer connection: 16 MiB, for
/// the sequence and unique-value probes of every push.
pub const WRITER_CACHE_KIB: &str = "-16384";

/// The embedded eventstore.
pub struct SqliteStore {
    pool: SqlitePool,
    checkpointer: tokio::task::JoinHandle<()>,
    limits: Limits,
    notifier: Arc<Notifier>,
    writer: Mutex<Option<mpsc::Sender<writer::Request>>>,
    writer_task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Released by [`EventStore::close`], so another process may open the directory.
    lock: Mutex<Option<lock::DirLock>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `cfg.dir`, takes the directory's
    /// lock and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process owns the directory,
    /// [`StoreError::Migration`] / [`StoreError::Database`] otherwise.
    pub async fn open(cfg: &SqliteConfig, limits: Limits) -> Result<Self, StoreError> {
        let lock = lock::DirLock::acquire(&cfg.dir)?;
        let path = cfg.dir.join(DB_FILE);
        crate::private_files::sqlite_database(&path).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
        })?;
        let options = connect_options(&path, cfg);
        let pool = SqlitePoolOptions::new()
            .max_connections(cfg.max_readers.max(1))
            .min_connections(1)
            // A local file does not drop connections: no ping per query.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        // The writer never checkpoints inline (a checkpoint fsyncs the database
        // file inside some unlucky push's commit); the checkpointer does.
        let conn = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .pragma("cache_size", WRITER_CACHE_KIB)
            .connect()
            .await?;
        let next_tx = read::max_tx(&pool).await? + 1;
        // What earlier processes stored is committed: followers and reads
        // bounded by this process's newest commit must see it from the start.
        let notifier = Arc::new(Notifier::new(read::newest_position(&pool).await?));
        let group_max = cfg.group_commit_max.max(1);
        let (tx, rx) = mpsc::channel(group_max * 4);
        let task = tokio::spawn(writer::run(conn, rx, next_tx, group_max, notifier.clone()));
        let checkpointer = tokio::spawn(checkpoint::run(pool.clone()));
        Ok(Self {
            checkpointer,
            pool,
            limits,
            notifier,
            writer: Mutex::new(Some(tx)),
            writer_task: tokio::sync::Mutex::new(Some(task)),
            lock: Mutex::new(Some(lock)),
        })
    }

    /// Path of the database file a store in `dir` uses.
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    fn sender(&self) -> Result<mpsc::Sender<writer::Request>, StoreError> {
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the event store is closed".into()))
    }
}

/// Options for a SQLite file in the data directory as `Database.Sqlite`
/// configures it (WAL, `synchronous`, busy timeout, the page cache of
/// [`CONNECTION_CACHE_KIB`]); the read models' file is opened the same way.
pub(crate) fn connect_options(path: &Path, cfg: &SqliteConfig) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match cfg.synchronous {
            SyncSetting::Full => SqliteSynchronous::Full,
            SyncSetting::Normal => SqliteSynchronous::Normal,
        })
        .busy_timeout(cfg.busy_timeout)
        .pragma("temp_store", "memory")
        .pragma("cache_size", CONNECTION_CACHE_KIB)
        // Statements carry personal data: none in the log (see the
        // PostgreSQL options).
        .disable_statement_logging()
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn push(&self, push: Push) -> Result<Vec<Event>, StoreError> {
        let payloads = self.limits.check(&push)?;
        let (reply, answer) = oneshot::channel();
        self.sender()?
            .send(writer::Request {
                push,
                payloads,
                reply,
            })
            .await
            .map_err(|_| StoreError::Unavailable("the event store is closed".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the event store writer stopped".into()))?
    }

    async fn query(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        read::query(&self.pool, query).await
    }

    async fn positions(&self, query: &EventQuery) -> Result<Vec<Position>, StoreError> {
        let mut qb = super::sql::select_positions::<Sqlite>(query);
        let rows: Vec<(i64, i32)> = qb.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(tx, i)| Position::new(tx, i))
            .collect())
    }

    async fn count(&self, query: &EventQuery) -> Result<u64, StoreError> {
        let mut qb = super::sql::count_events::<Sqlite>(query);
        let n: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    async fn latest_sequence(&self, aggregate: &AggregateRef) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        read::latest_sequence(&mut conn, aggregate).await
    }

    fn notifications(&self) -> watch::Receiver<Position> {
        self.notifier.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    fn committed_horizon(&self) -> Option<Position> {
        // The writer announces a group before it answers any of its pushes.
        Some(self.notifier.latest())
    }

    async fn settled_horizon(&self) -> Result<Position, StoreError> {
        // One writer commits groups in position order and announces each
        // after its commit: everything up to the announced position exists.
        Ok(self.notifier.latest().next())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn close(&self) {
        drop(self.writer.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(task) = self.writer_task.lock().await.take() {
            let _ = task.await;
        }
        self.checkpointer.abort();
        checkpoint::truncate(&self.pool).await;
        self.pool.close().await;
        drop(self.lock.lock().unwrap_or_else(|p| p.into_inner()).take());
    }
}

impl Dialect for Sqlite {
    fn bind_time(qb: &mut QueryBuilder<'_, Self>, time: DateTime<Utc>) {
        qb.push_bind(time.timestamp_micros());
    }
}
