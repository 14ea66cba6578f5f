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

/// Moves the position from `from` to `to` (adding `count` to the events
/// applied) unless the generation moved on or retired.
pub(super) const CAS: &str = "UPDATE projection_generations \
     SET position_tx = $1, position_index = $2, events_applied = events_applied + $3, \
     updated_at = $4 \
     WHERE projection = $5 AND generation = $6 AND position_tx = $7 AND position_index = $8 \
     AND status <> 'retired'";

/// Where the generation stands, to explain a failed compare-and-set.
pub(super) const CURRENT: &str = "SELECT position_tx, position_index, status \
     FROM projection_generations WHERE projection = $1 AND generation = $2";

/// Runs [`CAS`] on `$conn`; when it moves nothing, returns from the
/// enclosing function with [`ApplyError::PositionMoved`] or
/// [`ReadModelError::NotLive`].
macro_rules! compare_and_set {
    ($conn:expr, $generation:expr, $from:expr, $to:expr, $count:expr) => {{
        let moved = sqlx::query($crate::readmodel::apply::CAS)
            .bind($to.tx)
            .bind($to.index)
            .bind($count as i64)
            .bind(chrono::Utc::now())
            .bind(&$generation.projection)
            .bind($generation.number)
            .bind($from.tx)
            .bind($from.index)
            .execute(&mut *$conn)
            .await?;
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
            ));
        }
    }};
}
pub(super) use compare_and_set;

/// Why a compare-and-set moved nothing.
pub(super) fn not_moved(
    generation: &Generation,
    from: Position,
    found: Option<(i64, i32, String)>,
) -> ApplyError {
    match found {
        Some((tx, index, status)) if status != "retired" => ApplyError::PositionMoved {
            expected: from,
            found: Position::new(tx, index),
        },
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
    ($pool:expr, $generation:expr, $from:expr, $to:expr, $count:expr, $plans:expr) => {{
        let mut tx = $pool.begin().await?;
        compare_and_set!(tx, $generation, $from, $to, $count);
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

impl ReadStore {
    /// Applies `batch` after `from`: executes every item's statements in
    /// order against `generation`'s tables and moves its position from
    /// `from` to the last item's, in one transaction; nothing is applied on
    /// any error. An empty batch returns `from`.
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
        let Some(last) = batch.last() else {
            return Ok(from);
        };
        let plans = plan_batch(generation, batch)
            .map_err(|(item, error)| ApplyError::Statement { item, error })?;
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                apply_sqlite(writer, generation, from, last.position, batch.len(), &plans).await
            }
            Backend::Postgres(pool) => {
                apply_postgres(pool, generation, from, last.position, batch.len(), &plans).await
            }
        }
    }
}

async fn apply_sqlite(
    pool: &SqlitePool,
    generation: &Generation,
    from: Position,
    to: Position,
    count: usize,
    plans: &[Vec<Plan<'_>>],
) -> Result<Position, ApplyError> {
    apply_bound!(pool, generation, from, to, count, plans)
}

/// The fast path, then (on a statement error) the bound path.
async fn apply_postgres(
    pool: &PgPool,
    generation: &Generation,
    from: Position,
    to: Position,
    count: usize,
    plans: &[Vec<Plan<'_>>],
) -> Result<Position, ApplyError> {
    let Some(script) = literal::batch(generation, from, to, count, plans) else {
        return apply_bound!(pool, generation, from, to, count, plans);
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
            Err(not_moved(generation, from, found))
        }
        Err(error) if is_statement_error(&error) => {
            tx.rollback().await?;
            tracing::debug!(
                projection = %generation.projection, generation = generation.number, %error,
                "batch script failed: redoing it with bound parameters"
            );
            apply_bound!(pool, generation, from, to, count, plans)
        }
        Err(error) => Err(error.into()),
    }
}
