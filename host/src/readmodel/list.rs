//! The query side's reads: one row by key, a filtered, sorted and paged list
//! with its total, and a whole table. Filters, keys and sort columns are
//! checked against the generation's declaration (unknown columns and values
//! of the wrong type are the caller's error), then bound as parameters.

use super::ReadStore;
use super::apply::builder;
use super::error::ReadModelError;
use super::generation::Generation;
use super::plan::{Sink, write_filter};
use super::rows::{DecodeRow, Row};
use super::schema::{Dialect, push_quoted, quote};
use super::value::{Cell, cell, type_name};
use crate::plugins::types::{Column, ColumnType, Table, Value};

/// A list request: filters (AND-ed), sort, and a page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    /// Conditions every row must meet.
    pub filters: Vec<Filter>,
    /// Sort columns, applied in order; the table's primary key follows, so
    /// pages are stable.
    pub sort: Vec<(String, SortOrder)>,
    /// Rows per page.
    pub limit: u32,
    /// Rows skipped before the page.
    pub offset: u64,
}

/// One condition on a column.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The column (as declared).
    pub column: String,
    /// How to compare.
    pub op: FilterOp,
    /// The value compared with (`null` with [`FilterOp::Eq`]: `IS NULL`).
    pub value: Value,
}

/// How a [`Filter`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// Equal (a `null` value matches NULL).
    Eq,
    /// Starts with, ignoring case; text columns only. `%`, `_` and `\` in
    /// the value match themselves.
    Prefix,
}

/// Sort direction. NULLs sort last ascending and first descending, on both
/// backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// A page of rows and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The page's rows.
    pub rows: Vec<Row>,
    /// Rows matching the filters, over all pages.
    pub total: u64,
}

/// One checked condition.
enum Condition<'a> {
    /// `= value` or `IS NULL`.
    Eq(&'a str, Cell<'a>),
    /// `lower(column)` in the range of the prefix (the third field), and
    /// `LIKE lower(pattern) ESCAPE '\'`.
    Prefix(&'a str, String, &'a str),
}

impl ReadStore {
    /// The row of `table` (a logical name of `generation`) whose `key`
    /// columns equal the given values (a `null` value matches NULL), if any.
    ///
    /// # Errors
    /// [`ReadModelError::UnknownTable`], [`ReadModelError::UnknownColumn`],
    /// [`ReadModelError::InvalidFilter`] for a value of the wrong type;
    /// database errors.
    pub async fn get_row(
        &self,
        generation: &Generation,
        table: &str,
        key: &[(&str, Value)],
    ) -> Result<Option<Row>, ReadModelError> {
        let declared = declared(generation, table)?;
        let mut filter = Vec::with_capacity(key.len());
        for (name, value) in key {
            let column = column(declared, name)?;
            filter.push((column.name.as_str(), filter_cell(column, value)?));
        }
        let columns: Vec<&Column> = declared.columns.iter().collect();
        let head = select(&columns, &generation.physical(table));
        on_pool!(self, reader, |pool, _dialect| {
            let mut qb = builder(pool);
            qb.emit(&head);
            write_filter(&mut qb, &filter);
            qb.emit(" LIMIT 1");
            let row = qb.build().fetch_optional(pool).await?;
            Ok(row.map(|r| r.decode(&columns)).transpose()?)
        })
    }

    /// The rows of `table` matching `query`'s filters, sorted (then by
    /// primary key) and paged, and how many match in all.
    ///
    /// # Errors
    /// As [`ReadStore::get_row`]; [`ReadModelError::InvalidFilter`] also for
    /// a prefix filter on a non-text column.
    pub async fn list_rows(
        &self,
        generation: &Generation,
        table: &str,
        query: &ListQuery,
    ) -> Result<Page, ReadModelError> {
        let declared = declared(generation, table)?;
        let conditions = query
            .filters
            .iter()
            .map(|f| condition(declared, f))
            .collect::<Result<Vec<_>, _>>()?;
        let order = order_by(declared, &query.sort)?;
        let columns: Vec<&Column> = declared.columns.iter().collect();
        let physical = generation.physical(table);
        let head = select(&columns, &physical);
        let limit = i64::from(query.limit);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        on_pool!(self, reader, |pool, dialect| {
            let mut qb = builder(pool);
            qb.emit(&head);
            write_conditions(&mut qb, &conditions, dialect);
            qb.emit(&order);
            qb.emit(" LIMIT ");
            qb.emit_value(Cell::Integer(limit));
            qb.emit(" OFFSET ");
            qb.emit_value(Cell::Integer(offset));
            let rows = qb.build().fetch_all(pool).await?;
            let rows = rows
                .iter()
                .map(|r| r.decode(&columns))
                .collect::<Result<Vec<_>, _>>()?;
            // A page that is not full, and not past the end, ends the
            // matches: its rows give the total without counting them again
            // (most lists, and every authorization check, are such pages).
            let fetched = rows.len() as u64;
            if fetched < u64::from(query.limit) && (fetched > 0 || offset == 0) {
                return Ok(Page {
                    rows,
                    total: query.offset + fetched,
                });
            }
            let mut count = builder(pool);
            count.emit(&format!("SELECT count(*) FROM {}", quote(&physical)));
            write_conditions(&mut count, &conditions, dialect);
            let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
            Ok(Page {
                rows,
                total: total.max(0) as u64,
            })
        })
    }

    /// Every row of `table`, in primary-key order (tests compare a table with
    /// its rebuilt twin).
    ///
    /// # Errors
    /// [`ReadModelError::UnknownTable`]; database errors.
    pub async fn dump(
        &self,
        generation: &Generation,
        table: &str,
    ) -> Result<Vec<Row>, ReadModelError> {
        let declared = declared(generation, table)?;
        let columns: Vec<&Column> = declared.columns.iter().collect();
        let sql = format!(
            "{}{}",
            select(&columns, &generation.physical(table)),
            order_by(declared, &[])?
        );
        on_pool!(self, reader, |pool, _dialect| {
            // Prepared (not raw): PostgreSQL then answers in its binary
            // format, which does not depend on session settings (DateStyle).
            let mut qb = builder(pool);
            qb.emit(&sql);
            let rows = qb.build().fetch_all(pool).await?;
            Ok(rows
                .iter()
                .map(|r| r.decode(&columns))
                .collect::<Result<_, _>>()?)
        })
    }
}

/// `SELECT "a", "b" FROM "table"`.
fn select(columns: &[&Column], physical: &str) -> String {
    let mut sql = String::from("SELECT ");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_quoted(&mut sql, &column.name);
    }
    sql.push_str(" FROM ");
    push_quoted(&mut sql, physical);
    sql
}

/// ` WHERE TRUE AND …` for `conditions`.
///
/// A prefix match is case-insensitive: `lower(column)` in a range from the
/// lowercased prefix to the prefix followed by the largest character, in
/// code-point order (PostgreSQL's `"C"` collation, SQLite's `BINARY`), so
/// the lowercase index the schema keeps beside a declared index ending in
/// that column serves it (`schema::create_tables`); the `LIKE` after it
/// keeps the match exact whatever a collation does.
fn write_conditions<'a>(
    sink: &mut impl Sink<'a>,
    conditions: &'a [Condition<'a>],
    dialect: Dialect,
) {
    sink.emit(" WHERE TRUE");
    for condition in conditions {
        match condition {
            Condition::Eq(column, Cell::Null(_)) => {
                sink.emit(&format!(" AND {} IS NULL", quote(column)));
            }
            Condition::Eq(column, value) => {
                sink.emit(&format!(" AND {} = ", quote(column)));
                sink.emit_value(*value);
            }
            Condition::Prefix(column, pattern, prefix) => {
                let lowered = lowercase_expression(dialect, column);
                let (collate, top) = match dialect {
                    Dialect::Postgres => (" COLLATE \"C\"", "chr(1114111)"),
                    Dialect::Sqlite => ("", "char(1114111)"),
                };
                sink.emit(&format!(" AND {lowered} >= lower("));
                sink.emit_value(Cell::Text(prefix));
                sink.emit(&format!("){collate} AND {lowered} < (lower("));
                sink.emit_value(Cell::Text(prefix));
                sink.emit(&format!(") || {top}){collate}"));
                sink.emit(&format!(" AND lower({}) LIKE lower(", quote(column)));
                sink.emit_value(Cell::Text(pattern));
                // The escape character is bound too: a `'\'` literal would
                // depend on PostgreSQL's standard_conforming_strings.
                sink.emit(") ESCAPE ");
                sink.emit_value(Cell::Text("\\"));
            }
        }
    }
}

/// ` ORDER BY` the sort columns, then the primary key's remaining columns.
fn order_by(table: &Table, sort: &[(String, SortOrder)]) -> Result<String, ReadModelError> {
    let mut sql = String::from(" ORDER BY ");
    let mut named: Vec<&str> = Vec::new();
    let pk = table.primary_key.iter().map(|c| (c, SortOrder::Ascending));
    for (name, order) in sort.iter().map(|(c, o)| (c, *o)).chain(pk) {
        let column = column(table, name)?;
        if named.contains(&column.name.as_str()) {
            continue;
        }
        if !named.is_empty() {
            sql.push_str(", ");
        }
        named.push(&column.name);
        push_quoted(&mut sql, &column.name);
        sql.push_str(match order {
            SortOrder::Ascending => " ASC NULLS LAST",
            SortOrder::Descending => " DESC NULLS FIRST",
        });
    }
    Ok(sql)
}

/// Checks a filter against its column.
fn condition<'a>(table: &'a Table, filter: &'a Filter) -> Result<Condition<'a>, ReadModelError> {
    let column = column(table, &filter.column)?;
    match filter.op {
        FilterOp::Eq => Ok(Condition::Eq(
            &column.name,
            filter_cell(column, &filter.value)?,
        )),
        FilterOp::Prefix => {
            if column.kind != ColumnType::Text {
                return Err(ReadModelError::InvalidFilter(format!(
                    "a prefix match needs a text column; `{}` is {}",
                    column.name,
                    type_name(column.kind)
                )));
            }
            let Value::Text(prefix) = &filter.value else {
                return Err(ReadModelError::InvalidFilter(format!(
                    "a prefix match on `{}` needs a text value",
                    column.name
                )));
            };
            Ok(Condition::Prefix(&column.name, like_prefix(prefix), prefix))
        }
    }
}

/// `lower(column)` in code-point order: the expression of the lowercase
/// indexes (`schema::create_tables`), spelled the same so the planner
/// matches them.
pub(super) fn lowercase_expression(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("(lower({}) COLLATE \"C\")", quote(column)),
        Dialect::Sqlite => format!("lower({})", quote(column)),
    }
}

/// `prefix` as a LIKE pattern matching itself at the start: `\`, `%` and
/// `_` escaped with `\`, then `%`.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Checks a key or filter value against its column.
fn filter_cell<'a>(column: &Column, value: &'a Value) -> Result<Cell<'a>, ReadModelError> {
    cell(column, value).map_err(ReadModelError::InvalidFilter)
}

/// The declared table `name` of `generation`.
fn declared<'g>(generation: &'g Generation, name: &str) -> Result<&'g Table, ReadModelError> {
    generation
        .table(name)
        .ok_or_else(|| ReadModelError::UnknownTable {
            projection: generation.projection.clone(),
            table: name.to_owned(),
        })
}

/// The declared column `name` of `table`.
fn column<'t>(table: &'t Table, name: &str) -> Result<&'t Column, ReadModelError> {
    table
        .columns
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| ReadModelError::UnknownColumn {
            table: table.name.clone(),
            column: name.to_owned(),
            known: table.columns.iter().map(|c| c.name.clone()).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::like_prefix;

    #[test]
    fn prefix_patterns_escape_like_wildcards() {
        assert_eq!(like_prefix(r"50%_a\b"), r"50\%\_a\\b%");
        assert_eq!(like_prefix(""), "%");
    }
}
