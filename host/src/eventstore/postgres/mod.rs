//! # PostgreSQL eventstore (production and scale-out)
//!
//! Many nodes push concurrently into one database. A push alone is one
//! statement (one round trip, one transaction; see `migrations/postgres/`);
//! the pushes of concurrent commands share transactions ([`group_commit`]). Positions are `(transaction id, index)`, and
//! followers read only below the oldest transaction that is or may be a
//! still-open push ([`horizon`]), so an event that commits late can never
//! land behind a follower's cursor, without a global lock on writers, and
//! without waiting for transactions of other applications
//! (`docs/eventstore.md`). Nodes learn of each other's pushes through a
//! coalesced `NOTIFY` ([`notify`]).

mod batch;
mod connect;
pub mod group_commit;
pub mod horizon;
mod notify;
mod push;
mod rebase;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use tokio::sync::watch;

use super::sql::{Dialect, count_events, event_from_row, select_events, select_positions};
use super::{
    AggregateRef, Event, EventQuery, EventStore, Limits, Notifier, Position, Push, StoreError,
};
use crate::config::{EventstoreConfig, PostgresConfig};
use group_commit::{GroupCommit, GroupCommitStats};

pub use connect::{IDLE_IN_TRANSACTION_TIMEOUT, connect_pool};

/// The schema migrations for PostgreSQL, embedded from `migrations/postgres/`.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate!("../migrations/postgres");
    // A node of an older version keeps running after a newer one migrated.
    m.set_ignore_missing(true);
    m
}

/// The PostgreSQL eventstore.
pub struct PostgresStore {
    pool: PgPool,
    limits: Limits,
    notifier: Arc<Notifier>,
    broadcaster: notify::Broadcaster,
    monitor: horizon::Monitor,
    /// `None` when group commit is off (`CommitSlots: 0`).
    commits: Option<GroupCommit>,
    /// The settled horizon, one computation shared by concurrent followers.
    horizon: horizon::Shared,
}

impl PostgresStore {
    /// Connects (creating the database when `CreateDatabase` allows) and
    /// starts the cross-node notification tasks. Does not migrate: see
    /// [`PostgresStore::migrate`].
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] naming the server when it cannot be reached.
    pub async fn connect(cfg: &PostgresConfig, es: &EventstoreConfig) -> Result<Self, StoreError> {
        let pool = connect_pool(cfg).await?;
        Ok(Self::with_pool(pool, cfg, es))
    }

    /// Wraps an existing pool (tests and benchmarks use their own databases),
    /// committing as `cfg`'s `CommitSlots` and `GroupCommitMax` say.
    /// Starts the commit slots, the cross-node notifications and the monitor
    /// of open pushes.
    pub fn with_pool(pool: PgPool, cfg: &PostgresConfig, es: &EventstoreConfig) -> Self {
        let notifier = Arc::new(Notifier::new(Position::ZERO));
        let broadcaster =
            notify::Broadcaster::start(pool.clone(), notifier.clone(), es.notify_interval);
        let monitor = horizon::Monitor::start(pool.clone());
        let commits = (cfg.commit_slots > 0)
            .then(|| GroupCommit::start(pool.clone(), cfg.commit_slots, cfg.group_commit_max));
        Self {
            pool,
            limits: Limits::from(es),
            notifier,
            broadcaster,
            monitor,
            commits,
            horizon: horizon::Shared::default(),
        }
    }

    /// Applies pending migrations; safe while older nodes serve (migrations
    /// are additive and serialized by the migrator's advisory lock).
    ///
    /// # Errors
    /// [`StoreError::Migration`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrator().run(&self.pool).await?;
        // Connections opened before the migration that keeps positions
        // above the stored ones could not check yet.
        let mut conn = self.pool.acquire().await?;
        rebase::rebase_positions(&mut conn).await?;
        Ok(())
    }

    /// The connection pool (for the setup command and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// `query`, bounded by the settled horizon when it asks for settled
    /// events only (the node's shared computation, `horizon::Shared`).
    async fn settle<'q>(&self, query: &'q EventQuery) -> Result<Cow<'q, EventQuery>, StoreError> {
        if !query.settled_only {
            return Ok(Cow::Borrowed(query));
        }
        let horizon = self.horizon.get(&self.pool).await?;
        let mut settled = query.clone();
        settled.settled_only = false;
        settled.before = Some(settled.before.map_or(horizon, |b| b.min(horizon)));
        Ok(Cow::Owned(settled))
    }

    /// How many pushes went alone and how many shared transactions
    /// (`None` when group commit is off).
    pub fn group_commit_stats(&self) -> Option<&GroupCommitStats> {
        self.commits.as_ref().map(GroupCommit::stats)
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn push(&self, push: Push) -> Result<Vec<Event>, StoreError> {
        let payloads = self.limits.check(&push)?;
        // A push of the one-statement shapes is cheaper alone (measured by
        // the eventstore bench's `group-commit` section); the others share.
        let events = match &self.commits {
            Some(commits) if !push::is_lean(&push) => commits.push(push, payloads).await?,
            _ => push::push(&self.pool, push, payloads).await?,
        };
        if let Some(last) = events.last() {
            self.notifier.pushed(last.position);
            self.broadcaster.pushed();
        }
        Ok(events)
    }

    async fn query(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let query = self.settle(query).await?;
        let mut qb = select_events::<Postgres>(&query);
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }

    async fn positions(&self, query: &EventQuery) -> Result<Vec<Position>, StoreError> {
        let query = self.settle(query).await?;
        let mut qb = select_positions::<Postgres>(&query);
        let rows: Vec<(i64, i32)> = qb.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(tx, i)| Position::new(tx, i))
            .collect())
    }

    async fn count(&self, query: &EventQuery) -> Result<u64, StoreError> {
        let query = self.settle(query).await?;
        let mut qb = count_events::<Postgres>(&query);
        let n: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    async fn latest_sequence(&self, a: &AggregateRef) -> Result<u64, StoreError> {
        latest_sequence(&self.pool, a).await
    }

    fn notifications(&self) -> watch::Receiver<Position> {
        self.notifier.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn settled_horizon(&self) -> Result<Position, StoreError> {
        self.horizon.get(&self.pool).await
    }

    async fn oldest_open_push(&self) -> Result<Option<Duration>, StoreError> {
        Ok(horizon::oldest_open_push(&self.pool).await?.map(|p| p.age))
    }

    async fn close(&self) {
        if let Some(commits) = &self.commits {
            commits.stop();
        }
        self.monitor.stop();
        self.broadcaster.stop().await;
        self.pool.close().await;
    }
}

impl Dialect for Postgres {
    fn bind_time(qb: &mut QueryBuilder<'_, Self>, time: DateTime<Utc>) {
        qb.push_bind(time);
    }
}

/// The aggregate's latest sequence (0 when it has no events).
async fn latest_sequence(pool: &PgPool, a: &AggregateRef) -> Result<u64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE((SELECT sequence FROM events \
         WHERE instance_id = $1 AND aggregate_type = $2 AND aggregate_id = $3 \
         ORDER BY sequence DESC LIMIT 1), 0)::bigint",
    )
    .bind(&a.instance_id)
    .bind(&a.aggregate_type)
    .bind(&a.aggregate_id)
    .fetch_one(pool)
    .await?;
    Ok(seq as u64)
}

fn decode(row: &PgRow) -> Result<Event, StoreError> {
    let revision: i16 = row.try_get("revision")?;
    Ok(event_from_row(
        row,
        revision as u16,
        row.try_get("payload")?,
        row.try_get("created_at")?,
    )?)
}
