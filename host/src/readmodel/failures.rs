//! Events a projection could not apply: each failed attempt counted, and the
//! event skipped (position moved past it, with a record of why) once the
//! spooler gives up, so one bad event cannot stall a read model forever and
//! operators can see what a read model is missing.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::ReadStore;
use super::apply::compare_and_set;
use super::error::{ApplyError, ReadModelError};
use super::generation::Generation;
use crate::eventstore::{Event, Position};

/// A recorded failure of one event in one generation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedEvent {
    /// The projection.
    pub projection: String,
    /// The generation the event failed in.
    pub generation: i64,
    /// The event's position.
    pub position: Position,
    /// The event's instance.
    pub instance_id: String,
    /// The event's aggregate type.
    pub aggregate_type: String,
    /// The event's aggregate id.
    pub aggregate_id: String,
    /// The event's sequence in its aggregate.
    pub sequence: u64,
    /// The event's type.
    pub event_type: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The latest error.
    pub error: String,
    /// Whether the spooler gave up and moved past the event.
    pub skipped: bool,
    /// When it first failed.
    pub first_failed_at: DateTime<Utc>,
    /// When it last failed.
    pub last_failed_at: DateTime<Utc>,
}

/// Inserts a first failure of an event (parameters: projection, generation,
/// position tx and index, instance, aggregate type and id, sequence, event
/// type, error, time); the conflict clause is the caller's.
const INSERT: &str = "INSERT INTO projection_failures (projection, generation, position_tx, \
     position_index, instance_id, aggregate_type, aggregate_id, sequence, event_type, attempts, \
     error, skipped, first_failed_at, last_failed_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $12) \
     ON CONFLICT (projection, generation, position_tx, position_index) DO UPDATE SET ";

/// Binds [`INSERT`]'s parameters.
macro_rules! bind_failure {
    ($query:expr, $generation:expr, $event:expr, $error:expr, $skipped:expr) => {
        $query
            .bind(&$generation.projection)
            .bind($generation.number)
            .bind($event.position.tx)
            .bind($event.position.index)
            .bind(&$event.aggregate.instance_id)
            .bind(&$event.aggregate.aggregate_type)
            .bind(&$event.aggregate.aggregate_id)
            .bind($event.sequence as i64)
            .bind(&$event.event_type)
            .bind($error)
            .bind($skipped)
            .bind(Utc::now())
    };
}

impl ReadStore {
    /// Counts one more failed attempt at `event` in `generation` (with its
    /// error and time) and returns the attempts so far.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_failure(
        &self,
        generation: &Generation,
        event: &Event,
        error: &str,
    ) -> Result<u32, ReadModelError> {
        let sql = format!(
            "{INSERT} attempts = projection_failures.attempts + 1, error = excluded.error, \
             last_failed_at = excluded.last_failed_at RETURNING attempts"
        );
        let attempts: i32 = on_pool!(self, writer, |pool, _dialect| {
            bind_failure!(sqlx::query_scalar(&sql), generation, event, error, false)
                .fetch_one(pool)
                .await?
        });
        Ok(attempts.max(0) as u32)
    }

    /// Gives up on `event`: in one transaction, marks its failure skipped
    /// (recording it if it was not, with at least one attempt and this
    /// error) and moves the position from `from` to the event's, under
    /// `fence` as [`ReadStore::apply_fenced`].
    ///
    /// # Errors
    /// As [`ReadStore::apply`]: [`ApplyError::PositionMoved`] when the
    /// generation is no longer at `from` (nothing recorded).
    pub async fn skip(
        &self,
        fence: Option<&super::Fence>,
        generation: &Generation,
        from: Position,
        event: &Event,
        error: &str,
    ) -> Result<(), ApplyError> {
        let sql = format!(
            "{INSERT} skipped = excluded.skipped, error = excluded.error, \
             last_failed_at = excluded.last_failed_at"
        );
        on_pool!(self, writer, |pool, _dialect| {
            let mut tx = pool.begin().await?;
            compare_and_set!(tx, generation, from, event.position, 0, fence);
            bind_failure!(sqlx::query(&sql), generation, event, error, true)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The recorded failures of `projection` (all its generations), newest
    /// first, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn failures(
        &self,
        projection: &str,
        limit: u32,
    ) -> Result<Vec<FailedEvent>, ReadModelError> {
        on_pool!(self, reader, |pool, _dialect| {
            let rows = sqlx::query(
                "SELECT projection, generation, position_tx, position_index, instance_id, \
                 aggregate_type, aggregate_id, sequence, event_type, attempts, error, skipped, \
                 first_failed_at, last_failed_at FROM projection_failures WHERE projection = $1 \
                 ORDER BY last_failed_at DESC, generation DESC, position_tx DESC, \
                 position_index DESC LIMIT $2",
            )
            .bind(projection)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
        })
    }
}

/// Decodes a row of `projection_failures`.
fn from_row<'r, R>(row: &'r R) -> Result<FailedEvent, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    let sequence: i64 = row.try_get("sequence")?;
    let attempts: i32 = row.try_get("attempts")?;
    Ok(FailedEvent {
        projection: row.try_get("projection")?,
        generation: row.try_get("generation")?,
        position: Position::new(row.try_get("position_tx")?, row.try_get("position_index")?),
        instance_id: row.try_get("instance_id")?,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: sequence as u64,
        event_type: row.try_get("event_type")?,
        attempts: attempts.max(0) as u32,
        error: row.try_get("error")?,
        skipped: row.try_get("skipped")?,
        first_failed_at: row.try_get("first_failed_at")?,
        last_failed_at: row.try_get("last_failed_at")?,
    })
}
