//! Read-model rows as JSON objects, the same on both backends: text →
//! string, integer and real → number (a NaN or infinite real → null), boolean
//! → bool (SQLite stores 0/1), timestamp → RFC 3339 string in UTC with six
//! fractional digits and `Z`, json → the JSON value, NULL → null.

use serde_json::{Number, Value as Json};
use sqlx::Row as _;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::value::format_timestamp;
use crate::plugins::types::{Column, ColumnType};

/// A read-model row: column name (as declared) → value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// Decodes a row whose columns are `columns`, in that order.
pub(super) trait DecodeRow {
    /// The row as JSON.
    fn decode(&self, columns: &[&Column]) -> Result<Row, sqlx::Error>;
}

impl DecodeRow for SqliteRow {
    fn decode(&self, columns: &[&Column]) -> Result<Row, sqlx::Error> {
        let mut row = Row::new();
        for (i, column) in columns.iter().enumerate() {
            let value = match column.kind {
                ColumnType::Text | ColumnType::Timestamp => {
                    self.try_get::<Option<String>, _>(i)?.map(Json::String)
                }
                ColumnType::Integer => self.try_get::<Option<i64>, _>(i)?.map(Json::from),
                ColumnType::Real => self.try_get::<Option<f64>, _>(i)?.map(real),
                ColumnType::Boolean => self
                    .try_get::<Option<i64>, _>(i)?
                    .map(|b| Json::Bool(b != 0)),
                ColumnType::Json => match self.try_get::<Option<String>, _>(i)? {
                    Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                        sqlx::Error::ColumnDecode {
                            index: column.name.clone(),
                            source: e.into(),
                        }
                    })?),
                    None => None,
                },
            };
            row.insert(column.name.clone(), value.unwrap_or(Json::Null));
        }
        Ok(row)
    }
}

impl DecodeRow for PgRow {
    fn decode(&self, columns: &[&Column]) -> Result<Row, sqlx::Error> {
        let mut row = Row::new();
        for (i, column) in columns.iter().enumerate() {
            let value = match column.kind {
                ColumnType::Text => self.try_get::<Option<String>, _>(i)?.map(Json::String),
                ColumnType::Integer => self.try_get::<Option<i64>, _>(i)?.map(Json::from),
                ColumnType::Real => self.try_get::<Option<f64>, _>(i)?.map(real),
                ColumnType::Boolean => self.try_get::<Option<bool>, _>(i)?.map(Json::Bool),
                ColumnType::Timestamp => self
                    .try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(i)?
                    .map(|at| Json::String(format_timestamp(&at))),
                ColumnType::Json => self.try_get::<Option<Json>, _>(i)?,
            };
            row.insert(column.name.clone(), value.unwrap_or(Json::Null));
        }
        Ok(row)
    }
}

/// A real as a JSON number; JSON has no NaN or infinity, so those are null.
fn real(r: f64) -> Json {
    Number::from_f64(r).map_or(Json::Null, Json::Number)
}
