//! SQLite-specific guarantees: what earlier processes stored counts as
//! committed for a store opened later.

use std::sync::Arc;
use std::time::Duration;

use rampart::config::{Config, SqliteConfig};
use rampart::eventstore::sqlite::SqliteStore;
use rampart::eventstore::{EventQuery, EventStore, Follower, Position};

use super::{agg, push};
use crate::support::limits;

async fn open(dir: &std::path::Path) -> Arc<dyn EventStore> {
    let cfg = SqliteConfig {
        dir: dir.to_path_buf(),
        ..Config::defaults().database.sqlite
    };
    Arc::new(SqliteStore::open(&cfg, limits()).await.expect("open"))
}

/// A regression: the store used to start its committed horizon at zero, so
/// after a restart followers (the spoolers) read nothing until the next push
/// and reads took stale projections for caught up.
#[tokio::test]
async fn a_reopened_store_counts_what_was_stored_before_as_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let stored = store.push(push(&agg("user", "u-1"), 0, 3)).await.unwrap();
    let last = stored.last().unwrap().position;
    store.close().await;
    drop(store);

    let store = open(dir.path()).await;
    assert!(store.settled_horizon().await.unwrap() > last);
    assert!(store.committed_horizon().is_some_and(|h| h >= last));
    let mut follower = Follower::new(
        store.clone(),
        EventQuery::new(),
        Position::ZERO,
        100,
        Duration::from_millis(50),
    );
    let events = follower.next_batch().await.unwrap();
    assert_eq!(events, stored, "a follower reads them without a new push");
}
