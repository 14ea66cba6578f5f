//! # Column values
//!
//! [`Value`] is what a projection writes to, or matches in, a read-model
//! column. `From` conversions make statements short:
//! `.set("age", 42)`, `.set("name", "Ada")`, `.set("nickname", None::<String>)`.

use crate::DateTime;

/// A value written to or matched in a read-model column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A `text` column.
    Text(String),
    /// An `integer` column.
    Integer(i64),
    /// A `real` column.
    Real(f64),
    /// A `boolean` column.
    Boolean(bool),
    /// A `timestamp` column.
    Timestamp(DateTime),
    /// A `json` column, as JSON text.
    Json(String),
}

impl Value {
    /// A `json` value holding `value`.
    pub fn json(value: &serde_json::Value) -> Self {
        Value::Json(value.to_string())
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Text(value.clone())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Self {
        Value::Integer(value.into())
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Integer(value.into())
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Boolean(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Real(value)
    }
}

impl From<DateTime> for Value {
    fn from(value: DateTime) -> Self {
        Value::Timestamp(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn given_rust_values_when_converted_then_each_finds_its_variant() {
        assert_eq!(Value::from("a"), Value::Text("a".into()));
        assert_eq!(Value::from(String::from("b")), Value::Text("b".into()));
        assert_eq!(Value::from(7_i64), Value::Integer(7));
        assert_eq!(Value::from(7_u32), Value::Integer(7));
        assert_eq!(Value::from(true), Value::Boolean(true));
        assert_eq!(Value::from(0.5), Value::Real(0.5));
        assert_eq!(
            Value::from(DateTime::UNIX_EPOCH),
            Value::Timestamp(DateTime::UNIX_EPOCH)
        );
    }

    #[test]
    fn given_options_when_converted_then_none_is_null() {
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(Value::from(Some("x")), Value::Text("x".into()));
    }

    #[test]
    fn given_a_json_value_when_converted_then_it_is_json_text() {
        assert_eq!(
            Value::json(&json!({ "a": 1 })),
            Value::Json(r#"{"a":1}"#.into())
        );
    }
}
