//! # Read-model statements
//!
//! A projection turns each event into [`Statement`]s; the host executes them
//! in the spooler's transaction together with the projection's new position.
//!
//! ```
//! # use rampart_plugin_sdk::prelude::*;
//! let upsert = Statement::upsert("users")
//!     .set("id", "u-1")
//!     .set("username", "ada")
//!     .conflict(["id"]);
//! let delete = Statement::delete("users").filter("id", "u-1");
//! # let _ = (upsert, delete);
//! ```

use crate::Value;

/// A column and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Column name.
    pub column: String,
    /// The value written or matched.
    pub value: Value,
}

impl Field {
    /// `column = value`.
    pub fn new(column: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            column: column.into(),
            value: value.into(),
        }
    }
}

/// One change to a read model.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// Insert a row; fails the event if the key exists.
    Insert {
        /// Target table.
        table: String,
        /// The row's columns.
        fields: Vec<Field>,
    },
    /// Insert a row, or update it where the `conflict` columns match.
    Upsert {
        /// Target table.
        table: String,
        /// The row's columns.
        fields: Vec<Field>,
        /// Columns identifying an existing row (usually the primary key).
        conflict: Vec<String>,
    },
    /// Update the rows where every `filter` field is equal.
    Update {
        /// Target table.
        table: String,
        /// The columns to change.
        set: Vec<Field>,
        /// Which rows.
        filter: Vec<Field>,
    },
    /// Delete the rows where every `filter` field is equal.
    Delete {
        /// Target table.
        table: String,
        /// Which rows.
        filter: Vec<Field>,
    },
}

impl Statement {
    /// An insert into `table`; add columns with [`Statement::set`].
    pub fn insert(table: impl Into<String>) -> Self {
        Statement::Insert {
            table: table.into(),
            fields: Vec::new(),
        }
    }

    /// An upsert into `table`; add columns with [`Statement::set`] and the
    /// key with [`Statement::conflict`].
    pub fn upsert(table: impl Into<String>) -> Self {
        Statement::Upsert {
            table: table.into(),
            fields: Vec::new(),
            conflict: Vec::new(),
        }
    }

    /// An update of `table`; add changes with [`Statement::set`] and the row
    /// selection with [`Statement::filter`].
    pub fn update(table: impl Into<String>) -> Self {
        Statement::Update {
            table: table.into(),
            set: Vec::new(),
            filter: Vec::new(),
        }
    }

    /// A delete from `table`; select rows with [`Statement::filter`].
    pub fn delete(table: impl Into<String>) -> Self {
        Statement::Delete {
            table: table.into(),
            filter: Vec::new(),
        }
    }

    /// The table the statement changes.
    pub fn table(&self) -> &str {
        match self {
            Statement::Insert { table, .. }
            | Statement::Upsert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    /// Writes `column = value` (a row's column for inserts and upserts, a
    /// change for updates).
    ///
    /// # Panics
    ///
    /// On a delete, which writes nothing.
    #[must_use]
    #[track_caller]
    pub fn set(mut self, column: impl Into<String>, value: impl Into<Value>) -> Self {
        let field = Field::new(column, value);
        match &mut self {
            Statement::Insert { fields, .. } | Statement::Upsert { fields, .. } => {
                fields.push(field)
            }
            Statement::Update { set, .. } => set.push(field),
            Statement::Delete { .. } => {
                panic!("Statement::set on a delete: deletes write no columns")
            }
        }
        self
    }

    /// Restricts an update or delete to rows where `column = value`.
    ///
    /// # Panics
    ///
    /// On an insert or upsert, which select no rows.
    #[must_use]
    #[track_caller]
    pub fn filter(mut self, column: impl Into<String>, value: impl Into<Value>) -> Self {
        let field = Field::new(column, value);
        match &mut self {
            Statement::Update { filter, .. } | Statement::Delete { filter, .. } => {
                filter.push(field)
            }
            Statement::Insert { .. } | Statement::Upsert { .. } => {
                panic!(
                    "Statement::filter on an insert or upsert: use set, and conflict for upserts"
                )
            }
        }
        self
    }

    /// Sets the columns identifying an existing row of an upsert.
    ///
    /// # Panics
    ///
    /// On anything but an upsert.
    #[must_use]
    #[track_caller]
    pub fn conflict<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match &mut self {
            Statement::Upsert { conflict, .. } => {
                *conflict = columns.into_iter().map(Into::into).collect();
            }
            _ => panic!("Statement::conflict applies to upserts only"),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_an_update_when_set_and_filtered_then_both_lists_fill() {
        let update = Statement::update("users")
            .set("name", "Ada")
            .filter("id", "u-1");
        assert_eq!(
            update,
            Statement::Update {
                table: "users".into(),
                set: vec![Field::new("name", "Ada")],
                filter: vec![Field::new("id", "u-1")],
            }
        );
        assert_eq!(update.table(), "users");
    }

    #[test]
    #[should_panic(expected = "deletes write no columns")]
    fn given_a_delete_when_set_is_called_then_it_panics() {
        let _ = Statement::delete("users").set("name", "Ada");
    }

    #[test]
    #[should_panic(expected = "use set, and conflict for upserts")]
    fn given_an_insert_when_filter_is_called_then_it_panics() {
        let _ = Statement::insert("users").filter("id", "u-1");
    }

    #[test]
    #[should_panic(expected = "applies to upserts only")]
    fn given_an_update_when_conflict_is_called_then_it_panics() {
        let _ = Statement::update("users").conflict(["id"]);
    }
}
