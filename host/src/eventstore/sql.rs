//! The SQL both backends share: the event query, built once over the dialect
//! differences (placeholders, time encoding, the settled-prefix condition).

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};

use super::event::{AggregateRef, Event, Position};
use super::query::{EventQuery, Order};

/// Columns of `events` in the order the backends decode them.
pub(super) const EVENT_COLUMNS: &str = "tx_id, tx_index, instance_id, aggregate_type, aggregate_id, \
     sequence, event_type, revision, payload, creator, created_at";

/// What differs between the backends' event queries. (`settled_only` is
/// not among them: a backend bounds such a query by its settled horizon
/// before it is built; on SQLite every committed event is settled.)
pub(super) trait Dialect: Database {
    /// Binds a timestamp the way the backend stores `created_at`.
    fn bind_time(qb: &mut QueryBuilder<'_, Self>, time: DateTime<Utc>);
}

/// Builds `SELECT … FROM events WHERE … ORDER BY … LIMIT …` for `q`.
pub(super) fn select_events<'a, DB>(q: &EventQuery) -> QueryBuilder<'a, DB>
where
    DB: Dialect,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
{
    select(EVENT_COLUMNS, q)
}

/// Builds `SELECT tx_id, tx_index FROM events WHERE … ORDER BY … LIMIT …`:
/// the positions of the events `q` selects, without reading the events.
pub(super) fn select_positions<'a, DB>(q: &EventQuery) -> QueryBuilder<'a, DB>
where
    DB: Dialect,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
{
    select("tx_id, tx_index", q)
}

/// Builds `SELECT count(*)` over the events `q` selects (its limit caps the
/// count, so counting a long backlog stays cheap).
pub(super) fn count_events<'a, DB>(q: &EventQuery) -> QueryBuilder<'a, DB>
where
    DB: Dialect,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM events WHERE TRUE");
    filters(&mut qb, q);
    if let Some(limit) = q.limit {
        qb.push(" LIMIT ").push_bind(i64::from(limit));
    }
    qb.push(") AS matched");
    qb
}

fn select<'a, DB>(columns: &str, q: &EventQuery) -> QueryBuilder<'a, DB>
where
    DB: Dialect,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
{
    let mut qb = QueryBuilder::new(format!("SELECT {columns} FROM events WHERE TRUE"));
    filters(&mut qb, q);
    qb.push(match (q.order, one_aggregate(q)) {
        (Order::Ascending, false) => " ORDER BY tx_id, tx_index",
        (Order::Descending, false) => " ORDER BY tx_id DESC, tx_index DESC",
        (Order::Ascending, true) => " ORDER BY sequence",
        (Order::Descending, true) => " ORDER BY sequence DESC",
    });
    if let Some(limit) = q.limit {
        qb.push(" LIMIT ").push_bind(i64::from(limit));
    }
    qb
}

/// Whether `q` reads exactly one aggregate. Its events are then ordered by
/// `sequence`, which within one aggregate is position order (every push reads
/// the aggregate's sequence before it takes its position;
/// `docs/eventstore.md`), so the aggregate's key `(instance_id,
/// aggregate_type, aggregate_id, sequence)` (the primary key on PostgreSQL,
/// the unique index `events_aggregate_sequence` on SQLite) serves both the
/// filter and the order: the newest
/// event of an aggregate (the read-your-writes check of every read by id) is
/// one index probe, however many newer events other aggregates have. Ordered
/// by position, SQLite walked the `(aggregate_type, tx_id, tx_index)` index
/// backwards from the newest event of the type instead.
fn one_aggregate(q: &EventQuery) -> bool {
    q.instance_ids.len() == 1 && q.aggregate_types.len() == 1 && q.aggregate_ids.len() == 1
}

/// The `AND …` conditions of `q`.
fn filters<'a, DB>(qb: &mut QueryBuilder<'a, DB>, q: &EventQuery)
where
    DB: Dialect,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    i32: Encode<'a, DB> + Type<DB>,
{
    any_of(qb, "instance_id", &q.instance_ids);
    any_of(qb, "aggregate_type", &q.aggregate_types);
    any_of(qb, "aggregate_id", &q.aggregate_ids);
    any_of(qb, "event_type", &q.event_types);
    any_of(qb, "creator", &q.creators);
    for (bound, op) in [(q.after, ">"), (q.before, "<")] {
        if let Some(p) = bound {
            qb.push(format!(" AND (tx_id, tx_index) {op} ("));
            qb.push_bind(p.tx).push(", ").push_bind(p.index).push(")");
        }
    }
    if let Some(sequence) = q.after_sequence {
        qb.push(" AND sequence > ").push_bind(sequence as i64);
    }
    for (bound, op) in [(q.created_from, ">="), (q.created_until, "<")] {
        if let Some(t) = bound {
            qb.push(format!(" AND created_at {op} "));
            DB::bind_time(qb, t);
        }
    }
}

/// Adds ` AND column IN (…)` when `values` is not empty.
fn any_of<'a, DB>(qb: &mut QueryBuilder<'a, DB>, column: &str, values: &[String])
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
{
    if values.is_empty() {
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut list = qb.separated(", ");
    for v in values {
        list.push_bind(v.clone());
    }
    list.push_unseparated(")");
}

/// Builds an event from a row of [`EVENT_COLUMNS`]; each backend decodes the
/// columns whose types differ (revision, payload, creation time) itself.
pub(super) fn event_from_row<'r, R>(
    row: &'r R,
    revision: u16,
    payload: serde_json::Value,
    created_at: DateTime<Utc>,
) -> Result<Event, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let sequence: i64 = row.try_get("sequence")?;
    Ok(Event {
        position: Position::new(row.try_get("tx_id")?, row.try_get("tx_index")?),
        aggregate: AggregateRef {
            instance_id: row.try_get("instance_id")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
        },
        sequence: sequence as u64,
        event_type: row.try_get("event_type")?,
        revision,
        payload,
        creator: row.try_get("creator")?,
        created_at,
    })
}
