//! Active invalidation on every node.
//!
//! The node that pushes an instance's, an organization's or a milestone's
//! events invalidates their cached objects at once (read your own writes).
//! Every node, that one included, also follows those events in the
//! eventstore — woken by the store's notifications, which reach every node
//! (PostgreSQL `NOTIFY`) — and invalidates them too. So the memory
//! connector, which each node keeps for itself, is invalidated everywhere
//! within the notification delay; and a shared connector is invalidated
//! even when the pushing node died between its commit and its invalidation.
//!
//! Invalidation alone cannot stop a slow reader from setting what it loaded
//! *before* a change *after* the change invalidated it. So every cached
//! object carries the position of its newest event, and an entry older than
//! an event seen on its aggregate is treated as a miss
//! ([`super::Caches::is_stale`]).

use std::sync::Arc;
use std::time::Duration;

use super::Caches;
use crate::eventstore::{EventQuery, EventStore, Follower};
use crate::milestone;

/// Events read per batch.
const BATCH: u32 = 500;
/// How long a notification waits for the pushes of the same moment, so
/// they are read in one query.
const COALESCE: Duration = Duration::from_millis(2);
/// Pause after a failed read of the eventstore.
const RETRY: Duration = Duration::from_millis(200);

/// The running invalidation of one node; dropping it stops it.
pub struct Invalidation {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Invalidation {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Follows the cached objects' events from the store's current end and
/// invalidates what they change, until dropped. Returns once the starting
/// point is known, so nothing pushed after this call is missed.
///
/// # Errors
/// The store's error when its end cannot be read.
pub async fn follow(
    caches: Arc<Caches>,
    store: Arc<dyn EventStore>,
    poll_interval: Duration,
) -> Result<Invalidation, crate::eventstore::StoreError> {
    let filter = EventQuery::new()
        .aggregate_type("instance")
        .aggregate_type("org")
        .aggregate_type(milestone::AGGREGATE_TYPE);
    let end = store
        .positions(&filter.clone().descending().limit(1).settled())
        .await?
        .pop()
        .unwrap_or_default();
    caches.advance(end);
    let mut follower = Follower::new(store, filter, end, BATCH, poll_interval)
        .coalesce(COALESCE)
        .without_quick_retries();
    let task = tokio::spawn(async move {
        loop {
            match follower.next_batch().await {
                Ok(events) => {
                    caches.invalidate_for(&events).await;
                    caches.advance(follower.cursor());
                }
                Err(error) => {
                    tracing::warn!("cache invalidation cannot read the eventstore: {error}");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    });
    Ok(Invalidation { task })
}
