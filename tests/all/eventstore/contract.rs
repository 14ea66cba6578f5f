//! Pushing: sequences, positions, optimistic concurrency, atomicity, limits.

use std::sync::Arc;

use rampart::eventstore::{EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError};
use serde_json::json;

use super::{agg, events, push};

super::conformance!(
    push_assigns_gap_free_sequences_and_increasing_positions,
    stale_expected_sequence_is_a_conflict_that_stores_nothing,
    expected_sequence_ahead_of_the_store_is_a_conflict,
    any_expectation_appends_after_whatever_is_there,
    multi_aggregate_push_is_all_or_nothing,
    payloads_round_trip_exactly,
    oversized_payload_is_rejected_naming_the_limit,
    malformed_pushes_are_rejected_with_a_reason,
    latest_sequence_follows_pushes,
    every_push_shape_checks_its_expectation,
    a_committed_horizon_covers_every_answered_push,
);

pub async fn push_assigns_gap_free_sequences_and_increasing_positions(store: Arc<dyn EventStore>) {
    let (a, b) = (agg("user", "a"), agg("org", "b"));
    let stored = store
        .push(push(&a, 0, 3).and(
            b.clone(),
            ExpectedSequence::Exact(0),
            events("org.added", 2),
        ))
        .await
        .unwrap();
    assert_eq!(stored.len(), 5);
    let seqs: Vec<_> = stored
        .iter()
        .map(|e| (e.aggregate.aggregate_id.as_str(), e.sequence))
        .collect();
    assert_eq!(seqs, [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)]);
    assert!(stored.windows(2).all(|w| w[0].position < w[1].position));
    assert!(
        stored
            .iter()
            .all(|e| e.position.tx == stored[0].position.tx),
        "one push, one tx"
    );
    assert!(stored.iter().all(|e| e.created_at == stored[0].created_at));

    let more = store.push(push(&a, 3, 1)).await.unwrap();
    assert_eq!(more[0].sequence, 4);
    assert!(more[0].position > stored[4].position);

    let read = store
        .query(&EventQuery::new().instance("inst-1"))
        .await
        .unwrap();
    assert_eq!(read.len(), 6);
    assert_eq!(read[..5], stored[..]);
    assert_eq!(read[5], more[0]);
}

pub async fn stale_expected_sequence_is_a_conflict_that_stores_nothing(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    store.push(push(&a, 0, 2)).await.unwrap();
    let err = store.push(push(&a, 1, 1)).await.unwrap_err();
    match &err {
        StoreError::Conflict {
            aggregate,
            expected,
            actual,
        } => {
            assert_eq!(aggregate, &a);
            assert_eq!(*expected, 1);
            assert_eq!(actual, "2");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(
        err.to_string().contains("expected sequence 1, found 2"),
        "{err}"
    );
    assert_eq!(store.latest_sequence(&a).await.unwrap(), 2);
}

pub async fn expected_sequence_ahead_of_the_store_is_a_conflict(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    let err = store.push(push(&a, 5, 1)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { expected: 5, .. }),
        "{err:?}"
    );
    assert_eq!(
        store.latest_sequence(&a).await.unwrap(),
        0,
        "no gap was written"
    );
}

pub async fn any_expectation_appends_after_whatever_is_there(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    store.push(push(&a, 0, 2)).await.unwrap();
    let stored = store
        .push(Push::new(
            a.clone(),
            ExpectedSequence::Any,
            events("thing.noted", 2),
        ))
        .await
        .unwrap();
    assert_eq!(
        stored.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [3, 4]
    );
}

pub async fn multi_aggregate_push_is_all_or_nothing(store: Arc<dyn EventStore>) {
    let (a, b) = (agg("user", "a"), agg("user", "b"));
    store.push(push(&b, 0, 1)).await.unwrap();
    // `a` is fine, `b` is stale: neither may be written.
    let err = store
        .push(push(&a, 0, 2).and(b.clone(), ExpectedSequence::Exact(0), events("x.y", 1)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { aggregate, .. } if aggregate == &b),
        "{err:?}"
    );
    assert_eq!(store.latest_sequence(&a).await.unwrap(), 0);
    assert_eq!(store.latest_sequence(&b).await.unwrap(), 1);
}

pub async fn payloads_round_trip_exactly(store: Arc<dyn EventStore>) {
    let a = agg("user", "ü-1");
    let payload = json!({
        "name": "Zoë 🦀 \"quoted\" \\ back",
        "nested": { "list": [1, 2.5, null, true], "empty": {} },
        "big": 9_007_199_254_740_991_i64,
    });
    let mut e = NewEvent::new("user.human.added", payload.clone(), "admin");
    e.revision = 3;
    store
        .push(Push::new(a.clone(), ExpectedSequence::Exact(0), vec![e]))
        .await
        .unwrap();
    let read = store.query(&EventQuery::aggregate(&a)).await.unwrap();
    assert_eq!(read[0].payload, payload);
    assert_eq!(read[0].revision, 3);
    assert_eq!(read[0].creator, "admin");
    assert_eq!(read[0].event_type, "user.human.added");
}

pub async fn oversized_payload_is_rejected_naming_the_limit(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    let big = json!({ "blob": "x".repeat(70 * 1024) });
    let err = store
        .push(Push::new(
            a.clone(),
            ExpectedSequence::Exact(0),
            vec![NewEvent::new("user.bloated", big, "x")],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PayloadTooLarge { limit: 65536, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Eventstore.MaxPayloadBytes"),
        "{err}"
    );
    assert_eq!(store.latest_sequence(&a).await.unwrap(), 0);
}

pub async fn malformed_pushes_are_rejected_with_a_reason(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    let cases = [
        (Push::default(), "at least one event"),
        (
            push(&a, 0, 1).and(a.clone(), ExpectedSequence::Any, events("x", 1)),
            "appears twice",
        ),
        (
            push(&agg("user", ""), 0, 1),
            "needs an instance id, a type and an id",
        ),
        (
            Push::new(a.clone(), ExpectedSequence::Exact(0), vec![]),
            "has no events",
        ),
        (push(&a, 0, 101), "Eventstore.MaxEventsPerPush"),
        (
            Push::new(
                a.clone(),
                ExpectedSequence::Exact(0),
                vec![NewEvent::new("x", json!({"s": "a\u{0}b"}), "x")],
            ),
            "NUL character",
        ),
    ];
    for (bad, reason) in cases {
        let err = store.push(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidPush(_)), "{err:?}");
        assert!(
            err.to_string().contains(reason),
            "{err} should say {reason}"
        );
    }
    assert!(store.query(&EventQuery::new()).await.unwrap().is_empty());
}

/// Where a store claims a committed horizon (SQLite: one node makes every
/// commit), every push that has answered lies at or below it, even while
/// other pushes run; where it cannot know (PostgreSQL), it claims none.
pub async fn a_committed_horizon_covers_every_answered_push(store: Arc<dyn EventStore>) {
    if store.backend() == "postgres" {
        assert_eq!(store.committed_horizon(), None);
        return;
    }
    let pushes = (0..32).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let stored = store
                .push(push(&agg("user", &format!("h{i}")), 0, 2))
                .await
                .unwrap();
            let horizon = store
                .committed_horizon()
                .expect("a single-node store knows");
            assert!(
                horizon >= stored.last().unwrap().position,
                "answered at {:?} above the horizon {horizon:?}",
                stored.last().unwrap().position
            );
        })
    });
    for pushed in futures::future::join_all(pushes).await {
        pushed.unwrap();
    }
}

pub async fn latest_sequence_follows_pushes(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    assert_eq!(store.latest_sequence(&a).await.unwrap(), 0);
    store.push(push(&a, 0, 3)).await.unwrap();
    assert_eq!(store.latest_sequence(&a).await.unwrap(), 3);
    assert_eq!(
        store.latest_sequence(&agg("user", "other")).await.unwrap(),
        0
    );
}

/// One event or several, one aggregate or two, new or appended: each shape
/// checks its expected sequence and reports the sequence actually found.
pub async fn every_push_shape_checks_its_expectation(store: Arc<dyn EventStore>) {
    let (a, b) = (agg("user", "a"), agg("user", "b"));
    store.push(push(&a, 0, 1)).await.unwrap();
    let appended = store.push(push(&a, 1, 3)).await.unwrap();
    assert_eq!(
        appended.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [2, 3, 4]
    );

    for stale in [
        push(&a, 0, 1),
        push(&a, 0, 2),
        push(&a, 2, 1),
        push(&a, 3, 2),
        push(&a, 9, 1),
    ] {
        match store.push(stale.clone()).await.unwrap_err() {
            StoreError::Conflict { actual, .. } => assert_eq!(actual, "4", "{stale:?}"),
            other => panic!("expected a conflict for {stale:?}, got {other:?}"),
        }
    }

    store.push(push(&b, 0, 1)).await.unwrap();
    let both_stale_b = push(&a, 4, 1).and(b.clone(), ExpectedSequence::Exact(0), events("x.y", 1));
    let err = store.push(both_stale_b).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { aggregate, .. } if aggregate == &b),
        "{err:?}"
    );
    let both_ahead_b = push(&a, 4, 1).and(b.clone(), ExpectedSequence::Exact(5), events("x.y", 1));
    let err = store.push(both_ahead_b).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { aggregate, .. } if aggregate == &b),
        "{err:?}"
    );
    assert_eq!(
        store.latest_sequence(&a).await.unwrap(),
        4,
        "nothing of the failed pushes stored"
    );
    assert_eq!(store.latest_sequence(&b).await.unwrap(), 1);

    let both_fine = push(&a, 4, 1).and(b.clone(), ExpectedSequence::Exact(1), events("x.y", 2));
    let stored = store.push(both_fine).await.unwrap();
    assert_eq!(
        stored.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [5, 2, 3]
    );
}
