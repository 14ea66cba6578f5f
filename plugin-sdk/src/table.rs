//! # Read-model tables
//!
//! A projection declares the tables it owns with [`Table`]; the host creates
//! and migrates them. Builders keep declarations short:
//!
//! ```
//! # use rampart_plugin_sdk::prelude::*;
//! let users = Table::new("users")
//!     .column(Column::text("instance_id"))
//!     .column(Column::text("id"))
//!     .column(Column::text("username"))
//!     .column(Column::text("display_name").nullable())
//!     .primary_key(["instance_id", "id"])
//!     .index(Index::new("users_username", ["instance_id", "username"]).unique());
//! assert_eq!(users.columns.len(), 4);
//! ```

/// Column types a projection may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer.
    Integer,
    /// 64-bit float.
    Real,
    /// Boolean.
    Boolean,
    /// Point in time, UTC.
    Timestamp,
    /// JSON document.
    Json,
}

/// One column of a read-model table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Column type.
    pub kind: ColumnType,
    /// Whether the column accepts `NULL`; `false` unless [`Column::nullable`].
    pub nullable: bool,
}

impl Column {
    /// A non-null column of type `kind`.
    pub fn new(name: impl Into<String>, kind: ColumnType) -> Self {
        Self {
            name: name.into(),
            kind,
            nullable: false,
        }
    }

    /// A non-null `text` column.
    pub fn text(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// A non-null `integer` column.
    pub fn integer(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Integer)
    }

    /// A non-null `real` column.
    pub fn real(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Real)
    }

    /// A non-null `boolean` column.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Boolean)
    }

    /// A non-null `timestamp` column.
    pub fn timestamp(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Timestamp)
    }

    /// A non-null `json` column.
    pub fn json(name: impl Into<String>) -> Self {
        Self::new(name, ColumnType::Json)
    }

    /// Makes the column accept `NULL`.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
}

/// A secondary index of a read-model table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// Index name, unique within the projection.
    pub name: String,
    /// Indexed columns, in order.
    pub columns: Vec<String>,
    /// Whether the index enforces uniqueness.
    pub unique: bool,
}

impl Index {
    /// A non-unique index over `columns`.
    pub fn new<I, S>(name: impl Into<String>, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            unique: false,
        }
    }

    /// Makes the index unique.
    #[must_use]
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
}

/// A read-model table a projection owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Primary-key columns.
    pub primary_key: Vec<String>,
    /// Secondary indexes.
    pub indexes: Vec<Index>,
}

impl Table {
    /// A table with no columns yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Adds a column.
    #[must_use]
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// Sets the primary key.
    #[must_use]
    pub fn primary_key<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.primary_key = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a secondary index.
    #[must_use]
    pub fn index(mut self, index: Index) -> Self {
        self.indexes.push(index);
        self
    }
}
