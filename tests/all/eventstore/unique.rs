//! Unique values claimed and released in the push transaction.

use std::sync::Arc;

use rampart::eventstore::{EventQuery, EventStore, Push, StoreError, UniqueOp};

use super::{agg, push};

super::conformance!(
    a_taken_value_rejects_the_push_with_its_message_and_stores_nothing,
    a_released_value_can_be_claimed_again,
    release_and_claim_in_one_push_moves_a_value,
    values_are_unique_per_instance_and_kind,
    releasing_an_instance_frees_all_its_values,
    concurrent_claims_of_one_value_have_exactly_one_winner,
    a_push_of_unique_values_alone_claims_and_releases_them,
);

fn claim(p: Push, value: &str) -> Push {
    p.claim("inst-1", "username", value, "the username is already taken")
}

pub async fn a_taken_value_rejects_the_push_with_its_message_and_stores_nothing(
    store: Arc<dyn EventStore>,
) {
    store
        .push(claim(push(&agg("user", "a"), 0, 1), "alice"))
        .await
        .unwrap();
    let b = agg("user", "b");
    let err = store
        .push(claim(push(&b, 0, 1), "alice"))
        .await
        .unwrap_err();
    match &err {
        StoreError::UniqueTaken {
            kind,
            value,
            message,
        } => {
            assert_eq!((kind.as_str(), value.as_str()), ("username", "alice"));
            assert_eq!(message, "the username is already taken");
        }
        other => panic!("expected UniqueTaken, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the username is already taken (username \"alice\" is already taken)"
    );
    assert_eq!(
        store.latest_sequence(&b).await.unwrap(),
        0,
        "the rejected push wrote no event"
    );
}

pub async fn a_released_value_can_be_claimed_again(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    store.push(claim(push(&a, 0, 1), "alice")).await.unwrap();
    store
        .push(push(&a, 1, 1).release("inst-1", "username", "alice"))
        .await
        .unwrap();
    store
        .push(claim(push(&agg("user", "b"), 0, 1), "alice"))
        .await
        .unwrap();
}

pub async fn release_and_claim_in_one_push_moves_a_value(store: Arc<dyn EventStore>) {
    let a = agg("user", "a");
    store.push(claim(push(&a, 0, 1), "alice")).await.unwrap();
    // Rename alice -> alicia, then back, each in one push.
    store
        .push(claim(
            push(&a, 1, 1).release("inst-1", "username", "alice"),
            "alicia",
        ))
        .await
        .unwrap();
    store
        .push(claim(
            push(&a, 2, 1).release("inst-1", "username", "alicia"),
            "alice",
        ))
        .await
        .unwrap();
    // alicia is free again, alice is taken.
    store
        .push(claim(push(&agg("user", "b"), 0, 1), "alicia"))
        .await
        .unwrap();
    let err = store
        .push(claim(push(&agg("user", "c"), 0, 1), "alice"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UniqueTaken { .. }), "{err:?}");
}

pub async fn values_are_unique_per_instance_and_kind(store: Arc<dyn EventStore>) {
    store
        .push(claim(push(&agg("user", "a"), 0, 1), "alice"))
        .await
        .unwrap();
    let other_kind = push(&agg("org", "o"), 0, 1).claim("inst-1", "org-domain", "alice", "taken");
    store.push(other_kind).await.unwrap();
    let other_instance = push(
        &rampart::eventstore::AggregateRef::new("inst-2", "user", "a"),
        0,
        1,
    )
    .claim("inst-2", "username", "alice", "taken");
    store.push(other_instance).await.unwrap();
}

pub async fn releasing_an_instance_frees_all_its_values(store: Arc<dyn EventStore>) {
    store
        .push(claim(claim(push(&agg("user", "a"), 0, 1), "alice"), "bob"))
        .await
        .unwrap();
    let mut removal = push(&agg("instance", "inst-1"), 0, 1);
    removal.unique.push(UniqueOp::ReleaseInstance {
        instance_id: "inst-1".into(),
    });
    store.push(removal).await.unwrap();
    store
        .push(claim(claim(push(&agg("user", "b"), 0, 1), "alice"), "bob"))
        .await
        .unwrap();
}

pub async fn concurrent_claims_of_one_value_have_exactly_one_winner(store: Arc<dyn EventStore>) {
    let attempts = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .push(claim(push(&agg("user", &format!("u{i}")), 0, 1), "popular"))
                .await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let taken = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(StoreError::UniqueTaken { .. }))))
        .count();
    assert_eq!((won, taken), (1, 15), "{results:?}");
    let stored = store
        .query(&EventQuery::new().aggregate_type("user"))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "only the winner's event is stored");
}

/// A push with no events, only unique-value operations: the same contract on
/// both backends (it once panicked on PostgreSQL, finding no stored event).
pub async fn a_push_of_unique_values_alone_claims_and_releases_them(store: Arc<dyn EventStore>) {
    let only_claim = Push::default().claim("inst-1", "username", "solo", "taken");
    let stored = store.push(only_claim.clone()).await.unwrap();
    assert!(stored.is_empty(), "no events were pushed: {stored:?}");

    let err = store.push(only_claim).await.unwrap_err();
    assert!(matches!(err, StoreError::UniqueTaken { .. }), "{err:?}");
    let err = store
        .push(claim(push(&agg("user", "a"), 0, 1), "solo"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UniqueTaken { .. }), "{err:?}");

    let only_release = Push::default().release("inst-1", "username", "solo");
    assert!(store.push(only_release).await.unwrap().is_empty());
    store
        .push(claim(push(&agg("user", "a"), 0, 1), "solo"))
        .await
        .unwrap();
}
