//! The physical side of a generation: table and index names, and the DDL that
//! creates a projection's declared tables in either dialect.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::error::ReadModelError;
use crate::plugins::types::{ColumnType, Table};

/// PostgreSQL's identifier limit, in bytes (longer names are truncated
/// silently, which would make two tables collide).
pub(super) const MAX_IDENTIFIER: usize = 63;

/// The SQL dialects the store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// `name` as a double-quoted SQL identifier (inner quotes doubled). Names are
/// vetted at plugin load already; quoting keeps keywords such as `user` or
/// `order` usable as names.
pub(super) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Appends `name` quoted to `sql`.
pub(super) fn push_quoted(sql: &mut String, name: &str) {
    sql.push('"');
    sql.push_str(&name.replace('"', "\"\""));
    sql.push('"');
}

/// sha256 (hex) of the declaration's JSON: equal declarations, equal hash.
pub(super) fn schema_hash(tables: &[Table]) -> String {
    let json = serde_json::to_vec(tables).expect("tables serialize to JSON");
    let digest = Sha256::digest(&json);
    digest.iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// `rm_<projection>_<generation>_<table>`, with `-` in the projection's name
/// (plugin names allow inner hyphens) turned into `_`.
pub(super) fn physical(projection: &str, generation: i64, table: &str) -> String {
    format!("rm_{}_{generation}_{table}", projection.replace('-', "_"))
}

/// `<table>_<index>`, shortened deterministically (a prefix and 8 hex digits
/// of its hash) when longer than PostgreSQL allows.
pub(super) fn index_name(physical_table: &str, index: &str) -> String {
    let full = format!("{physical_table}_{index}");
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let keep = MAX_IDENTIFIER - suffix.len() - 1;
    // Names are ASCII (checked at plugin load), so any byte is a boundary.
    format!("{}_{suffix}", &full[..keep])
}

/// Checks that every physical table name fits PostgreSQL's limit.
///
/// # Errors
/// [`ReadModelError::NameTooLong`] naming the first name that does not fit.
pub(super) fn check_names(
    projection: &str,
    generation: i64,
    tables: &[Table],
) -> Result<(), ReadModelError> {
    match tables
        .iter()
        .map(|t| physical(projection, generation, &t.name))
        .find(|name| name.len() > MAX_IDENTIFIER)
    {
        Some(name) => Err(ReadModelError::NameTooLong { name }),
        None => Ok(()),
    }
}

/// The statements creating a generation's tables and their indexes (all
/// `IF NOT EXISTS`, so a retried creation is harmless), `;`-separated.
pub(super) fn create_tables(
    dialect: Dialect,
    projection: &str,
    generation: i64,
    tables: &[Table],
) -> String {
    let mut sql = String::new();
    for table in tables {
        let name = physical(projection, generation, &table.name);
        sql.push_str("CREATE TABLE IF NOT EXISTS ");
        push_quoted(&mut sql, &name);
        sql.push_str(" (");
        for column in &table.columns {
            push_quoted(&mut sql, &column.name);
            sql.push(' ');
            sql.push_str(column_type(dialect, column.kind));
            if !column.nullable {
                sql.push_str(" NOT NULL");
            }
            sql.push_str(", ");
        }
        sql.push_str("PRIMARY KEY (");
        push_list(&mut sql, &table.primary_key);
        sql.push_str("))");
        if dialect == Dialect::Sqlite {
            // STRICT: the declared types are enforced; WITHOUT ROWID: the
            // primary key is the table's only b-tree.
            sql.push_str(" STRICT, WITHOUT ROWID");
        }
        sql.push_str(";\n");
        for index in &table.indexes {
            sql.push_str(if index.unique {
                "CREATE UNIQUE INDEX IF NOT EXISTS "
            } else {
                "CREATE INDEX IF NOT EXISTS "
            });
            push_quoted(&mut sql, &index_name(&name, &index.name));
            sql.push_str(" ON ");
            push_quoted(&mut sql, &name);
            sql.push_str(" (");
            push_list(&mut sql, &index.columns);
            sql.push_str(");\n");
            // A declared index ending in a text column gets a lowercase twin,
            // for case-insensitive prefix matches on that column (`list`).
            let Some((last, leading)) = index.columns.split_last() else {
                continue;
            };
            let text = table
                .columns
                .iter()
                .any(|c| c.name == *last && c.kind == ColumnType::Text);
            if text {
                sql.push_str("CREATE INDEX IF NOT EXISTS ");
                push_quoted(
                    &mut sql,
                    &index_name(&name, &format!("{}_lower", index.name)),
                );
                sql.push_str(" ON ");
                push_quoted(&mut sql, &name);
                sql.push_str(" (");
                push_list(&mut sql, leading);
                if !leading.is_empty() {
                    sql.push_str(", ");
                }
                sql.push_str(&super::list::lowercase_expression(dialect, last));
                sql.push_str(");\n");
            }
        }
    }
    sql
}

/// The statements dropping a generation's tables (their indexes go with them).
pub(super) fn drop_tables(projection: &str, generation: i64, tables: &[Table]) -> String {
    let mut sql = String::new();
    for table in tables {
        sql.push_str("DROP TABLE IF EXISTS ");
        push_quoted(&mut sql, &physical(projection, generation, &table.name));
        sql.push_str(";\n");
    }
    sql
}

/// Appends `"a", "b", …`.
pub(super) fn push_list(sql: &mut String, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_quoted(sql, name);
    }
}

/// The column type a declared type maps to.
fn column_type(dialect: Dialect, kind: ColumnType) -> &'static str {
    match (dialect, kind) {
        (_, ColumnType::Text) => "TEXT",
        (Dialect::Postgres, ColumnType::Integer) => "BIGINT",
        (Dialect::Postgres, ColumnType::Real) => "DOUBLE PRECISION",
        (Dialect::Postgres, ColumnType::Boolean) => "BOOLEAN",
        (Dialect::Postgres, ColumnType::Timestamp) => "TIMESTAMPTZ",
        (Dialect::Postgres, ColumnType::Json) => "JSONB",
        (Dialect::Sqlite, ColumnType::Integer | ColumnType::Boolean) => "INTEGER",
        (Dialect::Sqlite, ColumnType::Real) => "REAL",
        // RFC 3339 text (sorts as time) and JSON text.
        (Dialect::Sqlite, ColumnType::Timestamp | ColumnType::Json) => "TEXT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::types::{Column, Index};

    fn users() -> Table {
        Table {
            name: "users".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    kind: ColumnType::Text,
                    nullable: false,
                },
                Column {
                    name: "age".into(),
                    kind: ColumnType::Integer,
                    nullable: true,
                },
            ],
            primary_key: vec!["id".into()],
            indexes: vec![Index {
                name: "by_age".into(),
                columns: vec!["age".into()],
                unique: false,
            }],
        }
    }

    #[test]
    fn ddl_maps_declared_types_per_dialect() {
        let pg = create_tables(Dialect::Postgres, "user-list", 3, &[users()]);
        assert_eq!(
            pg,
            "CREATE TABLE IF NOT EXISTS \"rm_user_list_3_users\" (\"id\" TEXT NOT NULL, \
             \"age\" BIGINT, PRIMARY KEY (\"id\"));\n\
             CREATE INDEX IF NOT EXISTS \"rm_user_list_3_users_by_age\" \
             ON \"rm_user_list_3_users\" (\"age\");\n"
        );
        let lite = create_tables(Dialect::Sqlite, "user-list", 3, &[users()]);
        assert!(lite.contains("\"age\" INTEGER, PRIMARY KEY (\"id\")) STRICT, WITHOUT ROWID;"));
    }

    #[test]
    fn long_index_names_are_shortened_deterministically() {
        let table = "rm_some_long_projection_name_12_some_long_table_name";
        let a = index_name(table, "an_index_with_a_long_name");
        assert_eq!(a.len(), MAX_IDENTIFIER);
        assert_eq!(a, index_name(table, "an_index_with_a_long_name"));
        assert_ne!(a, index_name(table, "an_index_with_a_long_name_2"));
        assert_eq!(index_name("rm_p_1_t", "i"), "rm_p_1_t_i");
    }

    #[test]
    fn names_over_63_bytes_are_refused_and_hash_tracks_declaration() {
        let mut long = users();
        long.name = "x".repeat(60);
        let err = check_names("p", 1, &[long.clone()]).unwrap_err();
        assert!(matches!(err, ReadModelError::NameTooLong { .. }), "{err}");
        assert_eq!(schema_hash(&[users()]), schema_hash(&[users()]));
        assert_ne!(schema_hash(&[users()]), schema_hash(&[long]));
        assert_eq!(schema_hash(&[users()]).len(), 64);
    }
}
