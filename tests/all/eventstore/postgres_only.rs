//! PostgreSQL-specific guarantees: the settled prefix, and notifications
//! across nodes.

use std::sync::Arc;
use std::time::Duration;

use rampart::eventstore::{
    EventQuery, EventStore, ExpectedSequence, Follower, Position, Push, StoreError,
};
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
    let a_tx = open_push_of_a(&mut a_conn).await;

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

/// A push that PostgreSQL picks as a deadlock victim is retried, and then
/// gets its own outcome (the value is taken), not a database error: a
/// foreign transaction holds `y`, the push claims `x` then waits for `y`,
/// and the foreign transaction then claims `x`. The push waits the default
/// deadlock timeout; the foreign session waits longer, so the push is the
/// one rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_rolled_back_by_a_deadlock_is_retried() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let mut foreign = db.connect().await;
    foreign
        .execute("SET deadlock_timeout = '10s'")
        .await
        .unwrap();
    let mut tx = foreign.begin().await.unwrap();
    tx.execute("INSERT INTO unique_constraints VALUES ('inst-1', 'username', 'y')")
        .await
        .unwrap();

    let store = fixture.store.clone();
    let pushing = tokio::spawn(async move {
        store
            .push(
                push(&agg("user", "a"), 0, 1)
                    .claim("inst-1", "username", "x", "x is taken")
                    .claim("inst-1", "username", "y", "y is taken"),
            )
            .await
    });
    // Let the push claim x and wait for y.
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.execute("INSERT INTO unique_constraints VALUES ('inst-1', 'username', 'x')")
        .await
        .expect("the push, not this session, is the deadlock victim");
    tx.commit().await.unwrap();

    let outcome = tokio::time::timeout(Duration::from_secs(10), pushing)
        .await
        .expect("the push ends")
        .unwrap();
    match outcome {
        Err(StoreError::UniqueTaken { value, .. }) => assert_eq!(value, "x"),
        other => panic!("expected the retried push to find x taken, got {other:?}"),
    }
    assert_eq!(
        fixture
            .store
            .latest_sequence(&agg("user", "a"))
            .await
            .unwrap(),
        0
    );
    fixture.close().await;
}

/// A server whose default isolation is `serializable` changes nothing: the
/// store pins read committed on its connections, so concurrent pushes to
/// neighbouring aggregates all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_serializable_server_default_does_not_fail_pushes() {
    let db = crate::support::TestDb::create().await;
    db.connect()
        .await
        .execute(
            format!(
                "ALTER DATABASE {} SET default_transaction_isolation = 'serializable'",
                db.name
            )
            .as_str(),
        )
        .await
        .unwrap();
    let store = Arc::new(postgres_store_on(&db).await);
    let (isolation,): (String,) = sqlx::query_as("SHOW transaction_isolation")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(isolation, "read committed");

    // Concurrent writers of neighbouring aggregates: under serializable,
    // their reads and inserts on the same index pages conflict.
    let counters: Vec<_> = (0..4).map(|w| agg("counter", &format!("c{w}"))).collect();
    let writers = counters.iter().cloned().map(|counter| {
        let store = store.clone();
        tokio::spawn(async move {
            for sequence in 0..10 {
                store
                    .push(Push::new(
                        counter.clone(),
                        ExpectedSequence::Exact(sequence),
                        super::events("counter.incremented", 1),
                    ))
                    .await?;
            }
            Ok::<_, StoreError>(())
        })
    });
    for result in futures::future::join_all(writers).await {
        result.unwrap().expect("every push succeeds");
    }
    for counter in &counters {
        assert_eq!(store.latest_sequence(counter).await.unwrap(), 10);
    }
    store.close().await;
}

/// A follower polling only every 30 s: the next batch it reads, with how
/// long it waited for it.
fn slow_follower(
    store: Arc<dyn EventStore>,
) -> tokio::task::JoinHandle<(Vec<rampart::eventstore::Event>, Duration)> {
    let mut follower = Follower::new(
        store,
        EventQuery::new(),
        Position::ZERO,
        10,
        Duration::from_secs(30),
    );
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let mut seen = Vec::new();
        // Until both events are read: the first read may return one.
        while seen.len() < 2 {
            seen.extend(follower.next_batch().await.unwrap());
        }
        (seen, started.elapsed())
    })
}

/// The wake-up of a late commit: push A takes a lower position and stays
/// open, push B commits and notifies, A commits last and another node
/// announces it with A's lower position. The follower, which could not read
/// B while A was open, is woken by A's announcement, not by its poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_announced_after_a_later_position_wakes_followers() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let store = fixture.store.clone();
    tokio::time::sleep(Duration::from_millis(300)).await; // the listener connects

    let mut a_conn = db.connect().await;
    let mut a_tx = open_push_of_a(&mut a_conn).await;
    let waiting = slow_follower(store.clone());
    let b = store.push(push(&agg("user", "b"), 0, 1)).await.unwrap();
    // The follower is woken by B, cannot read it, retries, and waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (a_position,): (i64,) = sqlx::query_as("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *a_tx)
        .await
        .unwrap();
    assert!(a_position < b[0].position.tx, "A's position is lower");
    a_tx.commit().await.unwrap();
    a_conn
        .execute(format!("NOTIFY rampart_events, '{a_position}.0'").as_str())
        .await
        .unwrap();

    let (seen, waited) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("woken long before the 30 s poll")
        .unwrap();
    let ids: Vec<_> = seen
        .iter()
        .map(|e| e.aggregate.aggregate_id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    fixture.close().await;
}

/// Any role of the database can send a notification on the channel; one
/// announcing the largest position does not silence later wake-ups.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_notification_does_not_silence_followers() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // the listener connects
    db.connect()
        .await
        .execute("NOTIFY rampart_events, '9223372036854775807.0'")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other: Arc<dyn EventStore> = Arc::new(postgres_store_on(db).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A push on this node, and one on another node, each wake the follower.
    let waiting = slow_follower(fixture.store.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    fixture
        .store
        .push(push(&agg("user", "a"), 0, 1))
        .await
        .unwrap();
    other.push(push(&agg("user", "b"), 0, 1)).await.unwrap();
    let (seen, waited) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("woken long before the 30 s poll")
        .unwrap();
    assert_eq!(seen.len(), 2);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    other.close().await;
    fixture.close().await;
}

/// A push of user `a`, left open on `conn`: its position is taken, its
/// event not committed.
async fn open_push_of_a(conn: &mut sqlx::PgConnection) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut tx = conn.begin().await.unwrap();
    tx.execute(
        "SELECT * FROM rampart_push(ARRAY['inst-1'], ARRAY['user'], ARRAY['a'], ARRAY[0::bigint], \
         ARRAY[1], ARRAY['user.added'], ARRAY[1::smallint], ARRAY['{}'::jsonb], ARRAY['x'], \
         '{}', '{}', '{}', '{}')",
    )
    .await
    .unwrap();
    tx
}
