//! List parameters as the API takes them (camelCase column names, text
//! values) and their translation into a typed read-model query against the
//! columns the projection declared.

use std::collections::BTreeMap;

use chrono::DateTime;
use serde::Serialize;

use super::QueryError;
use crate::plugins::types::{ColumnType, Datetime, Table, Value};
use crate::readmodel::{Filter, FilterOp, ListQuery, Row, SortOrder};

/// Rows per page when the caller does not say.
const DEFAULT_LIMIT: u32 = 100;
/// Most rows per page.
const MAX_LIMIT: u32 = 1000;
/// Suffix of a filter parameter that matches a text prefix, case-insensitively.
const PREFIX_SUFFIX: &str = "Prefix";
/// Parameters that are not column filters.
const RESERVED: &[&str] = &["sortBy", "order", "limit", "offset"];

/// A list request: `column=value` filters (exact), `columnPrefix=value`
/// filters (text prefix, case-insensitive), `sortBy`, `order` (`asc` or
/// `desc`), `limit` (1–1000, default 100) and `offset`.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    /// The raw parameters.
    pub params: BTreeMap<String, String>,
}

/// A page of rows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResult {
    /// The rows, camelCase keys.
    pub result: Vec<Row>,
    /// Rows matching the filters, over all pages.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    /// Rows skipped before this page.
    pub offset: u64,
}

impl ListParams {
    /// Parameters from a query string's pairs.
    pub fn new(params: BTreeMap<String, String>) -> Self {
        Self { params }
    }

    /// One exact filter on a (snake_case) column.
    pub fn equal(column: &str, value: &str) -> Self {
        let mut params = BTreeMap::new();
        params.insert(camel(column), value.to_owned());
        params.insert("limit".into(), "1".into());
        Self { params }
    }

    /// The typed query against `table`'s declared columns.
    ///
    /// # Errors
    /// [`QueryError::InvalidArgument`] naming the parameter and what it may be.
    pub fn to_query(&self, table: &Table) -> Result<ListQuery, QueryError> {
        let columns: BTreeMap<String, ColumnType> = table
            .columns
            .iter()
            .filter(|c| c.name != "instance_id")
            .map(|c| (camel(&c.name), c.kind))
            .collect();
        let allowed = || columns.keys().cloned().collect::<Vec<_>>().join(", ");
        let mut query = ListQuery {
            filters: Vec::new(),
            sort: Vec::new(),
            limit: DEFAULT_LIMIT,
            offset: 0,
        };
        for (name, raw) in &self.params {
            if RESERVED.contains(&name.as_str()) {
                continue;
            }
            let (column, op) = match name.strip_suffix(PREFIX_SUFFIX) {
                Some(column) if columns.contains_key(column) => (column, FilterOp::Prefix),
                _ => (name.as_str(), FilterOp::Eq),
            };
            let kind = columns.get(column).ok_or_else(|| {
                QueryError::InvalidArgument(format!(
                    "unknown filter {name:?}; filter on one of: {} (exact), or <column>Prefix \
                     for text; paging: sortBy, order, limit, offset",
                    allowed()
                ))
            })?;
            if matches!(op, FilterOp::Prefix) && *kind != ColumnType::Text {
                return Err(QueryError::InvalidArgument(format!(
                    "{name}: prefix filters apply to text columns only"
                )));
            }
            query.filters.push(Filter {
                column: snake(column),
                op,
                value: parse_value(name, raw, *kind)?,
            });
        }
        if let Some(sort_by) = self.params.get("sortBy") {
            if !columns.contains_key(sort_by) {
                return Err(QueryError::InvalidArgument(format!(
                    "cannot sort by {sort_by:?}; sort by one of: {}",
                    allowed()
                )));
            }
            let order = match self.params.get("order").map(String::as_str) {
                None | Some("asc") => SortOrder::Ascending,
                Some("desc") => SortOrder::Descending,
                Some(other) => {
                    return Err(QueryError::InvalidArgument(format!(
                        "order must be \"asc\" or \"desc\", got {other:?}"
                    )));
                }
            };
            query.sort.push((snake(sort_by), order));
        } else if self.params.contains_key("order") {
            return Err(QueryError::InvalidArgument(
                "order needs sortBy (the column to sort by)".into(),
            ));
        }
        if let Some(limit) = self.params.get("limit") {
            query.limit = limit
                .parse()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    QueryError::InvalidArgument(format!(
                        "limit must be a number from 1 to {MAX_LIMIT}, got {limit:?}"
                    ))
                })?;
        }
        if let Some(offset) = self.params.get("offset") {
            query.offset = offset.parse().map_err(|_| {
                QueryError::InvalidArgument(format!(
                    "offset must be a non-negative number, got {offset:?}"
                ))
            })?;
        }
        Ok(query)
    }
}

/// A filter value typed as its column.
fn parse_value(name: &str, raw: &str, kind: ColumnType) -> Result<Value, QueryError> {
    let bad = |expected: &str| {
        QueryError::InvalidArgument(format!("{name} must be {expected}, got {raw:?}"))
    };
    Ok(match kind {
        ColumnType::Text => Value::Text(raw.to_owned()),
        ColumnType::Integer => Value::Integer(raw.parse().map_err(|_| bad("an integer"))?),
        ColumnType::Real => Value::Real(raw.parse().map_err(|_| bad("a number"))?),
        ColumnType::Boolean => Value::Boolean(raw.parse().map_err(|_| bad("true or false"))?),
        ColumnType::Timestamp => {
            let at = DateTime::parse_from_rfc3339(raw)
                .map_err(|_| bad("an RFC 3339 time such as 2026-01-31T12:00:00Z"))?;
            Value::Timestamp(Datetime {
                seconds: at.timestamp(),
                nanoseconds: at.timestamp_subsec_nanos(),
            })
        }
        ColumnType::Json => Value::Json(raw.to_owned()),
    })
}

/// `given_name` → `givenName`.
pub(super) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `givenName` → `given_name`.
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::types::Column;

    fn users() -> Table {
        let column = |name: &str, kind| Column {
            name: name.into(),
            kind,
            nullable: false,
        };
        Table {
            name: "users".into(),
            columns: vec![
                column("instance_id", ColumnType::Text),
                column("id", ColumnType::Text),
                column("given_name", ColumnType::Text),
                column("email_verified", ColumnType::Boolean),
                column("sequence", ColumnType::Integer),
            ],
            primary_key: vec!["instance_id".into(), "id".into()],
            indexes: Vec::new(),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> ListParams {
        ListParams::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn given_camel_case_filters_when_translated_then_columns_and_types_follow_the_declaration() {
        let q = params(&[
            ("givenNamePrefix", "Ad"),
            ("emailVerified", "true"),
            ("sortBy", "givenName"),
            ("order", "desc"),
            ("limit", "10"),
            ("offset", "20"),
        ])
        .to_query(&users())
        .unwrap();
        assert_eq!(q.filters.len(), 2);
        assert!(q.filters.iter().any(|f| f.column == "given_name"
            && matches!(f.op, FilterOp::Prefix)
            && f.value == Value::Text("Ad".into())));
        assert!(
            q.filters
                .iter()
                .any(|f| f.column == "email_verified" && f.value == Value::Boolean(true))
        );
        assert_eq!(q.sort.len(), 1);
        assert_eq!(q.sort[0].0, "given_name");
        assert!(matches!(q.sort[0].1, SortOrder::Descending));
        assert_eq!((q.limit, q.offset), (10, 20));
    }

    #[test]
    fn given_an_unknown_filter_when_translated_then_the_error_lists_the_columns() {
        let err = params(&[("nickname", "x")]).to_query(&users()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("nickname") && text.contains("givenName"),
            "{text}"
        );
        assert!(!text.contains("instanceId"), "{text}");
    }

    #[test]
    fn given_bad_values_when_translated_then_each_says_what_is_expected() {
        for (pairs, expected) in [
            (vec![("sequence", "x")], "an integer"),
            (vec![("emailVerified", "yes")], "true or false"),
            (vec![("limit", "0")], "from 1 to 1000"),
            (vec![("sequencePrefix", "1")], "text columns only"),
            (
                vec![("sortBy", "id"), ("order", "up")],
                "\"asc\" or \"desc\"",
            ),
        ] {
            let err = params(&pairs).to_query(&users()).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn names_convert_between_snake_and_camel_case() {
        assert_eq!(camel("password_changed_at"), "passwordChangedAt");
        assert_eq!(snake("passwordChangedAt"), "password_changed_at");
        assert_eq!(camel("id"), "id");
    }
}
