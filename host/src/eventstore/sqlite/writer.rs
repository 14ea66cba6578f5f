//! The single SQLite writer: group commit of concurrent pushes.
//!
//! Pushes queue on a channel; the writer takes everything queued (up to
//! `Database.Sqlite.GroupCommitMax`) into one transaction, so many pushes
//! share one fsync. Each push is checked before it writes anything, and a
//! push whose unique claim fails is rolled back to its savepoint, so one
//! push's rejection never affects the others in its group. Any unexpected
//! database error fails the whole group, which then is not acknowledged.

use std::sync::Arc;

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};
use tokio::sync::{mpsc, oneshot};

use super::read::latest_sequence;
use crate::eventstore::{Event, ExpectedSequence, Notifier, Position, Push, StoreError, UniqueOp};

/// A push waiting for the writer.
pub(super) struct Request {
    pub(super) push: Push,
    /// The events' payloads, serialized once by the limits check.
    pub(super) payloads: Vec<String>,
    pub(super) reply: oneshot::Sender<Result<Vec<Event>, StoreError>>,
}

/// Why one push of a group was not applied.
enum Rejected {
    /// The push alone is refused; the group goes on.
    Push(StoreError),
    /// The connection failed; the group is rolled back.
    Group(StoreError),
}

impl From<sqlx::Error> for Rejected {
    fn from(e: sqlx::Error) -> Self {
        Rejected::Group(e.into())
    }
}

/// Runs until every sender is dropped, then closes the connection.
pub(super) async fn run(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<Request>,
    mut next_tx: i64,
    group_max: usize,
    notifier: Arc<Notifier>,
) {
    let mut group = Vec::with_capacity(group_max);
    while queue.recv_many(&mut group, group_max).await > 0 {
        let results = commit_group(&mut conn, &group, &mut next_tx).await;
        let mut newest = None;
        for (req, result) in group.drain(..).zip(results) {
            if let Ok(events) = &result {
                newest = events.last().map(|e| e.position).max(newest);
            }
            let _ = req.reply.send(result);
        }
        if let Some(p) = newest {
            notifier.pushed(p);
        }
    }
    let _ = conn.close().await;
}

async fn commit_group(
    conn: &mut SqliteConnection,
    group: &[Request],
    next_tx: &mut i64,
) -> Vec<Result<Vec<Event>, StoreError>> {
    let first_tx = *next_tx;
    let outcome: Result<Vec<_>, StoreError> = async {
        conn.execute("BEGIN IMMEDIATE").await?;
        let mut results = Vec::with_capacity(group.len());
        for req in group {
            match apply(conn, req, *next_tx).await {
                Ok(events) => {
                    *next_tx += 1;
                    results.push(Ok(events));
                }
                Err(Rejected::Push(e)) => results.push(Err(e)),
                Err(Rejected::Group(e)) => return Err(e),
            }
        }
        conn.execute("COMMIT").await?;
        Ok(results)
    }
    .await;
    match outcome {
        Ok(results) => results,
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            *next_tx = first_tx;
            let message = e.to_string();
            tracing::error!(error = %message, pushes = group.len(), "sqlite group commit failed");
            group
                .iter()
                .map(|_| {
                    Err(StoreError::Unavailable(format!(
                        "the write failed and was rolled back: {message}"
                    )))
                })
                .collect()
        }
    }
}

/// Checks and writes one push inside the group's transaction.
async fn apply(
    conn: &mut SqliteConnection,
    req: &Request,
    tx: i64,
) -> Result<Vec<Event>, Rejected> {
    let push = &req.push;
    let mut base = Vec::with_capacity(push.aggregates.len());
    for a in &push.aggregates {
        let current = latest_sequence(conn, &a.aggregate)
            .await
            .map_err(Rejected::Group)?;
        if let ExpectedSequence::Exact(expected) = a.expected
            && expected != current
        {
            return Err(Rejected::Push(StoreError::Conflict {
                aggregate: a.aggregate.clone(),
                expected,
                actual: current.to_string(),
            }));
        }
        base.push(current);
    }
    if !push.unique.is_empty() {
        conn.execute("SAVEPOINT push").await?;
        if let Err(taken) = apply_unique(conn, &push.unique).await {
            conn.execute("ROLLBACK TO push").await?;
            conn.execute("RELEASE push").await?;
            return Err(taken);
        }
        conn.execute("RELEASE push").await?;
    }
    let created_at = Utc::now();
    let micros = created_at.timestamp_micros();
    let mut events = Vec::with_capacity(req.payloads.len());
    for (index, ((agg, e), payload)) in push.events().zip(&req.payloads).enumerate() {
        base[agg] += 1;
        let a = &push.aggregates[agg].aggregate;
        let position = Position::new(tx, index as i32);
        sqlx::query(
            "INSERT INTO events (tx_id, tx_index, instance_id, aggregate_type, aggregate_id, sequence, \
             event_type, revision, payload, creator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(position.tx)
        .bind(position.index)
        .bind(&a.instance_id)
        .bind(&a.aggregate_type)
        .bind(&a.aggregate_id)
        .bind(base[agg] as i64)
        .bind(&e.event_type)
        .bind(i64::from(e.revision))
        .bind(payload)
        .bind(&e.creator)
        .bind(micros)
        .execute(&mut *conn)
        .await?;
        events.push(Event {
            position,
            aggregate: a.clone(),
            sequence: base[agg],
            event_type: e.event_type.clone(),
            revision: e.revision,
            payload: e.payload.clone(),
            creator: e.creator.clone(),
            created_at: chrono::DateTime::from_timestamp_micros(micros).unwrap_or(created_at),
        });
    }
    Ok(events)
}

/// Applies the unique-value operations in order; a taken claim rejects the push.
async fn apply_unique(conn: &mut SqliteConnection, ops: &[UniqueOp]) -> Result<(), Rejected> {
    for op in ops {
        match op {
            UniqueOp::Claim {
                instance_id,
                kind,
                value,
                message,
            } => {
                let claimed = sqlx::query(
                    "INSERT INTO unique_constraints (instance_id, unique_type, unique_value) \
                     VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(instance_id)
                .bind(kind)
                .bind(value)
                .execute(&mut *conn)
                .await?;
                if claimed.rows_affected() == 0 {
                    return Err(Rejected::Push(StoreError::UniqueTaken {
                        kind: kind.clone(),
                        value: value.clone(),
                        message: message.clone(),
                    }));
                }
            }
            UniqueOp::Release {
                instance_id,
                kind,
                value,
            } => {
                sqlx::query(
                    "DELETE FROM unique_constraints \
                     WHERE instance_id = ? AND unique_type = ? AND unique_value = ?",
                )
                .bind(instance_id)
                .bind(kind)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            }
            UniqueOp::ReleaseInstance { instance_id } => {
                sqlx::query("DELETE FROM unique_constraints WHERE instance_id = ?")
                    .bind(instance_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}
