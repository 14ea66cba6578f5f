//! The eventstore conformance suite: every test here runs against SQLite and
//! against PostgreSQL, each on a fresh store.

mod concurrency;
mod contract;
mod postgres_only;
mod query;
mod unique;

use rampart::eventstore::{AggregateRef, ExpectedSequence, NewEvent, Push};
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
