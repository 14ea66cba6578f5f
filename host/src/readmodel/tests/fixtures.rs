//! What the read-model tests share: a store on each backend, a declaration,
//! and shorthands for statements and events.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use sqlx::{ConnectOptions, Executor};

use crate::config::Config;
use crate::eventstore::{AggregateRef, Event, Position};
use crate::plugins::types::{
    Column, ColumnType, Delete, Field, Index, Insert, Statement, Table, Update, Upsert, Value,
};
use crate::readmodel::{Applied, Backend, Generation, ReadStore};
use crate::test_pg::options;

/// The projection every test uses (a hyphen, as plugin names have).
pub(crate) const PROJECTION: &str = "user-list";

/// A store on a fresh database, removed when dropped.
pub(crate) struct Harness {
    pub(crate) store: ReadStore,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl Harness {
    /// A store in a temporary directory.
    pub(crate) async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = Config::defaults().database.sqlite;
        cfg.dir = dir.path().join("data");
        let store = ReadStore::sqlite(&cfg)
            .await
            .expect("open SQLite read store");
        Self {
            store,
            _dir: Some(dir),
            pg_database: None,
        }
    }

    /// A store on a database of its own on the local PostgreSQL, migrated
    /// with the eventstore's migrator (which carries the bookkeeping tables).
    pub(crate) async fn postgres() -> Self {
        let (name, pool) = crate::test_pg::migrated_database("rampart_rm", 4).await;
        Self {
            store: ReadStore::postgres(pool),
            _dir: None,
            pg_database: Some(name),
        }
    }

    /// The PostgreSQL pool, when the store is on PostgreSQL.
    pub(crate) fn pg_pool(&self) -> Option<&PgPool> {
        match &self.store.backend {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let Some(name) = self.pg_database.take() else {
            return;
        };
        // Drop runs outside async context: a throwaway runtime on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut admin = options("postgres").connect().await.ok()?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Generates, for each named `async fn(&Harness)`, a test on SQLite and one
/// on PostgreSQL (`<file>::sqlite::<name>`, `<file>::postgres::<name>`).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let harness = $crate::readmodel::tests::fixtures::Harness::sqlite().await;
                    super::$test(&harness).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let harness = $crate::readmodel::tests::fixtures::Harness::postgres().await;
                    super::$test(&harness).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

fn column(name: &str, kind: ColumnType, nullable: bool) -> Column {
    Column {
        name: name.into(),
        kind,
        nullable,
    }
}

/// `users`: one column of every type, keyed by `id`, indexed by `name`.
pub(crate) fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            column("id", ColumnType::Text, false),
            column("name", ColumnType::Text, false),
            column("age", ColumnType::Integer, true),
            column("score", ColumnType::Real, true),
            column("active", ColumnType::Boolean, true),
            column("created", ColumnType::Timestamp, true),
            column("meta", ColumnType::Json, true),
        ],
        primary_key: vec!["id".into()],
        indexes: vec![Index {
            name: "by_name".into(),
            columns: vec!["name".into()],
            unique: false,
        }],
    }
}

/// `tags`: a composite key and nothing else.
pub(crate) fn tags() -> Table {
    Table {
        name: "tags".into(),
        columns: vec![
            column("user_id", ColumnType::Text, false),
            column("tag", ColumnType::Text, false),
        ],
        primary_key: vec!["user_id".into(), "tag".into()],
        indexes: vec![],
    }
}

/// Generation 1 of [`PROJECTION`], version 1.0.0, tables [`users`] and [`tags`].
pub(crate) async fn first_generation(store: &ReadStore) -> Generation {
    store
        .begin_generation(PROJECTION, "1.0.0", &[users(), tags()])
        .await
        .expect("begin generation")
}

/// A text value.
pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// A column and its value.
pub(crate) fn field(column: &str, value: Value) -> Field {
    Field {
        column: column.into(),
        value,
    }
}

/// Inserts a user with an id and a name.
pub(crate) fn insert_user(id: &str, name: &str) -> Statement {
    Statement::Insert(Insert {
        table: "users".into(),
        fields: vec![field("id", text(id)), field("name", text(name))],
    })
}

/// An insert into `table`.
pub(crate) fn insert(table: &str, fields: Vec<Field>) -> Statement {
    Statement::Insert(Insert {
        table: table.into(),
        fields,
    })
}

/// An upsert into `table` on `conflict`.
pub(crate) fn upsert(table: &str, fields: Vec<Field>, conflict: &[&str]) -> Statement {
    Statement::Upsert(Upsert {
        table: table.into(),
        fields,
        conflict: conflict.iter().map(|c| (*c).into()).collect(),
    })
}

/// An update of `table`.
pub(crate) fn update(table: &str, set: Vec<Field>, filter: Vec<Field>) -> Statement {
    Statement::Update(Update {
        table: table.into(),
        set,
        filter,
    })
}

/// A delete from `table`.
pub(crate) fn delete(table: &str, filter: Vec<Field>) -> Statement {
    Statement::Delete(Delete {
        table: table.into(),
        filter,
    })
}

/// Position `tx.0`.
pub(crate) fn at(tx: i64) -> Position {
    Position::new(tx, 0)
}

/// The statements of the event at position `tx.0`.
pub(crate) fn item(tx: i64, statements: Vec<Statement>) -> Applied {
    Applied {
        position: at(tx),
        statements,
    }
}

/// An event at position `tx.0`.
pub(crate) fn event(tx: i64) -> Event {
    Event {
        position: at(tx),
        aggregate: AggregateRef::new("instance-1", "user", format!("user-{tx}")),
        sequence: 1,
        event_type: "user.added".into(),
        revision: 1,
        payload: serde_json::json!({}),
        creator: "tester".into(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// The ids in `rows`, in order.
pub(crate) fn ids(rows: &[crate::readmodel::Row]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}
