//! Conversions every service shares: command results to `Details`, read
//! model rows to message fields, list requests to the query side's
//! parameters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

use crate::api::proto::rampart::api::v1::{Details, ListDetails, ListQuery};
use crate::command::Written;
use crate::query::{ListParams, ListResult};
use crate::readmodel::Row;

/// Where a command's events landed.
pub fn details(written: &Written) -> Option<Details> {
    Some(Details {
        sequence: written.sequence,
        position: written.position.to_string(),
        change_date: Some(timestamp(written.created_at)),
        instance_id: written.aggregate.instance_id.clone(),
    })
}

/// A protobuf timestamp.
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A protobuf timestamp as a chrono time; `None` when out of range.
pub fn from_timestamp(at: &Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)
}

/// The text in column `key` (camelCase) of `row`, or `""`.
pub fn text(row: &Row, key: &str) -> String {
    row.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The strings of the JSON array in column `key` of `row` (other items
/// left out), or none.
pub fn strings(row: &Row, key: &str) -> Vec<String> {
    row.get(key)
        .and_then(serde_json::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The flag in column `key` of `row`, or `false`.
pub fn flag(row: &Row, key: &str) -> bool {
    row.get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// The number in column `key` of `row`, or 0.
pub fn number(row: &Row, key: &str) -> u64 {
    row.get(key)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// The time in column `key` of `row` (RFC 3339 text), if set.
pub fn time(row: &Row, key: &str) -> Option<Timestamp> {
    row.get(key)
        .and_then(serde_json::Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| timestamp(t.with_timezone(&Utc)))
}

/// The query side's list parameters: paging and sorting from `query`, then
/// the exact (`column`) or prefix (`columnPrefix`) filters that are set.
pub fn list_params(query: Option<&ListQuery>, filters: &[(&str, &str)]) -> ListParams {
    let mut params = BTreeMap::new();
    if let Some(query) = query {
        if query.limit > 0 {
            params.insert("limit".to_owned(), query.limit.to_string());
        }
        if query.offset > 0 {
            params.insert("offset".to_owned(), query.offset.to_string());
        }
        if !query.sort_by.is_empty() {
            params.insert("sortBy".to_owned(), query.sort_by.clone());
            let order = if query.descending { "desc" } else { "asc" };
            params.insert("order".to_owned(), order.to_owned());
        }
    }
    for (column, value) in filters {
        if !value.is_empty() {
            params.insert((*column).to_owned(), (*value).to_owned());
        }
    }
    ListParams::new(params)
}

/// What a list found.
pub fn list_details(result: &ListResult) -> Option<ListDetails> {
    Some(ListDetails {
        total: result.total,
        limit: result.limit,
        offset: result.offset,
    })
}

/// A page of an in-memory list (members, tokens), as `query` asks.
pub fn page<T>(items: Vec<T>, query: Option<&ListQuery>) -> (Vec<T>, Option<ListDetails>) {
    let total = items.len() as u64;
    let limit = query.map_or(0, |q| q.limit);
    let limit = if limit == 0 { 100 } else { limit };
    let offset = query.map_or(0, |q| q.offset);
    let page = items
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    (
        page,
        Some(ListDetails {
            total,
            limit,
            offset,
        }),
    )
}

/// A JSON object as a `google.protobuf.Struct` (anything else is wrapped
/// as `{"value": …}`).
pub fn structure(value: serde_json::Value) -> prost_types::Struct {
    match value {
        serde_json::Value::Object(map) => prost_types::Struct {
            fields: map.into_iter().map(|(k, v)| (k, proto_value(v))).collect(),
        },
        other => prost_types::Struct {
            fields: [("value".to_owned(), proto_value(other))].into(),
        },
    }
}

/// A JSON value as a `google.protobuf.Value`.
pub fn proto_value(value: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(proto_value).collect(),
        }),
        serde_json::Value::Object(_) => Kind::StructValue(structure(value)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A `google.protobuf.Struct` as a JSON object.
pub fn json_object(structure: prost_types::Struct) -> serde_json::Value {
    serde_json::Value::Object(
        structure
            .fields
            .into_iter()
            .map(|(k, v)| (k, json_value(v)))
            .collect(),
    )
}

/// A `google.protobuf.Value` as JSON (whole numbers stay integers).
pub fn json_value(value: prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match value.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(b),
        Some(Kind::NumberValue(n)) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                serde_json::Value::from(n as i64)
            } else {
                serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into)
            }
        }
        Some(Kind::StringValue(s)) => serde_json::Value::String(s),
        Some(Kind::ListValue(list)) => {
            serde_json::Value::Array(list.values.into_iter().map(json_value).collect())
        }
        Some(Kind::StructValue(s)) => json_object(s),
    }
}
