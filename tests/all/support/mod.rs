//! Fixtures: fresh stores on both backends, and the real server binary.

mod api;
mod cluster;
mod pg;
mod server;
mod smtp;

pub use api::{Answer, Api, grpc_channel, grpc_request, user_body};
pub use cluster::SecondCluster;
pub use pg::TestDb;
pub use server::{TestServer, rampart_command};
pub use smtp::SmtpServer;

use std::sync::Arc;

/// The masterkey of PostgreSQL test servers: 32 random characters (a
/// human-chosen key is refused).
pub const TEST_MASTERKEY: &str = "Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe";
/// Another valid masterkey, for mismatches and rotations.
pub const OTHER_MASTERKEY: &str = "pR8sK2mN6vX0cQ4wE9tY3uI7oA1dF5gH";

use rampart::config::{Config, SqliteConfig};
use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::sqlite::SqliteStore;
use rampart::eventstore::{EventStore, Limits};

/// A store under test plus whatever keeps its storage alive.
pub struct StoreFixture {
    /// The store.
    pub store: Arc<dyn EventStore>,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database, for backend-specific checks.
    pub db: Option<TestDb>,
}

impl StoreFixture {
    /// Closes the store (and drops the database).
    pub async fn close(self) {
        self.store.close().await;
    }
}

/// Test limits: small enough to hit in a test.
pub fn limits() -> Limits {
    Limits {
        max_payload_bytes: 64 * 1024,
        max_events_per_push: 100,
    }
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite_store() -> StoreFixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = SqliteConfig {
        dir: dir.path().to_path_buf(),
        ..Config::defaults().database.sqlite
    };
    let store = SqliteStore::open(&cfg, limits())
        .await
        .expect("open sqlite store");
    StoreFixture {
        store: Arc::new(store),
        _dir: Some(dir),
        db: None,
    }
}

/// A fresh PostgreSQL store in its own database.
pub async fn postgres_store() -> StoreFixture {
    let db = TestDb::create().await;
    let store = postgres_store_on(&db).await;
    StoreFixture {
        store: Arc::new(store),
        _dir: None,
        db: Some(db),
    }
}

/// A (further) store node on an existing test database, migrated.
pub async fn postgres_store_on(db: &TestDb) -> PostgresStore {
    let mut es = Config::defaults().eventstore;
    let l = limits();
    es.max_payload_bytes = l.max_payload_bytes;
    es.max_events_per_push = l.max_events_per_push;
    let store = PostgresStore::connect(&db.config(), &es)
        .await
        .expect("connect postgres");
    store.migrate().await.expect("migrate postgres");
    store
}
