//! One transaction of gathered pushes (group commit).
//!
//! Every push runs in a subtransaction of its own (`rampart_push_batch`,
//! migration 0008), so each gets exactly its own outcome in one round trip:
//! its events, a sequence conflict, a taken unique value. A push that failed
//! any other way (a deadlock with another transaction, an error of the
//! database) is retried alone. When the transaction as a whole fails before
//! its commit, nothing of it was stored and every push is retried alone.
//! When the answer to `COMMIT` is lost (the connection broke), the
//! transaction's fate is asked of the database (`pg_xact_status`) before
//! anyone is answered, so an acknowledged push is stored and a push
//! reported failed is not.

use std::time::{Duration, Instant};

use futures::future::join_all;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use super::push::{self, Args, Stored};
use crate::eventstore::{Event, ExpectedSequence, Push, StoreError};

/// The batch call; the arrays are [`Args`]'s, after the per-push counts.
const BATCH: &str = "SELECT r_push, r_xid, r_tx_id, r_tx_index, r_sequence, r_created_at, \
     r_error, r_constraint, r_detail FROM rampart_push_batch(\
     $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text[]::jsonb[], $12, $13, $14, $15, $16)";

/// How long a transaction whose commit answer was lost may stay "in
/// progress" (its server process still finishing) before the pushes are
/// reported as of unknown outcome.
const FATE_WAIT: Duration = Duration::from_secs(10);

/// A push waiting in a batch, its payloads serialized by the limits check.
pub(super) struct Pending {
    pub(super) push: Push,
    pub(super) payloads: Vec<String>,
}

/// What the batch statement said about one push.
enum Outcome {
    /// Its events, stored (if the transaction commits).
    Stored(Vec<Stored>),
    /// It was rolled back to its savepoint with this error.
    Failed {
        code: String,
        constraint: Option<String>,
        detail: String,
    },
}

/// Why a batch transaction as a whole did not commit.
enum Whole {
    /// It did not commit: nothing of it is stored.
    NotStored(sqlx::Error),
    /// The answer to `COMMIT` was lost; transaction `xid` may have committed.
    Lost {
        xid: i64,
        outcomes: Vec<Outcome>,
        error: sqlx::Error,
    },
}

/// Commits `pending` in one transaction; one result per push, in order.
pub(super) async fn commit(
    pool: &PgPool,
    pending: Vec<Pending>,
) -> Vec<Result<Vec<Event>, StoreError>> {
    match run(pool, &pending).await {
        Ok(outcomes) => finish(pool, pending, outcomes).await,
        Err(Whole::NotStored(error)) => {
            tracing::debug!(%error, pushes = pending.len(), "group commit failed; pushing alone");
            alone(pool, pending).await
        }
        Err(Whole::Lost {
            xid,
            outcomes,
            error,
        }) => match fate(pool, xid).await {
            Ok(true) => finish(pool, pending, outcomes).await,
            Ok(false) => alone(pool, pending).await,
            Err(unknown) => {
                tracing::error!(%error, xid, "the answer to a group commit was lost: {unknown}");
                pending
                    .iter()
                    .map(|_| {
                        Err(StoreError::Unavailable(format!(
                            "the connection broke while committing ({error}) and whether the \
                             push was stored could not be learned: {unknown}"
                        )))
                    })
                    .collect()
            }
        },
    }
}

/// Runs the batch statement and commits.
async fn run(pool: &PgPool, pending: &[Pending]) -> Result<Vec<Outcome>, Whole> {
    let mut args = Args::default();
    let (mut aggs, mut events, mut uniques) = (Vec::new(), Vec::new(), Vec::new());
    for p in pending {
        args.append(&p.push, &p.payloads);
        aggs.push(p.push.aggregates.len() as i32);
        events.push(p.payloads.len() as i32);
        uniques.push(p.push.unique.len() as i32);
    }
    let mut tx = pool.begin().await.map_err(Whole::NotStored)?;
    let query = sqlx::query(BATCH).bind(&aggs).bind(&events).bind(&uniques);
    // Dropping `tx` on an error rolls it back.
    let rows = args
        .bind(query)
        .fetch_all(&mut *tx)
        .await
        .map_err(Whole::NotStored)?;
    let (xid, outcomes) = outcomes(&rows, pending.len()).map_err(Whole::NotStored)?;
    match (tx.commit().await, xid) {
        (Ok(()), _) | (Err(_), None) => Ok(outcomes),
        (Err(error), Some(xid)) if lost(&error) => Err(Whole::Lost {
            xid,
            outcomes,
            error,
        }),
        (Err(error), Some(_)) => Err(Whole::NotStored(error)),
    }
}

/// Each push's outcome from the returned rows, and the transaction id when
/// anything was written.
fn outcomes(rows: &[PgRow], pushes: usize) -> Result<(Option<i64>, Vec<Outcome>), sqlx::Error> {
    let mut outcomes: Vec<Outcome> = (0..pushes).map(|_| Outcome::Stored(Vec::new())).collect();
    let mut xid = None;
    for row in rows {
        let index = row.try_get::<i32, _>(0)? as usize - 1;
        let Some(outcome) = outcomes.get_mut(index) else {
            return Err(sqlx::Error::Protocol(format!(
                "rampart_push_batch answered for push {} of {pushes}",
                index + 1
            )));
        };
        match row.try_get::<Option<String>, _>(6)? {
            Some(code) => {
                *outcome = Outcome::Failed {
                    code,
                    constraint: row.try_get(7)?,
                    detail: row.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
                }
            }
            None => {
                xid = Some(row.try_get(1)?);
                if let Outcome::Stored(stored) = outcome {
                    stored.push((
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                        row.try_get(5)?,
                    ));
                }
            }
        }
    }
    Ok((xid, outcomes))
}

/// Whether a failed `COMMIT` leaves its outcome unknown: the connection
/// broke or the server process was ended, rather than the server refusing
/// the commit (which rolls it back).
fn lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            crate::eventstore::error::is_unavailable(e)
                || db.code().is_some_and(|c| c.starts_with("57P"))
        }
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// Whether transaction `xid` committed (`false`: it was rolled back), asked
/// on another connection; waits while it is still in progress.
async fn fate(pool: &PgPool, xid: i64) -> Result<bool, String> {
    let started = Instant::now();
    loop {
        let status: Option<String> = sqlx::query_scalar("SELECT pg_xact_status($1::text::xid8)")
            .bind(xid.to_string())
            .fetch_one(pool)
            .await
            .map_err(|e| format!("asking for the transaction's status failed: {e}"))?;
        match status.as_deref() {
            Some("committed") => return Ok(true),
            Some("aborted") => return Ok(false),
            Some("in progress") if started.elapsed() < FATE_WAIT => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return Err(format!("the transaction's status is {other:?}")),
        }
    }
}

/// The results of a committed batch: each push's events, its typed refusal,
/// or (for any other failure, or a conflict of a push that expects any
/// sequence) the result of pushing it again alone.
async fn finish(
    pool: &PgPool,
    pending: Vec<Pending>,
    outcomes: Vec<Outcome>,
) -> Vec<Result<Vec<Event>, StoreError>> {
    join_all(
        pending
            .into_iter()
            .zip(outcomes)
            .map(|(p, outcome)| async move {
                let (code, constraint, detail) = match outcome {
                    Outcome::Stored(stored) => return push::events(p.push, stored),
                    Outcome::Failed {
                        code,
                        constraint,
                        detail,
                    } => (code, constraint, detail),
                };
                let any_only = p
                    .push
                    .aggregates
                    .iter()
                    .all(|a| a.expected == ExpectedSequence::Any);
                match push::refusal(&code, constraint.as_deref(), &detail, &p.push) {
                    Some(taken @ StoreError::UniqueTaken { .. }) => Err(taken),
                    Some(StoreError::Conflict { .. })
                        if !any_only && p.push.aggregates.len() == 1 =>
                    {
                        Err(push::stale(pool, &p.push).await)
                    }
                    Some(conflict @ StoreError::Conflict { .. }) if !any_only => Err(conflict),
                    _ => push::push(pool, p.push, p.payloads).await,
                }
            }),
    )
    .await
}

/// Every push again, alone and concurrently.
async fn alone(pool: &PgPool, pending: Vec<Pending>) -> Vec<Result<Vec<Event>, StoreError>> {
    join_all(
        pending
            .into_iter()
            .map(|p| push::push(pool, p.push, p.payloads)),
    )
    .await
}
