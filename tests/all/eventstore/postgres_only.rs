//! PostgreSQL-specific guarantees: the settled prefix, and notifications
//! across nodes.

use std::sync::Arc;
use std::time::Duration;

use rampart::eventstore::{EventQuery, EventStore};
use sqlx::{Connection, Executor};

use super::{agg, push};
use crate::support::{postgres_store, postgres_store_on};

/// The hazard, made deterministic: push A takes its position, then push B
/// takes a later one and commits first. A naive reader ("everything after my
/// cursor") sees B, moves its cursor past A, and never sees A. The settled
/// read hides B until A is decided, then returns A before B.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_push_holds_back_later_positions_until_it_commits() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let store = fixture.store.clone();

    let mut a_conn = db.connect().await;
    let mut a_tx = a_conn.begin().await.unwrap();
    a_tx.execute(
        "SELECT * FROM rampart_push(ARRAY['inst-1'], ARRAY['user'], ARRAY['a'], ARRAY[0::bigint], \
         ARRAY[1], ARRAY['user.added'], ARRAY[1::smallint], ARRAY['{}'::jsonb], ARRAY['x'], \
         '{}', '{}', '{}', '{}')",
    )
    .await
    .unwrap();

    let b = store.push(push(&agg("user", "b"), 0, 1)).await.unwrap();

    let naive = store.query(&EventQuery::new()).await.unwrap();
    assert_eq!(
        naive, b,
        "a naive reader already sees B and would move past A"
    );
    let settled = store.query(&EventQuery::new().settled()).await.unwrap();
    assert!(
        settled.is_empty(),
        "B is not settled while A is open: {settled:?}"
    );

    a_tx.commit().await.unwrap();
    // Only pushes to this database hold the horizon back, but a push of
    // another store of this test could still be committing.
    let settled = wait_for_settled(&store, 2).await;
    let ids: Vec<_> = settled
        .iter()
        .map(|e| e.aggregate.aggregate_id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b"], "A comes first, though it committed last");
    assert!(settled[0].position < b[0].position);
    fixture.close().await;
}

async fn wait_for_settled(
    store: &Arc<dyn EventStore>,
    n: usize,
) -> Vec<rampart::eventstore::Event> {
    for _ in 0..500 {
        let settled = store.query(&EventQuery::new().settled()).await.unwrap();
        if settled.len() >= n {
            return settled;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {n} events settled within 5 s");
}

/// A follower on one node is woken by a push on another node of the same
/// database (LISTEN/NOTIFY), long before its poll interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_on_one_node_wakes_a_follower_on_another() {
    let fixture = postgres_store().await;
    let other: Arc<dyn EventStore> =
        Arc::new(postgres_store_on(fixture.db.as_ref().unwrap()).await);
    // Let the other node's listener connect before pushing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    super::assert_a_push_wakes_a_follower(&fixture.store, other.clone()).await;
    other.close().await;
    fixture.close().await;
}
