//! The spoolers in-process, over real stores and the compiled
//! `echo-projection` plugin: a failing event is retried, then recorded and
//! skipped while the rest continues.

use std::sync::Arc;
use std::time::Duration;

use rampart::config::{Config, ProjectionsConfig};
use rampart::eventstore::{AggregateRef, EventStore, ExpectedSequence, NewEvent, Position, Push};
use rampart::plugins::PluginRegistry;
use rampart::readmodel::ReadStore;
use rampart::spooler::{Leadership, Spoolers};
use serde_json::json;

use crate::plugins::registry_with;
use crate::support::{StoreFixture, postgres_store, sqlite_store};

/// A store, its read models, a registry with some test plugins and the
/// spoolers over them.
pub struct Node {
    pub fixture: StoreFixture,
    pub readstore: ReadStore,
    pub registry: Arc<PluginRegistry>,
    pub spoolers: Arc<Spoolers>,
    _dir: tempfile::TempDir,
}

/// Projection settings quick enough for tests.
pub fn projections() -> ProjectionsConfig {
    ProjectionsConfig {
        max_attempts: 3,
        retry_delay: Duration::from_millis(10),
        requeue_interval: Duration::from_millis(100),
        leader_retry: Duration::from_millis(200),
        leader_lease: Duration::from_secs(2),
        ..Config::defaults().projections
    }
}

impl Node {
    /// A node on SQLite (`postgres: false`) or a fresh PostgreSQL database.
    pub async fn start(postgres: bool, plugins: &[&str]) -> Node {
        let (dir, registry) = registry_with(
            plugins,
            "Shipped: false\nWatch: false\necho-projection:\n  Grants: [clock]\n",
        );
        let registry = Arc::new(registry);
        let fixture = if postgres {
            postgres_store().await
        } else {
            sqlite_store().await
        };
        let readstore = match &fixture.db {
            Some(db) => {
                let pool = sqlx::PgPool::connect_with(pg_options(db)).await.unwrap();
                ReadStore::postgres(pool)
            }
            None => {
                let sqlite = rampart::config::SqliteConfig {
                    dir: dir.path().to_path_buf(),
                    ..Config::defaults().database.sqlite
                };
                ReadStore::sqlite(&sqlite).await.unwrap()
            }
        };
        let leadership = match &fixture.db {
            Some(db) => Leadership::postgres(pg_options(db), projections().leader_lease),
            None => Leadership::Local,
        };
        let spoolers = Spoolers::start(
            fixture.store.clone(),
            readstore.clone(),
            registry.clone(),
            leadership,
            projections(),
        )
        .await;
        Node {
            fixture,
            readstore,
            registry,
            spoolers,
            _dir: dir,
        }
    }

    /// The eventstore.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.fixture.store
    }

    /// Pushes one `test.*` event to aggregate `id`; returns its position.
    pub async fn push(&self, id: &str, event_type: &str, payload: serde_json::Value) -> Position {
        let aggregate = AggregateRef::new("i1", "test", id);
        let events = self
            .store()
            .push(Push::new(
                aggregate,
                ExpectedSequence::Any,
                vec![NewEvent::new(event_type, payload, "tester")],
            ))
            .await
            .expect("push");
        events[0].position
    }
}

/// Connection options of a test database.
pub fn pg_options(db: &crate::support::TestDb) -> sqlx::postgres::PgConnectOptions {
    let c = db.config();
    sqlx::postgres::PgConnectOptions::new()
        .host(&c.host)
        .port(c.port)
        .username(&c.user)
        .password(&c.password)
        .database(&c.database)
}

async fn a_failing_event_is_retried_then_skipped(postgres: bool) {
    let node = Node::start(postgres, &["echo-projection"]).await;
    for n in 0..3 {
        node.push(&format!("a{n}"), "test.created", json!({ "n": n }))
            .await;
    }
    let bad = node.push("b", "test.fail", json!({})).await;
    for n in 3..6 {
        node.push(&format!("a{n}"), "test.created", json!({ "n": n }))
            .await;
    }
    let last = node
        .push("c", "test.created", json!({ "poison": false }))
        .await;
    let generation = node
        .spoolers
        .wait_for("echo-projection", last)
        .await
        .expect("the projection gets past the failing event");
    let rows = node
        .readstore
        .dump(&generation, "echo_events")
        .await
        .unwrap();
    assert_eq!(rows.len(), 7, "every other event is projected");

    let failures = node
        .readstore
        .failures("echo-projection", 10)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let failure = &failures[0];
    assert_eq!(failure.position, bad);
    assert!(failure.skipped);
    assert_eq!(failure.attempts, projections().max_attempts);
    assert_eq!(failure.event_type, "test.fail");
    assert!(
        failure.error.contains("refusing test.fail"),
        "{}",
        failure.error
    );

    let status = node.spoolers.status().await.unwrap();
    let echo = status.iter().find(|p| p.name == "echo-projection").unwrap();
    assert_eq!(echo.failed_events, 1);
    assert_eq!(echo.generations[0].lag_events, 0);
    node.spoolers.stop().await;
    node.fixture.close().await;
}

#[tokio::test]
async fn a_failing_event_is_retried_then_skipped_on_sqlite() {
    a_failing_event_is_retried_then_skipped(false).await;
}

#[tokio::test]
async fn a_failing_event_is_retried_then_skipped_on_postgres() {
    a_failing_event_is_retried_then_skipped(true).await;
}
