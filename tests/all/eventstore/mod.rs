//! The eventstore conformance suite: every test here runs against SQLite and
//! against PostgreSQL, each on a fresh store.

mod concurrency;
mod contract;
mod foreign_tx;
mod group_commit;
mod postgres_only;
mod query;
mod sqlite_only;
mod unique;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, Follower, NewEvent, Position, Push,
};
use serde_json::json;

/// Generates `sqlite::<name>` and `postgres::<name>` tests calling the
/// enclosing module's `<name>(store)` on a fresh store of each backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = crate::support::sqlite_store().await;
                    super::$name(fixture.store.clone()).await;
                    fixture.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let fixture = crate::support::postgres_store().await;
                    super::$name(fixture.store.clone()).await;
                    fixture.close().await;
                }
            )*
        }
    };
}
pub(crate) use conformance;

/// An aggregate of the test instance.
pub fn agg(kind: &str, id: &str) -> AggregateRef {
    AggregateRef::new("inst-1", kind, id)
}

/// `n` events of type `t` with payloads `{"n": i}`.
pub fn events(t: &str, n: usize) -> Vec<NewEvent> {
    (0..n)
        .map(|i| NewEvent::new(t, json!({ "n": i }), "actor-1"))
        .collect()
}

/// A push of `n` events to `a`, expecting `expected`.
pub fn push(a: &AggregateRef, expected: u64, n: usize) -> Push {
    Push::new(
        a.clone(),
        ExpectedSequence::Exact(expected),
        events("thing.happened", n),
    )
}

/// A follower on `followed` (polling only every 30 s) waits; one event is
/// pushed through `pusher`; the follower must get it within 5 s, i.e. woken
/// by a notification rather than by its poll.
pub async fn assert_a_push_wakes_a_follower(
    pusher: &Arc<dyn EventStore>,
    followed: Arc<dyn EventStore>,
) {
    let mut follower = Follower::new(
        followed,
        EventQuery::new(),
        Position::ZERO,
        10,
        Duration::from_secs(30),
    );
    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        (follower.next_batch().await.unwrap(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    pusher.push(push(&agg("user", "a"), 0, 1)).await.unwrap();
    let (batch, waited) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.len(), 1);
    assert!(
        waited < Duration::from_secs(5),
        "woken by a notification, not the 30 s poll: {waited:?}"
    );
}
