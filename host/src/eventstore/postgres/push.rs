//! One push = one statement, one round trip, one transaction.
//!
//! The common pushes (one aggregate, no unique values; one event or several)
//! are a single `INSERT … SELECT` that checks the expected sequence in the
//! same statement;
//! everything else calls the `rampart_push` function (see
//! `migrations/postgres/`), which can abort on a taken unique value. Both
//! read the aggregates' sequences before their first write, so within an
//! aggregate position order is sequence order (`docs/eventstore.md`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgDatabaseError, PgPool, PgRow};

use crate::eventstore::{Event, ExpectedSequence, Position, Push, StoreError, UniqueOp};

/// Retries of a push whose aggregates all expect [`ExpectedSequence::Any`]
/// when a concurrent push took the same sequence number.
const ANY_RETRIES: usize = 8;

/// Retries of a push PostgreSQL rolled back and asks to retry: a deadlock
/// (`40P01`, two pushes claiming the same unique values in another order) or
/// a serialization failure (`40001`). Nothing of it was written.
const ROLLBACK_RETRIES: u32 = 5;

/// The first wait before retrying a rolled-back push; doubled each time,
/// with jitter, so the pushes that collided do not collide again.
const ROLLBACK_BACKOFF: Duration = Duration::from_millis(5);

/// The position (first part) of the events a statement inserts: the
/// transaction id plus the position base (migration 0007), which every
/// connection of the pool holds as `rampart.position_base` (`rebase.rs`);
/// a connection without it reads the base from its table.
macro_rules! position {
    () => {
        "pg_current_xact_id()::text::bigint + coalesce(\
           nullif(current_setting('rampart.position_base', true), '')::bigint, \
           (SELECT b.base FROM event_position_base AS b))"
    };
}

/// The general push: any number of aggregates and unique-value operations.
const CALL: &str = "SELECT r_tx_id, r_tx_index, r_sequence, r_created_at FROM rampart_push_from(\
     0, $1, $2, $3, $4, $5, $6, $7, $8::text[]::jsonb[], $9, $10, $11, $12, $13)";

/// One aggregate, several events, expecting a new aggregate ($4 = 0) or any
/// sequence ($4 = -1).
const ONE_AGGREGATE: &str = concat!(
    "WITH cur AS (SELECT CASE WHEN $4 = 0 THEN 0 ELSE COALESCE((\
       SELECT sequence FROM events WHERE instance_id = $1 AND aggregate_type = $2 AND aggregate_id = $3 \
        ORDER BY sequence DESC LIMIT 1), 0) END AS s) \
     INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, tx_index, \
                         event_type, revision, payload, creator, created_at) \
     SELECT $1, $2, $3, cur.s + x.n, ",
    position!(),
    ", (x.n - 1)::int, \
            x.t, x.r, x.p::jsonb, x.c, now() \
       FROM cur, unnest($5::text[], $6::smallint[], $7::text[], $8::text[]) WITH ORDINALITY AS x(t, r, p, c, n) \
      WHERE $4 < 0 OR cur.s = $4 \
     RETURNING tx_id, tx_index, sequence, created_at"
);

/// One aggregate, one event, expecting a new aggregate or any sequence.
const ONE_EVENT: &str = concat!(
    "WITH cur AS (SELECT CASE WHEN $4 = 0 THEN 0 ELSE COALESCE((\
       SELECT sequence FROM events WHERE instance_id = $1 AND aggregate_type = $2 AND aggregate_id = $3 \
        ORDER BY sequence DESC LIMIT 1), 0) END AS s) \
     INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, tx_index, \
                         event_type, revision, payload, creator, created_at) \
     SELECT $1, $2, $3, cur.s + 1, ",
    position!(),
    ", 0, $5, $6, $7::jsonb, $8, now() \
       FROM cur WHERE $4 < 0 OR cur.s = $4 \
     RETURNING tx_id, tx_index, sequence, created_at"
);

/// One event appended after an exact sequence $4 > 0: an equality probe that
/// the expected event exists (no gap); the primary key rejects a stale one.
const APPEND_EVENT: &str = concat!(
    "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, \
                         tx_index, event_type, revision, payload, creator, created_at) \
     SELECT $1, $2, $3, $4 + 1, ",
    position!(),
    ", 0, $5, $6, $7::jsonb, $8, now() \
      WHERE EXISTS (SELECT 1 FROM events WHERE instance_id = $1 AND aggregate_type = $2 \
                       AND aggregate_id = $3 AND sequence = $4) \
     RETURNING tx_id, tx_index, sequence, created_at"
);

/// Several events appended after an exact sequence $4 > 0, as [`APPEND_EVENT`].
const APPEND_EVENTS: &str = concat!(
    "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, \
                         tx_index, event_type, revision, payload, creator, created_at) \
     SELECT $1, $2, $3, $4 + x.n, ",
    position!(),
    ", (x.n - 1)::int, \
            x.t, x.r, x.p::jsonb, x.c, now() \
       FROM unnest($5::text[], $6::smallint[], $7::text[], $8::text[]) WITH ORDINALITY AS x(t, r, p, c, n) \
      WHERE EXISTS (SELECT 1 FROM events WHERE instance_id = $1 AND aggregate_type = $2 \
                       AND aggregate_id = $3 AND sequence = $4) \
     RETURNING tx_id, tx_index, sequence, created_at"
);

/// Appends `push` (payloads already serialized) alone, in a transaction of
/// its own, and returns the stored events.
pub(super) async fn push(
    pool: &PgPool,
    push: Push,
    payloads: Vec<String>,
) -> Result<Vec<Event>, StoreError> {
    let any_only = push
        .aggregates
        .iter()
        .all(|a| a.expected == ExpectedSequence::Any);
    let rows = {
        let mut attempt = 0;
        let mut rollbacks = 0;
        loop {
            match call(pool, &push, &payloads).await {
                // No row from a push with aggregates: its expected sequence
                // did not hold. A push of unique values alone returns none.
                Ok(rows) if rows.is_empty() && !push.aggregates.is_empty() => {
                    return Err(stale(pool, &push).await);
                }
                Ok(rows) => break rows,
                Err(e) if asks_to_retry(code(&e)) => {
                    if rollbacks == ROLLBACK_RETRIES {
                        return Err(StoreError::Unavailable(format!(
                            "the push was rolled back {} times in a row: {e}",
                            rollbacks + 1
                        )));
                    }
                    tokio::time::sleep(backoff(rollbacks)).await;
                    rollbacks += 1;
                }
                Err(e) => match map_error(e, &push) {
                    StoreError::Conflict { .. } if any_only && attempt < ANY_RETRIES => {
                        attempt += 1
                    }
                    // A key violation does not say where the aggregate is now.
                    StoreError::Conflict { .. } if push.aggregates.len() == 1 => {
                        return Err(stale(pool, &push).await);
                    }
                    other => return Err(other),
                },
            }
        }
    };
    let stored = rows.iter().map(stored).collect::<Result<Vec<_>, _>>()?;
    events(push, stored)
}

/// The SQLSTATE of a database error.
fn code(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<PgDatabaseError>()
            .map(PgDatabaseError::code),
        _ => None,
    }
}

/// Whether PostgreSQL rolled the push back and asks for it to be retried
/// (SQLSTATE `40001` serialization failure, `40P01` deadlock).
pub(super) fn asks_to_retry(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01"))
}

/// The wait before retry `n` (from 0): [`ROLLBACK_BACKOFF`] doubled `n`
/// times, plus up to as much again at random.
fn backoff(n: u32) -> Duration {
    let base = ROLLBACK_BACKOFF * 2u32.pow(n);
    base + base.mul_f64(rand::random::<f64>())
}

/// Pushes flattened into `rampart_push`'s parallel arrays (several pushes
/// laid end to end for `rampart_push_batch`).
#[derive(Default)]
pub(super) struct Args<'a> {
    agg_instance: Vec<&'a str>,
    agg_type: Vec<&'a str>,
    agg_id: Vec<&'a str>,
    agg_expected: Vec<i64>,
    ev_agg: Vec<i32>,
    ev_type: Vec<&'a str>,
    ev_revision: Vec<i16>,
    ev_payload: Vec<&'a str>,
    ev_creator: Vec<&'a str>,
    uc_op: Vec<i16>,
    uc_instance: Vec<&'a str>,
    uc_type: Vec<&'a str>,
    uc_value: Vec<&'a str>,
}

impl<'a> Args<'a> {
    /// The arrays of one push.
    fn new(push: &'a Push, payloads: &'a [String]) -> Self {
        let mut a = Args::default();
        a.append(push, payloads);
        a
    }

    /// Appends `push`; its events name their aggregate by its index within
    /// the push, from 1.
    pub(super) fn append(&mut self, push: &'a Push, payloads: &'a [String]) {
        for p in &push.aggregates {
            self.agg_instance.push(&p.aggregate.instance_id);
            self.agg_type.push(&p.aggregate.aggregate_type);
            self.agg_id.push(&p.aggregate.aggregate_id);
            self.agg_expected.push(expected_param(p.expected));
        }
        for (agg, e) in push.events() {
            self.ev_agg.push(agg as i32 + 1);
            self.ev_type.push(&e.event_type);
            self.ev_revision.push(e.revision as i16);
            self.ev_creator.push(&e.creator);
        }
        self.ev_payload.extend(payloads.iter().map(String::as_str));
        for op in &push.unique {
            let (code, instance, kind, value) = match op {
                UniqueOp::Claim {
                    instance_id,
                    kind,
                    value,
                    ..
                } => (1, instance_id, kind.as_str(), value.as_str()),
                UniqueOp::Release {
                    instance_id,
                    kind,
                    value,
                } => (2, instance_id, kind.as_str(), value.as_str()),
                UniqueOp::ReleaseInstance { instance_id } => (3, instance_id, "", ""),
            };
            self.uc_op.push(code);
            self.uc_instance.push(instance);
            self.uc_type.push(kind);
            self.uc_value.push(value);
        }
    }

    /// Binds the arrays, in `rampart_push`'s parameter order, to `query`.
    pub(super) fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(&self.agg_instance)
            .bind(&self.agg_type)
            .bind(&self.agg_id)
            .bind(&self.agg_expected)
            .bind(&self.ev_agg)
            .bind(&self.ev_type)
            .bind(&self.ev_revision)
            .bind(&self.ev_payload)
            .bind(&self.ev_creator)
            .bind(&self.uc_op)
            .bind(&self.uc_instance)
            .bind(&self.uc_type)
            .bind(&self.uc_value)
    }
}

// How the expected sequence is checked, cheapest first:
// - 0 (a new aggregate): no read; if the aggregate exists, its sequence 1
//   does too and the primary key reports the conflict;
// - n > 0: an equality probe that event n exists (so no gap can open); the
//   primary key rejects n + 1 when a later event exists;
// - any: the latest sequence, read with `ORDER BY sequence DESC LIMIT 1`
//   (`MAX(sequence)` gets planned as a scan of the whole aggregate).

/// Whether `push` is one of the shapes a single plain statement stores (one
/// aggregate, no unique values): cheaper alone than in a shared transaction.
pub(super) fn is_lean(push: &Push) -> bool {
    push.aggregates.len() == 1 && push.unique.is_empty()
}

/// Runs the cheapest statement that can express the push.
async fn call(pool: &PgPool, push: &Push, payloads: &[String]) -> Result<Vec<PgRow>, sqlx::Error> {
    let ([only], []) = (push.aggregates.as_slice(), push.unique.as_slice()) else {
        return call_function(pool, &Args::new(push, payloads)).await;
    };
    let r = &only.aggregate;
    let expected = expected_param(only.expected);
    if let [e] = only.events.as_slice() {
        let statement = if expected > 0 {
            APPEND_EVENT
        } else {
            ONE_EVENT
        };
        return sqlx::query(statement)
            .bind(&r.instance_id)
            .bind(&r.aggregate_type)
            .bind(&r.aggregate_id)
            .bind(expected)
            .bind(&e.event_type)
            .bind(e.revision as i16)
            .bind(&payloads[0])
            .bind(&e.creator)
            .fetch_all(pool)
            .await;
    }
    let types: Vec<&str> = only.events.iter().map(|e| e.event_type.as_str()).collect();
    let revisions: Vec<i16> = only.events.iter().map(|e| e.revision as i16).collect();
    let creators: Vec<&str> = only.events.iter().map(|e| e.creator.as_str()).collect();
    let statement = if expected > 0 {
        APPEND_EVENTS
    } else {
        ONE_AGGREGATE
    };
    sqlx::query(statement)
        .bind(&r.instance_id)
        .bind(&r.aggregate_type)
        .bind(&r.aggregate_id)
        .bind(expected)
        .bind(&types)
        .bind(&revisions)
        .bind(payloads)
        .bind(&creators)
        .fetch_all(pool)
        .await
}

/// The expected sequence as the statements take it: -1 for any.
fn expected_param(expected: ExpectedSequence) -> i64 {
    match expected {
        ExpectedSequence::Any => -1,
        ExpectedSequence::Exact(n) => n as i64,
    }
}

/// Calls `rampart_push` for pushes of several aggregates or unique values.
async fn call_function(pool: &PgPool, a: &Args<'_>) -> Result<Vec<PgRow>, sqlx::Error> {
    a.bind(sqlx::query(CALL)).fetch_all(pool).await
}

/// Where one stored event landed: transaction (position), index in the
/// transaction, sequence, time.
pub(super) type Stored = (i64, i32, i64, DateTime<Utc>);

/// A returned row's [`Stored`], from its first four columns.
fn stored(row: &PgRow) -> Result<Stored, sqlx::Error> {
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    ))
}

/// Joins the returned positions and sequences with the pushed events.
pub(super) fn events(push: Push, mut stored: Vec<Stored>) -> Result<Vec<Event>, StoreError> {
    stored.sort_by_key(|s| s.1);
    let pushed = push.aggregates.into_iter().flat_map(|a| {
        let aggregate = a.aggregate;
        a.events.into_iter().map(move |e| (aggregate.clone(), e))
    });
    Ok(pushed
        .zip(stored)
        .map(
            |((aggregate, e), (tx, index, sequence, created_at))| Event {
                position: Position::new(tx, index),
                aggregate,
                sequence: sequence as u64,
                event_type: e.event_type,
                revision: e.revision,
                payload: e.payload,
                creator: e.creator,
                created_at,
            },
        )
        .collect())
}

/// Turns the function's raised errors and key violations into typed errors.
fn map_error(e: sqlx::Error, push: &Push) -> StoreError {
    let sqlx::Error::Database(db) = &e else {
        return e.into();
    };
    let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() else {
        return e.into();
    };
    refusal(
        pg.code(),
        pg.constraint(),
        pg.detail().unwrap_or_default(),
        push,
    )
    .unwrap_or_else(|| e.into())
}

/// The push's typed error for SQLSTATE `code` (with the error's constraint
/// and detail): a sequence conflict or a taken unique value; `None` for
/// any other error.
pub(super) fn refusal(
    code: &str,
    constraint: Option<&str>,
    detail: &str,
    push: &Push,
) -> Option<StoreError> {
    match code {
        "RP001" => {
            let (index, actual) = detail.split_once(':').unwrap_or(("1", "unknown"));
            let index = index.parse::<usize>().unwrap_or(1).saturating_sub(1);
            Some(conflict(push, index, actual.to_owned()))
        }
        "RP002" => {
            let index = detail.parse::<usize>().unwrap_or(1).saturating_sub(1);
            match push.unique.get(index) {
                Some(UniqueOp::Claim {
                    kind,
                    value,
                    message,
                    ..
                }) => Some(StoreError::UniqueTaken {
                    kind: kind.clone(),
                    value: value.clone(),
                    message: message.clone(),
                }),
                _ => None,
            }
        }
        "23505" if constraint == Some("events_aggregate_sequence") => {
            // A concurrent push took the next sequence first; the detail names
            // the aggregate's key.
            let index = push
                .aggregates
                .iter()
                .position(|a| {
                    let r = &a.aggregate;
                    detail.contains(&format!(
                        "({}, {}, {},",
                        r.instance_id, r.aggregate_type, r.aggregate_id
                    ))
                })
                .unwrap_or(0);
            Some(conflict(
                push,
                index,
                "a newer sequence (a concurrent push won)".into(),
            ))
        }
        _ => None,
    }
}

/// The conflict of a single-aggregate push that inserted nothing, with the
/// sequence actually found.
pub(super) async fn stale(pool: &PgPool, push: &Push) -> StoreError {
    let actual = super::latest_sequence(pool, &push.aggregates[0].aggregate).await;
    conflict(
        push,
        0,
        actual.map_or_else(|_| "unknown".into(), |s| s.to_string()),
    )
}

fn conflict(push: &Push, index: usize, actual: String) -> StoreError {
    let a = &push.aggregates[index.min(push.aggregates.len().saturating_sub(1))];
    StoreError::Conflict {
        aggregate: a.aggregate.clone(),
        expected: match a.expected {
            ExpectedSequence::Exact(n) => n,
            ExpectedSequence::Any => 0,
        },
        actual,
    }
}
