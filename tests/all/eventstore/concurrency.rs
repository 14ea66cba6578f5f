//! Concurrent writers: the global order never loses an event, and optimistic
//! concurrency on one aggregate yields a gap-free history.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rampart::eventstore::{
    EventQuery, EventStore, ExpectedSequence, Follower, Position, Push, StoreError,
};

use super::{agg, events, push};

super::conformance!(
    a_follower_sees_every_event_of_concurrent_writers_exactly_once_in_order,
    contending_writers_on_one_aggregate_leave_a_gap_free_history,
    a_push_wakes_a_waiting_follower_promptly,
    a_follower_of_rare_events_moves_past_the_others_it_skipped,
);

const WRITERS: usize = 16;
const PUSHES_PER_WRITER: usize = 60;

/// Many writers push (1–3 events each, to their own and to shared
/// aggregates) while a follower reads the settled order. The follower must end
/// with exactly the set of stored events, each once, in strictly increasing
/// positions. A reader that simply takes "everything after my last position"
/// fails this on PostgreSQL: a push that got its position earlier but commits
/// later lands behind the reader's cursor (see postgres_only.rs for the
/// deterministic version).
pub async fn a_follower_sees_every_event_of_concurrent_writers_exactly_once_in_order(
    store: Arc<dyn EventStore>,
) {
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut written = 0;
                for i in 0..PUSHES_PER_WRITER {
                    let own = agg("user", &format!("w{w}"));
                    let n = 1 + (i % 3);
                    let p = if i % 5 == 0 {
                        // Also touch a shared aggregate: contention and retries.
                        Push::new(own, ExpectedSequence::Any, events("x.y", n)).and(
                            agg("org", "shared"),
                            ExpectedSequence::Any,
                            events("org.touched", 1),
                        )
                    } else {
                        Push::new(own, ExpectedSequence::Any, events("x.y", n))
                    };
                    let count = p.event_count();
                    match store.push(p).await {
                        Ok(_) => written += count,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("push failed: {e}"),
                    }
                }
                written
            })
        })
        .collect();

    let mut follower = Follower::new(
        store.clone(),
        EventQuery::new(),
        Position::ZERO,
        50,
        Duration::from_millis(50),
    );
    let mut seen = Vec::new();
    let reading = async {
        let mut written = 0;
        let mut finished = false;
        let mut handles = writers;
        loop {
            seen.extend(follower.next_batch().await.unwrap());
            if !finished && handles.iter().all(|h| h.is_finished()) {
                for h in handles.drain(..) {
                    written += h.await.unwrap();
                }
                finished = true;
            }
            if finished && seen.len() >= written {
                // One more read proves nothing else is left.
                seen.extend(follower.next_batch().await.unwrap());
                return written;
            }
        }
    };
    let written = tokio::time::timeout(Duration::from_secs(120), reading)
        .await
        .expect("follower stalled");

    let stored = store.query(&EventQuery::new()).await.unwrap();
    assert_eq!(stored.len(), written);
    assert!(
        seen.windows(2).all(|w| w[0].position < w[1].position),
        "positions strictly increase"
    );
    let unique: HashSet<_> = seen.iter().map(|e| e.position).collect();
    assert_eq!(unique.len(), seen.len(), "no event seen twice");
    assert_eq!(
        seen, stored,
        "the follower saw exactly the stored events, in order"
    );
    // Within each aggregate, position order is sequence order.
    for w in 0..WRITERS {
        let own: Vec<_> = seen
            .iter()
            .filter(|e| e.aggregate == agg("user", &format!("w{w}")))
            .collect();
        assert!(
            own.iter()
                .enumerate()
                .all(|(i, e)| e.sequence == i as u64 + 1)
        );
    }
}

/// Eight writers race on one aggregate with exact expectations, reloading
/// and retrying on conflicts. Every acknowledged event is stored, sequences
/// have no gaps and no duplicates.
pub async fn contending_writers_on_one_aggregate_leave_a_gap_free_history(
    store: Arc<dyn EventStore>,
) {
    let a = agg("org", "contended");
    let tasks = (0..8).map(|_| {
        let (store, a) = (store.clone(), a.clone());
        tokio::spawn(async move {
            let (mut acked, mut conflicts) = (0u64, 0u64);
            while acked < 10 {
                let seq = store.latest_sequence(&a).await.unwrap();
                match store.push(push(&a, seq, 1)).await {
                    Ok(_) => acked += 1,
                    Err(StoreError::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            (acked, conflicts)
        })
    });
    let results = futures::future::join_all(tasks).await;
    let acked: u64 = results.iter().map(|r| r.as_ref().unwrap().0).sum();
    let history = store.query(&EventQuery::aggregate(&a)).await.unwrap();
    assert_eq!(history.len() as u64, acked);
    let seqs: Vec<u64> = history.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=acked).collect::<Vec<_>>());
}

pub async fn a_push_wakes_a_waiting_follower_promptly(store: Arc<dyn EventStore>) {
    super::assert_a_push_wakes_a_follower(&store, store.clone()).await;
}

/// A follower whose filter matches none of the events pushed since its
/// last match still moves its cursor past them (to the settled horizon),
/// so its next read starts there instead of rescanning them all; and it
/// still gets the next event of its own.
pub async fn a_follower_of_rare_events_moves_past_the_others_it_skipped(
    store: Arc<dyn EventStore>,
) {
    let mut follower = Follower::new(
        store.clone(),
        EventQuery::new().aggregate_type("rare"),
        Position::ZERO,
        10,
        Duration::from_millis(100),
    );
    let mut last_common = Position::ZERO;
    for i in 0..20 {
        let stored = store
            .push(push(&agg("common", &format!("c{i}")), 0, 1))
            .await
            .unwrap();
        last_common = stored[0].position;
    }
    assert!(follower.next_batch().await.unwrap().is_empty());
    assert!(
        follower.cursor() >= last_common,
        "the cursor stayed at {} behind the skipped events (last at {last_common})",
        follower.cursor()
    );
    let rare = store.push(push(&agg("rare", "r"), 0, 1)).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..50 {
        got = follower.next_batch().await.unwrap();
        if !got.is_empty() {
            break;
        }
    }
    assert_eq!(got, rare, "the follower still gets its own event");
}
