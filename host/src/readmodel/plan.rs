//! A projection's statements as SQL: each [`Statement`] is checked against
//! the generation's declaration into a [`Plan`], and a plan is written to a
//! [`Sink`] — a query builder binding parameters (SQLite, and PostgreSQL's
//! item-by-item path) or PostgreSQL's literal renderer (its batch fast path).
//! One writer for both keeps the two paths' SQL identical.

use super::generation::Generation;
use super::schema::{push_quoted, quote};
use super::value::{Cell, cell};
use crate::plugins::types::{Field, Statement, Table};

/// Where SQL goes: text, and values (bound or rendered).
pub(super) trait Sink<'a> {
    /// Appends SQL text.
    fn emit(&mut self, text: &str);
    /// Appends a value.
    fn emit_value(&mut self, cell: Cell<'a>);
}

/// A column and its checked value.
pub(super) type Assignment<'a> = (&'a str, Cell<'a>);

/// One checked statement against one physical table.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    /// The physical table.
    pub(super) table: String,
    /// What to do.
    pub(super) op: Op<'a>,
}

/// The checked operations.
#[derive(Debug)]
pub(super) enum Op<'a> {
    /// `INSERT`, or with `conflict` an upsert.
    Insert {
        /// The row.
        fields: Vec<Assignment<'a>>,
        /// Upsert: the conflict columns.
        conflict: Option<&'a [String]>,
    },
    /// `UPDATE … SET … WHERE …`.
    Update {
        /// The new values.
        set: Vec<Assignment<'a>>,
        /// Equality (or `IS NULL`) conditions, AND-ed.
        filter: Vec<Assignment<'a>>,
    },
    /// `DELETE … WHERE …`.
    Delete {
        /// Equality (or `IS NULL`) conditions, AND-ed.
        filter: Vec<Assignment<'a>>,
    },
}

/// Checks one statement against `generation`'s declaration. `None` when the
/// statement changes nothing (an update setting no column).
///
/// # Errors
/// A message for an undeclared table or column, a value that does not fit its
/// column, or an insert without fields.
pub(super) fn plan<'a>(
    generation: &'a Generation,
    statement: &'a Statement,
) -> Result<Option<Plan<'a>>, String> {
    let (table, op) = match statement {
        Statement::Insert(s) => {
            let table = declared(generation, &s.table)?;
            let fields = assignments(table, &s.fields)?;
            (
                table,
                Op::Insert {
                    fields,
                    conflict: None,
                },
            )
        }
        Statement::Upsert(s) => {
            let table = declared(generation, &s.table)?;
            let fields = assignments(table, &s.fields)?;
            let conflict = if s.conflict.is_empty() {
                &table.primary_key
            } else {
                &s.conflict
            };
            if let Some(unknown) = conflict
                .iter()
                .find(|c| !table.columns.iter().any(|d| &d.name == *c))
            {
                return Err(format!(
                    "upsert into `{}`: unknown conflict column `{unknown}`",
                    table.name
                ));
            }
            (
                table,
                Op::Insert {
                    fields,
                    conflict: Some(conflict.as_slice()),
                },
            )
        }
        Statement::Update(s) => {
            let table = declared(generation, &s.table)?;
            let set = assignments(table, &s.set)?;
            if set.is_empty() {
                return Ok(None);
            }
            let filter = assignments(table, &s.filter)?;
            (table, Op::Update { set, filter })
        }
        Statement::Delete(s) => {
            let table = declared(generation, &s.table)?;
            let filter = assignments(table, &s.filter)?;
            (table, Op::Delete { filter })
        }
    };
    if let Op::Insert { fields, .. } = &op
        && fields.is_empty()
    {
        return Err(format!("insert into `{}` without fields", table.name));
    }
    Ok(Some(Plan {
        table: generation.physical(&table.name),
        op,
    }))
}

/// Checks every statement of every item; the error names the failing item.
pub(super) fn plan_batch<'a>(
    generation: &'a Generation,
    batch: &'a [super::Applied],
) -> Result<Vec<Vec<Plan<'a>>>, (usize, String)> {
    batch
        .iter()
        .enumerate()
        .map(|(item, applied)| {
            let mut plans = Vec::with_capacity(applied.statements.len());
            for statement in &applied.statements {
                if let Some(plan) = plan(generation, statement).map_err(|e| (item, e))? {
                    plans.push(plan);
                }
            }
            Ok(plans)
        })
        .collect()
}

/// Writes `plan` as one SQL statement (no terminator).
pub(super) fn write<'a>(sink: &mut impl Sink<'a>, plan: &Plan<'a>) {
    let mut text = String::with_capacity(64);
    match &plan.op {
        Op::Insert { fields, conflict } => {
            text.push_str("INSERT INTO ");
            push_quoted(&mut text, &plan.table);
            text.push_str(" (");
            for (i, (column, _)) in fields.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                push_quoted(&mut text, column);
            }
            text.push_str(") VALUES (");
            sink.emit(&text);
            for (i, (_, value)) in fields.iter().enumerate() {
                if i > 0 {
                    sink.emit(", ");
                }
                sink.emit_value(*value);
            }
            sink.emit(")");
            if let Some(conflict) = conflict {
                sink.emit(&upsert_clause(fields, conflict));
            }
        }
        Op::Update { set, filter } => {
            text.push_str("UPDATE ");
            push_quoted(&mut text, &plan.table);
            text.push_str(" SET ");
            sink.emit(&text);
            for (i, (column, value)) in set.iter().enumerate() {
                sink.emit(&format!(
                    "{}{} = ",
                    if i > 0 { ", " } else { "" },
                    quote(column)
                ));
                sink.emit_value(*value);
            }
            write_filter(sink, filter);
        }
        Op::Delete { filter } => {
            text.push_str("DELETE FROM ");
            push_quoted(&mut text, &plan.table);
            sink.emit(&text);
            write_filter(sink, filter);
        }
    }
}

/// ` ON CONFLICT (…) DO UPDATE SET x = excluded.x, …` (every field that is
/// not a conflict column), or `DO NOTHING` when there is none.
fn upsert_clause(fields: &[Assignment<'_>], conflict: &[String]) -> String {
    let mut sql = String::from(" ON CONFLICT (");
    super::schema::push_list(&mut sql, conflict);
    sql.push_str(") DO ");
    let updated: Vec<&str> = fields
        .iter()
        .map(|(column, _)| *column)
        .filter(|column| !conflict.iter().any(|c| c == column))
        .collect();
    if updated.is_empty() {
        sql.push_str("NOTHING");
        return sql;
    }
    sql.push_str("UPDATE SET ");
    for (i, column) in updated.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_quoted(&mut sql, column);
        sql.push_str(" = excluded.");
        push_quoted(&mut sql, column);
    }
    sql
}

/// ` WHERE TRUE AND "c" = v AND "d" IS NULL …`.
pub(super) fn write_filter<'a>(sink: &mut impl Sink<'a>, filter: &[Assignment<'a>]) {
    sink.emit(" WHERE TRUE");
    for (column, value) in filter {
        if let Cell::Null(_) = value {
            sink.emit(&format!(" AND {} IS NULL", quote(column)));
        } else {
            sink.emit(&format!(" AND {} = ", quote(column)));
            sink.emit_value(*value);
        }
    }
}

/// The declared table `name`.
fn declared<'g>(generation: &'g Generation, name: &str) -> Result<&'g Table, String> {
    generation
        .table(name)
        .ok_or_else(|| format!("statement for undeclared table `{name}`"))
}

/// Checks each field's column and value.
fn assignments<'a>(table: &Table, fields: &'a [Field]) -> Result<Vec<Assignment<'a>>, String> {
    fields
        .iter()
        .map(|field| {
            let column = table
                .columns
                .iter()
                .find(|c| c.name == field.column)
                .ok_or_else(|| {
                    format!("table `{}` has no column `{}`", table.name, field.column)
                })?;
            Ok((field.column.as_str(), cell(column, &field.value)?))
        })
        .collect()
}
