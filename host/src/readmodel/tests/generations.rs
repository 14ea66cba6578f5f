//! Generations: creation, reuse, a new version beside the serving one, the
//! switch, and names that do not fit.

use super::fixtures::*;
use crate::eventstore::Position;
use crate::readmodel::{ApplyError, GenerationStatus, ReadModelError};

on_both_backends!(
    first_generation_serves_and_the_same_version_is_reused,
    a_new_version_builds_beside_the_serving_generation,
    a_changed_declaration_gets_new_tables_without_a_version_bump,
    concurrent_begins_agree_on_one_generation,
    switch_retires_the_old_generation_and_drops_its_tables,
    switch_supersedes_older_building_generations,
    names_longer_than_postgres_allows_are_refused,
);

async fn first_generation_serves_and_the_same_version_is_reused(h: &Harness) {
    // Given an empty store
    let store = &h.store;
    assert!(store.serving(PROJECTION).await.unwrap().is_none());

    // When a projection begins its first generation, twice
    let first = first_generation(store).await;
    let again = first_generation(store).await;

    // Then it is generation 1, serving at position 0, and reused
    assert_eq!(first.number, 1);
    assert_eq!(first.status, GenerationStatus::Serving);
    assert!(first.switched_at.is_some());
    assert_eq!(again, first);
    assert_eq!(store.position(&first).await.unwrap(), Position::ZERO);
    assert_eq!(
        store.generations(PROJECTION).await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(store.serving(PROJECTION).await.unwrap(), Some(first));
}

async fn a_new_version_builds_beside_the_serving_generation(h: &Harness) {
    // Given a serving generation of version 1.0.0
    let store = &h.store;
    let first = first_generation(store).await;

    // When version 2.0.0 begins
    let second = store
        .begin_generation(PROJECTION, "2.0.0", &[users(), tags()])
        .await
        .unwrap();

    // Then it is generation 2, building, with tables of its own
    assert_eq!(second.number, 2);
    assert_eq!(second.status, GenerationStatus::Building);
    assert_eq!(second.switched_at, None);
    assert_eq!(second.physical("users"), "rm_user_list_2_users");
    let live = store.generations(PROJECTION).await.unwrap();
    assert_eq!(live, vec![first.clone(), second.clone()]);
    assert_eq!(
        store.serving(PROJECTION).await.unwrap(),
        Some(first.clone())
    );
    store
        .apply(
            &second,
            Position::ZERO,
            &[item(1, vec![insert_user("a", "Ann")])],
        )
        .await
        .unwrap();
    assert!(store.dump(&first, "users").await.unwrap().is_empty());
    assert_eq!(store.dump(&second, "users").await.unwrap().len(), 1);
}

async fn a_changed_declaration_gets_new_tables_without_a_version_bump(h: &Harness) {
    // Given a serving generation
    let store = &h.store;
    let first = first_generation(store).await;

    // When the same version declares different tables
    let second = store
        .begin_generation(PROJECTION, "1.0.0", &[users()])
        .await
        .unwrap();

    // Then a new generation is built
    assert_eq!(second.number, 2);
    assert_ne!(second.schema_hash, first.schema_hash);
    assert_eq!(second.status, GenerationStatus::Building);
}

async fn concurrent_begins_agree_on_one_generation(h: &Harness) {
    // Given two nodes starting the same projection at once
    let store = &h.store;
    let (a, b) = tokio::join!(first_generation(store), first_generation(store));

    // Then both get the one generation
    assert_eq!(a, b);
    assert_eq!(store.generations(PROJECTION).await.unwrap().len(), 1);
}

async fn switch_retires_the_old_generation_and_drops_its_tables(h: &Harness) {
    // Given a serving generation with a row and a rebuilt one
    let store = &h.store;
    let first = first_generation(store).await;
    store
        .apply(
            &first,
            Position::ZERO,
            &[item(1, vec![insert_user("a", "Ann")])],
        )
        .await
        .unwrap();
    let second = store
        .begin_generation(PROJECTION, "2.0.0", &[users(), tags()])
        .await
        .unwrap();

    // When the rebuilt one switches in
    store.switch(&second).await.unwrap();

    // Then it serves alone, and the old one is retired without tables
    let serving = store.serving(PROJECTION).await.unwrap().unwrap();
    assert_eq!(serving.number, 2);
    assert_eq!(serving.status, GenerationStatus::Serving);
    assert!(serving.switched_at.is_some());
    assert_eq!(
        store.generations(PROJECTION).await.unwrap(),
        vec![serving.clone()]
    );
    assert!(store.dump(&first, "users").await.is_err(), "tables dropped");
    let late = store
        .apply(&first, at(1), &[item(2, vec![insert_user("b", "Bob")])])
        .await;
    assert!(
        matches!(
            late,
            Err(ApplyError::Store(ReadModelError::NotLive {
                generation: 1,
                ..
            }))
        ),
        "{late:?}"
    );
    assert!(matches!(
        store.switch(&first).await,
        Err(ReadModelError::NotLive { .. })
    ));
    // And switching the serving generation again changes nothing
    store.switch(&serving).await.unwrap();
    assert_eq!(store.serving(PROJECTION).await.unwrap(), Some(serving));
}

async fn switch_supersedes_older_building_generations(h: &Harness) {
    // Given version 1 serving, version 2 building and version 3 building
    let store = &h.store;
    first_generation(store).await;
    let tables = [users(), tags()];
    let second = store
        .begin_generation(PROJECTION, "2", &tables)
        .await
        .unwrap();
    let third = store
        .begin_generation(PROJECTION, "3", &tables)
        .await
        .unwrap();

    // When version 3 caught up first and switches
    store.switch(&third).await.unwrap();

    // Then version 2 is retired as well
    let live = store.generations(PROJECTION).await.unwrap();
    assert_eq!(live.iter().map(|g| g.number).collect::<Vec<_>>(), vec![3]);
    assert!(store.dump(&second, "users").await.is_err());
}

async fn names_longer_than_postgres_allows_are_refused(h: &Harness) {
    // Given a table name that makes the physical name exceed 63 bytes
    let mut long = users();
    long.name = "t".repeat(56);

    // When the generation begins
    let result = h.store.begin_generation(PROJECTION, "1", &[long]).await;

    // Then it is refused, naming the table, and nothing is created
    match result {
        Err(ReadModelError::NameTooLong { name }) => assert!(name.starts_with("rm_user_list_1_t")),
        other => panic!("expected NameTooLong, got {other:?}"),
    }
    assert!(h.store.generations(PROJECTION).await.unwrap().is_empty());
}
