//! Applying a batch: every event's statements and the generation's new
//! position, in one transaction. The position moves by compare-and-set, so a
//! batch applies exactly once even when two nodes (or a stale spooler) race.
//!
//! SQLite binds each statement's parameters (an in-process call each, cheap).
//! PostgreSQL renders the whole batch as one script ([`super::literal`]) —
//! one round trip however many statements — and only when that script fails
//! redoes the batch statement by statement with bound parameters, to name
//! the event whose statements fail.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Database, Executor, Pool, QueryBuilder, Row};

use super::error::{ApplyError, ReadModelError, is_statement_error};
use super::generation::Generation;
use super::literal;
use super::plan::{Plan, plan_batch, write};
use super::{Backend, ReadStore};
use crate::eventstore::Position;
use crate::plugins::types::Statement;

/// The statements one event produced, and that event's position.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The event's position: where the generation stands once applied.
    pub position: Position,
    /// The statements, executed in order (none: the event changes nothing,
    /// but the position still moves past it).
    pub statements: Vec<Statement>,
}

/// The lease a write must still hold to move a generation's position (on
/// PostgreSQL, where several nodes share the read models): the leadership
/// key, this process as its owner, and the epoch it took the lease with. A
/// node whose lease expired or was taken over cannot apply anything, even
/// before it learns so (`spooler::leader`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The leadership key (`<projection>/<generation>`).
    pub key: String,
    /// The lease's owner: this process.
    pub owner: String,
    /// The epoch the lease was taken with.
    pub epoch: i64,
}

/// Moves the position from `from` to `to` (adding `count` to the events
/// applied) unless the generation moved on or retired.
pub(super) const CAS: &str = "UPDATE projection_generations \
     SET position_tx = $1, position_index = $2, events_applied = events_applied + $3, \
     updated_at = $4 \
     WHERE projection = $5 AND generation = $6 AND position_tx = $7 AND position_index = $8 \
     AND status <> 'retired'";

/// The condition [`CAS_FENCED`] adds, with the fence's key, owner and epoch
/// as `$9`, `$10`, `$11`: the lease is valid now, and stays locked against a
/// takeover until the transaction ends.
const FENCE: &str = " AND EXISTS (SELECT 1 FROM projection_leases WHERE key = $9 AND owner = $10 \
     AND epoch = $11 AND expires_at > clock_timestamp() FOR KEY SHARE)";

/// [`CAS`] under a [`Fence`] (PostgreSQL).
pub(super) static CAS_FENCED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{CAS}{FENCE}"));

/// Where the generation stands, to explain a failed compare-and-set.
pub(super) const CURRENT: &str = "SELECT position_tx, position_index, status \
     FROM projection_generations WHERE projection = $1 AND generation = $2";

/// Runs [`CAS`] on `$conn`; when it moves nothing, returns from the
/// enclosing function with [`ApplyError::PositionMoved`] or
/// [`ReadModelError::NotLive`].
macro_rules! compare_and_set {
    ($conn:expr, $generation:expr, $from:expr, $to:expr, $count:expr, $fence:expr) => {{
        let fence: Option<&$crate::readmodel::Fence> = $fence;
        let sql: &str = match fence {
            Some(_) => &$crate::readmodel::apply::CAS_FENCED,
            None => $crate::readmodel::apply::CAS,
        };
        let mut cas = sqlx::query(sql)
            .bind($to.tx)
            .bind($to.index)
            .bind($count as i64)
            .bind(chrono::Utc::now())
            .bind(&$generation.projection)
            .bind($generation.number)
            .bind($from.tx)
            .bind($from.index);
        if let Some(fence) = fence {
            cas = cas.bind(&fence.key).bind(&fence.owner).bind(fence.epoch);
        }
        let moved = cas.execute(&mut *$conn).await?;
        if moved.rows_affected() != 1 {
            let found: Option<(i64, i32, String)> =
                sqlx::query_as($crate::readmodel::apply::CURRENT)
                    .bind(&$generation.projection)
                    .bind($generation.number)
                    .fetch_optional(&mut *$conn)
                    .await?;
            return Err($crate::readmodel::apply::not_moved(
                $generation,
                $from,
                found,
                fence,
            ));
        }
    }};
}
pub(super) use compare_and_set;

/// Why a compare-and-set moved nothing: the position moved, the
/// generation retired, or else the fence's lease is gone.
pub(super) fn not_moved(
    generation: &Generation,
    from: Position,
    found: Option<(i64, i32, String)>,
    fence: Option<&Fence>,
) -> ApplyError {
    match found {
        Some((tx, index, status)) if status != "retired" => {
            let found = Position::new(tx, index);
            match fence {
                Some(fence) if found == from => ApplyError::LeaseLost {
                    key: fence.key.clone(),
                },
                _ => ApplyError::PositionMoved {
                    expected: from,
                    found,
                },
            }
        }
        _ => ApplyError::Store(ReadModelError::NotLive {
            projection: generation.projection.clone(),
            generation: generation.number,
        }),
    }
}

/// A query builder for `pool`'s database (pins the type for [`write`]).
pub(super) fn builder<'a, DB: Database>(_pool: &Pool<DB>) -> QueryBuilder<'a, DB> {
    QueryBuilder::new("")
}

/// The message an event's failing statement is reported with: the table,
/// the database's message and, when PostgreSQL gives one, its detail.
fn statement_message(plan: &Plan<'_>, error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let detail = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail())
                .map(|d| format!(" ({d})"));
            format!(
                "{}: {}{}",
                plan.table,
                db.message(),
                detail.unwrap_or_default()
            )
        }
        other => format!("{}: {other}", plan.table),
    }
}

/// The batch with bound parameters on one transaction of `$pool`: the
/// compare-and-set first, then each item's statements; the first statement
/// the database refuses names its item.
macro_rules! apply_bound {
    ($pool:expr, $fence:expr, $generation:expr, $from:expr, $to:expr, $count:expr, $plans:expr) => {{
        let mut tx = $pool.begin().await?;
        compare_and_set!(tx, $generation, $from, $to, $count, $fence);
        for (item, plans) in $plans.iter().enumerate() {
            for plan in plans {
                let mut qb = builder($pool);
                write(&mut qb, plan);
                if let Err(error) = qb.build().execute(&mut *tx).await {
                    if !is_statement_error(&error) {
                        return Err(error.into());
                    }
                    let message = statement_message(plan, &error);
                    tx.rollback().await?;
                    return Err(ApplyError::Statement {
                        item,
                        error: message,
                    });
                }
            }
        }
        tx.commit().await?;
        Ok($to)
    }};
}

/// How long applying one batch may take before it is logged as slow (the
/// database drivers' own slow-statement log is off: it would print the
/// statements, and with them the personal data they write).
const SLOW_BATCH: std::time::Duration = std::time::Duration::from_secs(1);

impl ReadStore {
    /// Applies `batch` after `from`: executes every item's statements in
    /// order against `generation`'s tables and moves its position from
    /// `from` to the last item's, in one transaction; nothing is applied on
    /// any error. An empty batch returns `from`. Unfenced: for a single node
    /// (SQLite) or a generation nobody else applies; spoolers on a shared
    /// database use [`ReadStore::apply_fenced`].
    ///
    /// # Errors
    /// [`ApplyError::PositionMoved`] when the generation is no longer at
    /// `from` (stop and reload), [`ApplyError::Statement`] naming the first
    /// item whose statements fail, [`ApplyError::Store`] otherwise
    /// ([`ReadModelError::NotLive`] for a retired generation).
    pub async fn apply(
        &self,
        generation: &Generation,
        from: Position,
        batch: &[Applied],
    ) -> Result<Position, ApplyError> {
        self.apply_fenced(None, generation, from, batch).await
    }

    /// [`ReadStore::apply`], moving the position only while `fence`'s lease
    /// is valid.
    ///
    /// # Errors
    /// As [`ReadStore::apply`], and [`ApplyError::LeaseLost`] when the lease
    /// expired or was taken over.
    pub async fn apply_fenced(
        &self,
        fence: Option<&Fence>,
        generation: &Generation,
        from: Position,
        batch: &[Applied],
    ) -> Result<Position, ApplyError> {
        let Some(last) = batch.last() else {
            return Ok(from);
        };
        let plans = plan_batch(generation, batch)
            .map_err(|(item, error)| ApplyError::Statement { item, error })?;
        let started = std::time::Instant::now();
        let applied = match &self.backend {
            Backend::Sqlite { writer, .. } => {
                apply_sqlite(
                    writer,
                    fence,
                    generation,
                    from,
                    last.position,
                    batch.len(),
                    &plans,
                )
                .await
            }
            Backend::Postgres(pool) => {
                apply_postgres(
                    pool,
                    fence,
                    generation,
                    from,
                    last.position,
                    batch.len(),
                    &plans,
                )
                .await
            }
        };
        let took = started.elapsed();
        if took >= SLOW_BATCH {
            // Counts and times only: the statements carry personal data.
            tracing::warn!(
                projection = %generation.projection,
                generation = generation.number,
                events = batch.len(),
                statements = plans.iter().map(Vec::len).sum::<usize>(),
                took_ms = took.as_millis() as u64,
                "a projection batch took {} ms to apply",
                took.as_millis()
            );
        }
        applied
    }
}

async fn apply_sqlite(
    pool: &SqlitePool,
    fence: Option<&Fence>,
    generation: &Generation,
    from: Position,
    to: Position,
    count: usize,
    plans: &[Vec<Plan<'_>>],
) -> Result<Position, ApplyError> {
    apply_bound!(pool, fence, generation, from, to, count, plans)
}

/// The fast path, then (on a statement error) the bound path.
async fn apply_postgres(
    pool: &PgPool,
    fence: Option<&Fence>,
    generation: &Generation,
    from: Position,
    to: Position,
    count: usize,
    plans: &[Vec<Plan<'_>>],
) -> Result<Position, ApplyError> {
    let Some(script) = literal::batch(fence, generation, from, to, count, plans) else {
        return apply_bound!(pool, fence, generation, from, to, count, plans);
    };
    let mut tx = pool.begin().await?;
    match (&mut *tx).fetch_all(sqlx::raw_sql(&script)).await {
        Ok(rows) => {
            let moved: i64 = match rows.first() {
                Some(row) => row.try_get(0)?,
                None => 0,
            };
            if moved == 1 {
                tx.commit().await?;
                return Ok(to);
            }
            let found: Option<(i64, i32, String)> = sqlx::query_as(CURRENT)
                .bind(&generation.projection)
                .bind(generation.number)
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            Err(not_moved(generation, from, found, fence))
        }
        Err(error) if is_statement_error(&error) => {
            tx.rollback().await?;
            tracing::debug!(
                projection = %generation.projection, generation = generation.number, %error,
                "batch script failed: redoing it with bound parameters"
            );
            apply_bound!(pool, fence, generation, from, to, count, plans)
        }
        Err(error) => Err(error.into()),
    }
}
