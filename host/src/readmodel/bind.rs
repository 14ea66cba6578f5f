//! Values as bound parameters: the [`Sink`] of each backend's query builder.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Sqlite};

use super::plan::Sink;
use super::value::{Cell, format_timestamp};
use crate::plugins::types::ColumnType;

/// SQLite: booleans as 0/1, timestamps and JSON as text, NULL untyped.
impl<'a> Sink<'a> for QueryBuilder<'a, Sqlite> {
    fn emit(&mut self, text: &str) {
        self.push(text);
    }

    fn emit_value(&mut self, cell: Cell<'a>) {
        match cell {
            Cell::Null(_) => self.push_bind(None::<i64>),
            Cell::Text(s) | Cell::Json(s) => self.push_bind(s),
            Cell::Integer(i) => self.push_bind(i),
            Cell::Real(r) => self.push_bind(r),
            Cell::Boolean(b) => self.push_bind(i64::from(b)),
            Cell::Timestamp(at) => self.push_bind(format_timestamp(&at)),
        };
    }
}

/// PostgreSQL: every parameter typed as its column (a NULL too, or the
/// server could not infer it in `$1 IS NULL`-free positions); JSON is sent as
/// text and cast, so the server validates it.
impl<'a> Sink<'a> for QueryBuilder<'a, Postgres> {
    fn emit(&mut self, text: &str) {
        self.push(text);
    }

    fn emit_value(&mut self, cell: Cell<'a>) {
        match cell {
            Cell::Null(ColumnType::Text) => self.push_bind(None::<&str>),
            Cell::Null(ColumnType::Json) => self.push_bind(None::<&str>).push("::jsonb"),
            Cell::Null(ColumnType::Integer) => self.push_bind(None::<i64>),
            Cell::Null(ColumnType::Real) => self.push_bind(None::<f64>),
            Cell::Null(ColumnType::Boolean) => self.push_bind(None::<bool>),
            Cell::Null(ColumnType::Timestamp) => self.push_bind(None::<DateTime<Utc>>),
            Cell::Text(s) => self.push_bind(s),
            Cell::Json(s) => self.push_bind(s).push("::jsonb"),
            Cell::Integer(i) => self.push_bind(i),
            Cell::Real(r) => self.push_bind(r),
            Cell::Boolean(b) => self.push_bind(b),
            Cell::Timestamp(at) => self.push_bind(at),
        };
    }
}
