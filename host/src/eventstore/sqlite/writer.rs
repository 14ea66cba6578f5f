//! The single SQLite writer: group commit of concurrent pushes.
//!
//! Pushes queue on a channel; the writer takes everything queued (up to
//! `Database.Sqlite.GroupCommitMax`) into one transaction, so many pushes
//! share one fsync. Each push is checked before it writes anything, and a
//! push whose unique claim fails is rolled back to its savepoint, so one
//! push's rejection never affects the others in its group. The events of the
//! whole group are inserted together after the checks, in few statements.
//! Any unexpected database error fails the whole group, which then is not
//! acknowledged.
//!
//! Being the only writer, the task also remembers the latest sequence of the
//! aggregates it wrote ([`Sequences`]), so a push to a recently written
//! aggregate needs no read before its insert.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};
use tokio::sync::{mpsc, oneshot};

use super::read::latest_sequence;
use crate::eventstore::gather::gather;
use crate::eventstore::{
    AggregateRef, Event, ExpectedSequence, Notifier, Position, Push, StoreError, UniqueOp,
};

/// Most aggregates whose sequence the writer remembers before it starts over.
const REMEMBERED_AGGREGATES: usize = 100_000;

/// Latest sequences of aggregates written by this writer. Exact because no
/// one else writes the file; forgotten whenever a group rolls back.
#[derive(Default)]
struct Sequences(HashMap<AggregateRef, u64>);

impl Sequences {
    async fn current(
        &self,
        conn: &mut SqliteConnection,
        a: &AggregateRef,
    ) -> Result<u64, StoreError> {
        match self.0.get(a) {
            Some(seq) => Ok(*seq),
            None => latest_sequence(conn, a).await,
        }
    }

    fn wrote(&mut self, a: &AggregateRef, seq: u64) {
        self.0.insert(a.clone(), seq);
    }

    /// Starts over when too many are remembered; only between groups, since
    /// within a group the memory holds sequences not yet inserted.
    fn forget_if_full(&mut self) {
        if self.0.len() >= REMEMBERED_AGGREGATES {
            self.0.clear();
        }
    }
}

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
    let mut sequences = Sequences::default();
    while queue.recv_many(&mut group, group_max).await > 0 {
        gather(&mut queue, &mut group, group_max, GATHER_YIELDS).await;
        let results = commit_group(&mut conn, &group, &mut next_tx, &mut sequences).await;
        // Announce before answering: a pusher that has its answer can count
        // on the notifier (and so on `committed_horizon`) covering it.
        let newest = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter_map(|events| events.last().map(|e| e.position))
            .max();
        if let Some(p) = newest {
            notifier.pushed(p);
        }
        for (req, result) in group.drain(..).zip(results) {
            let _ = req.reply.send(result);
        }
    }
    let _ = conn.close().await;
}

/// How often the writer yields to let just-woken pushers join a small group.
const GATHER_YIELDS: usize = 3;

async fn commit_group(
    conn: &mut SqliteConnection,
    group: &[Request],
    next_tx: &mut i64,
    sequences: &mut Sequences,
) -> Vec<Result<Vec<Event>, StoreError>> {
    let first_tx = *next_tx;
    sequences.forget_if_full();
    // A group without unique-value operations whose events fit one INSERT
    // needs no explicit transaction: that INSERT commits atomically by itself,
    // and the sequence reads before it are exact because this task is the
    // only writer. That saves two round trips to SQLite's thread per group.
    let events: usize = group.iter().map(|r| r.payloads.len()).sum();
    let explicit = events > ROWS_PER_INSERT || group.iter().any(|r| !r.push.unique.is_empty());
    let outcome: Result<Vec<_>, StoreError> = async {
        if explicit {
            conn.execute("BEGIN IMMEDIATE").await?;
        }
        let mut results = Vec::with_capacity(group.len());
        for req in group {
            match apply(conn, req, *next_tx, sequences).await {
                Ok(events) => {
                    *next_tx += 1;
                    results.push(Ok(events));
                }
                Err(Rejected::Push(e)) => results.push(Err(e)),
                Err(Rejected::Group(e)) => return Err(e),
            }
        }
        let rows: Vec<(&Event, &str)> = results
            .iter()
            .zip(group)
            .filter_map(|(result, req)| Some(result.as_ref().ok()?.iter().zip(&req.payloads)))
            .flatten()
            .map(|(e, payload)| (e, payload.as_str()))
            .collect();
        insert_events(conn, &rows).await?;
        if explicit {
            conn.execute("COMMIT").await?;
        }
        Ok(results)
    }
    .await;
    match outcome {
        Ok(results) => results,
        Err(e) => {
            if explicit {
                let _ = conn.execute("ROLLBACK").await;
            }
            *next_tx = first_tx;
            *sequences = Sequences::default();
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

/// Checks one push and applies its unique-value operations; returns its
/// events, to be inserted with the rest of the group.
async fn apply(
    conn: &mut SqliteConnection,
    req: &Request,
    tx: i64,
    sequences: &mut Sequences,
) -> Result<Vec<Event>, Rejected> {
    let push = &req.push;
    let mut base = Vec::with_capacity(push.aggregates.len());
    for a in &push.aggregates {
        let current = sequences
            .current(conn, &a.aggregate)
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
    // Stored with microsecond precision; return exactly what a read returns.
    let now = Utc::now();
    let created_at = chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let mut events = Vec::with_capacity(req.payloads.len());
    for (index, (agg, e)) in push.events().enumerate() {
        base[agg] += 1;
        events.push(Event {
            position: Position::new(tx, index as i32),
            aggregate: push.aggregates[agg].aggregate.clone(),
            sequence: base[agg],
            event_type: e.event_type.clone(),
            revision: e.revision,
            payload: e.payload.clone(),
            creator: e.creator.clone(),
            created_at,
        });
    }
    for (a, seq) in push.aggregates.iter().zip(base) {
        sequences.wrote(&a.aggregate, seq);
    }
    Ok(events)
}

/// Rows per multi-row `INSERT` (11 parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 64;

/// Inserts the group's events with as few statements as possible.
async fn insert_events(
    conn: &mut SqliteConnection,
    rows: &[(&Event, &str)],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO events (tx_id, tx_index, instance_id, aggregate_type, aggregate_id, sequence, \
             event_type, revision, payload, creator, created_at) ",
        );
        qb.push_values(chunk, |mut row, (e, payload)| {
            row.push_bind(e.position.tx)
                .push_bind(e.position.index)
                .push_bind(e.aggregate.instance_id.clone())
                .push_bind(e.aggregate.aggregate_type.clone())
                .push_bind(e.aggregate.aggregate_id.clone())
                .push_bind(e.sequence as i64)
                .push_bind(e.event_type.clone())
                .push_bind(i64::from(e.revision))
                .push_bind(payload.to_string())
                .push_bind(e.creator.clone())
                .push_bind(e.created_at.timestamp_micros());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
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
