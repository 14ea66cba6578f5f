//! Failed events: attempts counted, skipping moves the position past them.

use super::fixtures::*;
use crate::eventstore::Position;
use crate::readmodel::ApplyError;

on_both_backends!(
    failures_are_counted_per_event,
    skipping_marks_the_failure_and_moves_the_position,
    skipping_from_a_stale_position_records_nothing,
    failures_list_newest_first_up_to_the_limit,
);

async fn failures_are_counted_per_event(h: &Harness) {
    // Given a generation and an event its plugin cannot project
    let store = &h.store;
    let g = first_generation(store).await;

    // When it fails three times
    let mut counts = Vec::new();
    for error in ["boom 1", "boom 2", "boom 3"] {
        counts.push(store.record_failure(&g, &event(7), error).await.unwrap());
    }

    // Then the attempts count up and the latest error is kept
    assert_eq!(counts, [1, 2, 3]);
    let failures = store.failures(PROJECTION, 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    let f = &failures[0];
    assert_eq!((f.attempts, f.skipped), (3, false));
    assert_eq!(f.error, "boom 3");
    assert_eq!(f.position, at(7));
    assert_eq!((f.generation, f.sequence), (1, 1));
    assert_eq!(f.aggregate_id, "user-7");
    assert_eq!(f.event_type, "user.added");
    assert!(f.first_failed_at <= f.last_failed_at);
    // The position did not move
    assert_eq!(store.position(&g).await.unwrap(), Position::ZERO);
}

async fn skipping_marks_the_failure_and_moves_the_position(h: &Harness) {
    // Given an event that failed twice after position 1
    let store = &h.store;
    let g = first_generation(store).await;
    store
        .apply(&g, Position::ZERO, &[item(1, vec![])])
        .await
        .unwrap();
    store.record_failure(&g, &event(2), "boom").await.unwrap();
    store.record_failure(&g, &event(2), "boom").await.unwrap();

    // When the spooler gives up on it, and on another that never was recorded
    store
        .skip(None, &g, at(1), &event(2), "boom")
        .await
        .unwrap();
    store
        .skip(None, &g, at(2), &event(3), "bang")
        .await
        .unwrap();

    // Then both are recorded as skipped and the position is past them
    assert_eq!(store.position(&g).await.unwrap(), at(3));
    let failures = store.failures(PROJECTION, 10).await.unwrap();
    let mut seen: Vec<_> = failures
        .iter()
        .map(|f| (f.position, f.attempts, f.skipped, f.error.as_str()))
        .collect();
    seen.sort_by_key(|s| s.0);
    assert_eq!(seen, [(at(2), 2, true, "boom"), (at(3), 1, true, "bang")]);
    // Skipped events do not count as applied
    assert_eq!(
        store.generations(PROJECTION).await.unwrap()[0].events_applied,
        1
    );
}

async fn skipping_from_a_stale_position_records_nothing(h: &Harness) {
    // Given a generation at position 1
    let store = &h.store;
    let g = first_generation(store).await;
    store
        .apply(&g, Position::ZERO, &[item(1, vec![])])
        .await
        .unwrap();

    // When a stale spooler skips from position 0
    let result = store
        .skip(None, &g, Position::ZERO, &event(1), "boom")
        .await;

    // Then it is told the position moved, and nothing is recorded
    assert!(
        matches!(result, Err(ApplyError::PositionMoved { found, .. }) if found == at(1)),
        "{result:?}"
    );
    assert!(store.failures(PROJECTION, 10).await.unwrap().is_empty());
}

async fn failures_list_newest_first_up_to_the_limit(h: &Harness) {
    // Given three events that failed one after another
    let store = &h.store;
    let g = first_generation(store).await;
    for tx in [5, 3, 9] {
        store.record_failure(&g, &event(tx), "boom").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }

    // When the two newest are asked for
    let failures = store.failures(PROJECTION, 2).await.unwrap();

    // Then they come newest first
    let positions: Vec<_> = failures.iter().map(|f| f.position).collect();
    assert_eq!(positions, [at(9), at(3)]);
    assert!(store.failures("other", 10).await.unwrap().is_empty());
}
