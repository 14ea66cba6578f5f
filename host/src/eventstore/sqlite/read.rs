//! Reading events back from SQLite.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

use crate::eventstore::sql::{event_from_row, select_events};
use crate::eventstore::{AggregateRef, Event, EventQuery, Position, StoreError};

/// Runs `q` on the reader pool.
pub(super) async fn query(pool: &SqlitePool, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
    let mut qb = select_events::<sqlx::Sqlite>(q);
    let rows = qb.build().fetch_all(pool).await?;
    rows.iter().map(decode).collect()
}

/// The aggregate's latest sequence (0 when it has no events).
pub(super) async fn latest_sequence(
    conn: &mut SqliteConnection,
    a: &AggregateRef,
) -> Result<u64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE((SELECT sequence FROM events \
         WHERE instance_id = ? AND aggregate_type = ? AND aggregate_id = ? \
         ORDER BY sequence DESC LIMIT 1), 0)",
    )
    .bind(&a.instance_id)
    .bind(&a.aggregate_type)
    .bind(&a.aggregate_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(seq as u64)
}

/// The highest push number in the store (0 when empty).
pub(super) async fn max_tx(pool: &SqlitePool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(tx_id), 0) FROM events")
            .fetch_one(pool)
            .await?,
    )
}

/// The position of the newest stored event; [`Position::ZERO`] for an
/// empty store.
pub(super) async fn newest_position(pool: &SqlitePool) -> Result<Position, StoreError> {
    let newest: Option<(i64, i64)> = sqlx::query_as(
        "SELECT tx_id, tx_index FROM events ORDER BY tx_id DESC, tx_index DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(newest.map_or(Position::ZERO, |(tx, index)| {
        Position::new(tx, i32::try_from(index).unwrap_or(i32::MAX))
    }))
}

fn decode(row: &SqliteRow) -> Result<Event, StoreError> {
    let payload: String = row.try_get("payload")?;
    let payload = serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let micros: i64 = row.try_get("created_at")?;
    let revision: i64 = row.try_get("revision")?;
    let created_at = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
    Ok(event_from_row(row, revision as u16, payload, created_at)?)
}
