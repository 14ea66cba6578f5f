//! PostgreSQL: only pushes hold followers back. A transaction of another
//! application, in this database or another one on the same server, delays
//! nothing; a push that stays open holds followers (nothing may pass it) and
//! shows how long it has been open; nothing is lost when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart::eventstore::{Event, EventQuery, EventStore, Follower, Position};
use sqlx::{Executor, PgConnection};

use super::{agg, push};
use crate::support::{TestDb, postgres_store};

/// How long the foreign transactions stay open while events are pushed.
const HOLD: Duration = Duration::from_secs(10);
/// The slowest a follower may take to see a push: normally milliseconds.
const FOLLOW_LIMIT: Duration = Duration::from_secs(1);

/// Opens a transaction on `conn` that holds a transaction id (it wrote a
/// row, as another application would) and returns that id.
async fn hold_foreign_transaction(conn: &mut PgConnection, write: &str) -> i64 {
    conn.execute("BEGIN").await.unwrap();
    conn.execute(write).await.unwrap();
    sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// The settled horizon of the previous design, `pg_snapshot_xmin`.
async fn server_wide_xmin(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// A follower of every event from the start, relying on notifications.
fn follower(store: &Arc<dyn EventStore>) -> Follower {
    Follower::new(
        store.clone(),
        EventQuery::new(),
        Position::ZERO,
        100,
        Duration::from_secs(30),
    )
}

/// The next batch, or `None` when none came within `limit`.
async fn next_within(follower: &mut Follower, limit: Duration) -> Option<Vec<Event>> {
    match tokio::time::timeout(limit, follower.next_batch()).await {
        Ok(batch) => Some(batch.unwrap()).filter(|b| !b.is_empty()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_of_other_applications_hold_nothing_back() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let store = fixture.store.clone();
    let other_db = TestDb::create().await;

    let mut here = db.connect().await;
    here.execute("CREATE TABLE other_app (n INT)")
        .await
        .unwrap();
    let mut foreign_here = db.connect().await;
    let xid_here =
        hold_foreign_transaction(&mut foreign_here, "INSERT INTO other_app VALUES (1)").await;
    let mut foreign_there = other_db.connect().await;
    let xid_there =
        hold_foreign_transaction(&mut foreign_there, "SELECT pg_current_xact_id()").await;

    let mut follower = follower(&store);
    let started = Instant::now();
    let mut followed = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut n = 0;
    while started.elapsed() < HOLD {
        let pushed = store
            .push(push(&agg("user", &format!("u{n}")), 0, 1))
            .await
            .unwrap();
        if n == 0 {
            // The hazard is real: both foreign transactions are older than
            // the push, so the server-wide xmin would keep it from followers.
            assert!(xid_here < pushed[0].position.tx && xid_there < pushed[0].position.tx);
            assert!(server_wide_xmin(&mut here).await <= xid_here.min(xid_there));
        }
        let pushed_at = Instant::now();
        let batch = next_within(&mut follower, FOLLOW_LIMIT)
            .await
            .unwrap_or_else(|| panic!("push {n} not followed within {FOLLOW_LIMIT:?}"));
        slowest = slowest.max(pushed_at.elapsed());
        assert_eq!(batch, pushed, "the follower sees push {n} at once, alone");
        followed.extend(batch);
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Still open: the server-wide xmin has not moved past them all along.
    assert!(server_wide_xmin(&mut here).await <= xid_here.min(xid_there));
    foreign_here.execute("ROLLBACK").await.unwrap();
    foreign_there.execute("COMMIT").await.unwrap();

    assert!(n >= 20, "only {n} pushes in {HOLD:?}");
    assert!(
        followed.windows(2).all(|w| w[0].position < w[1].position),
        "in position order"
    );
    assert!(slowest < FOLLOW_LIMIT, "slowest follow {slowest:?}");
    eprintln!("{n} pushes followed beside two open foreign transactions; slowest {slowest:?}");
    assert_eq!(store.oldest_open_push().await.unwrap(), None);
    fixture.close().await;
}

/// A push that stays open (a plain `INSERT` into `events`: the statement
/// path is marked by the trigger, not only `rampart_push`) holds followers
/// before it, shows its age, and once it commits comes first, followed by
/// the push that committed meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_push_holds_followers_shows_its_age_and_loses_nothing() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let store = fixture.store.clone();
    let mut follower = follower(&store);

    let mut stuck = db.connect().await;
    // Taken before BEGIN: PostgreSQL's `xact_start` is when the server
    // began the transaction, a round trip before the client hears of it.
    let opened = Instant::now();
    stuck.execute("BEGIN").await.unwrap();
    stuck
        .execute(
            "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, \
                                 tx_index, event_type, revision, payload, creator, created_at) \
             VALUES ('inst-1', 'user', 'stuck', 1, pg_current_xact_id()::text::bigint, 0, \
                     'thing.happened', 1, '{}', 'actor-1', now())",
        )
        .await
        .unwrap();
    let later = store.push(push(&agg("user", "later"), 0, 1)).await.unwrap();

    assert_eq!(
        store.query(&EventQuery::new()).await.unwrap(),
        later,
        "committed, visible to plain reads"
    );
    assert_eq!(
        next_within(&mut follower, Duration::from_millis(1500)).await,
        None,
        "no follower passes the open push"
    );
    let age = store
        .oldest_open_push()
        .await
        .unwrap()
        .expect("the open push is seen");
    assert!(
        age >= Duration::from_secs(1) && age <= opened.elapsed(),
        "open for {age:?}"
    );

    stuck.execute("COMMIT").await.unwrap();
    let mut followed = Vec::new();
    while followed.len() < 2 {
        let batch = next_within(&mut follower, FOLLOW_LIMIT)
            .await
            .expect("followed once the push ended");
        followed.extend(batch);
    }
    let ids: Vec<_> = followed
        .iter()
        .map(|e| e.aggregate.aggregate_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["stuck", "later"],
        "the stuck push first, nothing lost"
    );
    assert_eq!(followed[1], later[0]);
    assert_eq!(store.oldest_open_push().await.unwrap(), None);
    fixture.close().await;
}

/// A transaction that already holds an id when it first writes events or
/// unique values could have been passed by a follower already: refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_must_be_the_first_write_of_its_transaction() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let mut conn = db.connect().await;
    conn.execute("CREATE TABLE other_app (n INT)")
        .await
        .unwrap();
    for write in [
        "INSERT INTO unique_constraints VALUES ('inst-1', 'username', 'late')",
        "INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, tx_id, \
                             tx_index, event_type, revision, payload, creator, created_at) \
         VALUES ('inst-1', 'user', 'late', 1, pg_current_xact_id()::text::bigint, 0, \
                 'thing.happened', 1, '{}', 'actor-1', now())",
    ] {
        conn.execute("BEGIN").await.unwrap();
        conn.execute("INSERT INTO other_app VALUES (1)")
            .await
            .unwrap();
        let refused = conn.execute(write).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code());
        assert_eq!(code.as_deref(), Some("RP003"), "{refused}");
        conn.execute("ROLLBACK").await.unwrap();
    }
    // The same writes as a transaction's first are pushes like any other.
    conn.execute("INSERT INTO unique_constraints VALUES ('inst-1', 'username', 'first')")
        .await
        .unwrap();
    fixture.close().await;
}

/// The order guarantee under churn: the concurrent-writers test of
/// `concurrency.rs` (every event followed exactly once, in order) while
/// transactions of another application start and end all the time beside
/// the pushes, in this database and in another, so that horizons are
/// computed with foreign transactions running, ending and starting around
/// every read.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_misses_nothing_while_foreign_transactions_come_and_go() {
    let fixture = postgres_store().await;
    let db = fixture.db.as_ref().unwrap();
    let other_db = TestDb::create().await;
    let mut setup = db.connect().await;
    setup
        .execute("CREATE TABLE other_app (n INT)")
        .await
        .unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut churners = Vec::new();
    for c in 0..4 {
        let mut conn = if c % 2 == 0 {
            db.connect().await
        } else {
            other_db.connect().await
        };
        let stop = stop.clone();
        churners.push(tokio::spawn(async move {
            let write = if c % 2 == 0 {
                "INSERT INTO other_app VALUES (1)"
            } else {
                "SELECT pg_current_xact_id()"
            };
            let mut transactions = 0_u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                conn.execute("BEGIN").await.unwrap();
                conn.execute(write).await.unwrap();
                tokio::time::sleep(Duration::from_millis(transactions % 4)).await;
                conn.execute("COMMIT").await.unwrap();
                transactions += 1;
            }
            transactions
        }));
    }
    super::concurrency::a_follower_sees_every_event_of_concurrent_writers_exactly_once_in_order(
        fixture.store.clone(),
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut foreign = 0;
    for churner in churners {
        foreign += churner.await.unwrap();
    }
    assert!(
        foreign > 100,
        "only {foreign} foreign transactions ran beside"
    );
    fixture.close().await;
}
