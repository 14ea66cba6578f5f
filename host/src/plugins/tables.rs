//! # Read-model declarations
//!
//! Checks the tables a projection declares and the statements it returns
//! against them, so the host never builds SQL from a name it did not vet.

use std::collections::HashSet;

use super::bindings::types::{Field, Statement, Table};

/// Longest identifier accepted (PostgreSQL's limit).
const MAX_IDENTIFIER: usize = 63;

/// Whether `name` is a safe SQL identifier: `[a-z_][a-z0-9_]*`, at most 63 bytes.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_IDENTIFIER
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a projection's declared tables.
pub(crate) fn check(tables: &[Table]) -> Result<(), String> {
    let mut names = HashSet::new();
    for table in tables {
        if !is_identifier(&table.name) {
            return Err(format!(
                "table name `{}` is not a lowercase SQL identifier",
                table.name
            ));
        }
        if !names.insert(table.name.as_str()) {
            return Err(format!("table `{}` is declared twice", table.name));
        }
        let mut columns = HashSet::new();
        for column in &table.columns {
            if !is_identifier(&column.name) {
                return Err(format!(
                    "column `{}.{}` is not a lowercase SQL identifier",
                    table.name, column.name
                ));
            }
            if !columns.insert(column.name.as_str()) {
                return Err(format!(
                    "column `{}.{}` is declared twice",
                    table.name, column.name
                ));
            }
        }
        if table.primary_key.is_empty() {
            return Err(format!("table `{}` has no primary key", table.name));
        }
        let known = |column: &String| columns.contains(column.as_str());
        if let Some(missing) = table.primary_key.iter().find(|c| !known(c)) {
            return Err(format!(
                "primary key of `{}` names unknown column `{missing}`",
                table.name
            ));
        }
        for index in &table.indexes {
            if !is_identifier(&index.name) || index.columns.is_empty() {
                return Err(format!(
                    "index `{}` of `{}` is invalid",
                    index.name, table.name
                ));
            }
            if let Some(missing) = index.columns.iter().find(|c| !known(c)) {
                return Err(format!(
                    "index `{}` of `{}` names unknown column `{missing}`",
                    index.name, table.name
                ));
            }
        }
    }
    Ok(())
}

/// Checks that `statements` only touch declared tables and columns.
pub(crate) fn check_statements(tables: &[Table], statements: &[Statement]) -> Result<(), String> {
    for statement in statements {
        let (table, field_lists, extra): (&str, [&[Field]; 2], &[String]) = match statement {
            Statement::Insert(s) => (&s.table, [&s.fields, &[]], &[]),
            Statement::Upsert(s) => (&s.table, [&s.fields, &[]], &s.conflict),
            Statement::Update(s) => (&s.table, [&s.set, &s.filter], &[]),
            Statement::Delete(s) => (&s.table, [&s.filter, &[]], &[]),
        };
        let Some(declared) = tables.iter().find(|t| t.name == table) else {
            return Err(format!("statement for undeclared table `{table}`"));
        };
        let known = |column: &str| declared.columns.iter().any(|c| c.name == column);
        let columns = field_lists
            .iter()
            .flat_map(|fields| fields.iter().map(|f| f.column.as_str()))
            .chain(extra.iter().map(String::as_str));
        for column in columns {
            if !known(column) {
                return Err(format!("statement names unknown column `{table}.{column}`"));
            }
        }
    }
    Ok(())
}
