//! Values on their way into SQL: a plugin's [`Value`] checked against the
//! declared type of its column, as a [`Cell`] both backends can bind (and
//! PostgreSQL's fast path can render as a literal).
//!
//! The check is the host's, not the database's, so both backends refuse the
//! same things: SQLite would store a text in an integer column, and
//! PostgreSQL's literal path would cast where its bound path refuses.

use chrono::{DateTime, Datelike, Utc};

use crate::plugins::types::{Column, ColumnType, Datetime, Value};

/// How SQLite stores timestamps: RFC 3339, UTC, always six fractional digits,
/// so that text order is time order.
pub(super) const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A value checked against its column's type, ready to bind or render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cell<'a> {
    /// SQL NULL; the column's type, so PostgreSQL gets a typed parameter.
    Null(ColumnType),
    /// A text column's value.
    Text(&'a str),
    /// An integer column's value.
    Integer(i64),
    /// A real column's value (an integer is accepted for a real column).
    Real(f64),
    /// A boolean column's value.
    Boolean(bool),
    /// A timestamp, truncated to microseconds (what both backends keep).
    Timestamp(DateTime<Utc>),
    /// A JSON column's value: checked to be valid JSON text.
    Json(&'a str),
}

/// Checks `value` against `column`'s declared type.
///
/// # Errors
/// A message naming the column when the value's type does not fit, a
/// timestamp is outside the years 1–9999 or a JSON text does not parse.
pub(super) fn cell<'a>(column: &Column, value: &'a Value) -> Result<Cell<'a>, String> {
    let cell = match (column.kind, value) {
        (kind, Value::Null) => Cell::Null(kind),
        (ColumnType::Text, Value::Text(s)) => Cell::Text(s),
        (ColumnType::Integer, Value::Integer(i)) => Cell::Integer(*i),
        (ColumnType::Real, Value::Real(r)) => Cell::Real(*r),
        (ColumnType::Real, Value::Integer(i)) => Cell::Real(*i as f64),
        (ColumnType::Boolean, Value::Boolean(b)) => Cell::Boolean(*b),
        (ColumnType::Timestamp, Value::Timestamp(t)) => {
            Cell::Timestamp(timestamp(t).map_err(|e| format!("column `{}`: {e}", column.name))?)
        }
        (ColumnType::Json, Value::Json(text)) => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| format!("column `{}`: invalid JSON: {e}", column.name))?;
            Cell::Json(text)
        }
        (kind, value) => {
            return Err(format!(
                "column `{}` is of type {}, not {}",
                column.name,
                type_name(kind),
                value_name(value)
            ));
        }
    };
    Ok(cell)
}

/// Converts a WIT timestamp, truncated to microseconds.
///
/// # Errors
/// When it is not a valid instant between the years 1 and 9999 (the range
/// whose SQLite text form sorts correctly).
pub(super) fn timestamp(t: &Datetime) -> Result<DateTime<Utc>, String> {
    let micros = t.nanoseconds / 1_000 * 1_000;
    DateTime::from_timestamp(t.seconds, micros)
        .filter(|at| (1..=9999).contains(&at.year()))
        .ok_or_else(|| {
            format!(
                "timestamp {}s {}ns is outside the years 1 to 9999",
                t.seconds, t.nanoseconds
            )
        })
}

/// The RFC 3339 text both backends return timestamps as.
pub(super) fn format_timestamp(at: &DateTime<Utc>) -> String {
    at.format(TIMESTAMP_FORMAT).to_string()
}

/// The WIT name of a column type, for messages.
pub(super) fn type_name(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Text => "text",
        ColumnType::Integer => "integer",
        ColumnType::Real => "real",
        ColumnType::Boolean => "boolean",
        ColumnType::Timestamp => "timestamp",
        ColumnType::Json => "json",
    }
}

/// The WIT name of a value's case, for messages.
fn value_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Text(_) => "text",
        Value::Integer(_) => "integer",
        Value::Real(_) => "real",
        Value::Boolean(_) => "boolean",
        Value::Timestamp(_) => "timestamp",
        Value::Json(_) => "json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: ColumnType) -> Column {
        Column {
            name: "c".into(),
            kind,
            nullable: true,
        }
    }

    #[test]
    fn values_must_fit_their_column_type() {
        let text = Value::Text("x".into());
        assert_eq!(cell(&column(ColumnType::Text), &text), Ok(Cell::Text("x")));
        let err = cell(&column(ColumnType::Integer), &text).unwrap_err();
        assert_eq!(err, "column `c` is of type integer, not text");
        assert_eq!(
            cell(&column(ColumnType::Real), &Value::Integer(2)),
            Ok(Cell::Real(2.0))
        );
        assert_eq!(
            cell(&column(ColumnType::Boolean), &Value::Null),
            Ok(Cell::Null(ColumnType::Boolean))
        );
        let bad_json = Value::Json("{nope".into());
        assert!(cell(&column(ColumnType::Json), &bad_json).is_err());
    }

    #[test]
    fn timestamps_keep_microseconds_and_stay_in_sortable_years() {
        let at = timestamp(&Datetime {
            seconds: 1_700_000_000,
            nanoseconds: 123_456_789,
        })
        .unwrap();
        assert_eq!(format_timestamp(&at), "2023-11-14T22:13:20.123456Z");
        let too_late = Datetime {
            seconds: 300_000_000_000,
            nanoseconds: 0,
        };
        assert!(timestamp(&too_late).is_err());
    }
}
