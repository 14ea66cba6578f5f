//! Applying batches: the four statement kinds, the position's
//! compare-and-set, and failing statements applying nothing.

use serde_json::json;

use super::fixtures::*;
use crate::eventstore::Position;
use crate::plugins::types::Value;
use crate::readmodel::ApplyError;

on_both_backends!(
    statements_insert_upsert_update_and_delete_rows,
    upsert_of_key_columns_only_does_nothing_on_conflict,
    null_filters_match_null,
    the_position_moves_by_compare_and_set,
    a_failing_statement_names_its_item_and_applies_nothing,
    a_value_of_the_wrong_type_fails_its_item,
    empty_batches_and_events_without_statements,
);

async fn statements_insert_upsert_update_and_delete_rows(h: &Harness) {
    // Given a fresh generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When a batch inserts, upserts (new and existing), updates and deletes
    let batch = vec![
        item(1, vec![insert_user("a", "Ann"), insert_user("b", "Bob")]),
        item(
            2,
            vec![
                upsert(
                    "users",
                    vec![field("id", text("a")), field("name", text("Anna"))],
                    &["id"],
                ),
                upsert(
                    "users",
                    vec![field("id", text("c")), field("name", text("Cid"))],
                    &[],
                ),
            ],
        ),
        item(
            3,
            vec![update(
                "users",
                vec![field("age", Value::Integer(42))],
                vec![field("id", text("b"))],
            )],
        ),
        item(4, vec![delete("users", vec![field("id", text("c"))])]),
    ];
    let to = store.apply(&g, Position::ZERO, &batch).await.unwrap();

    // Then the rows are there and the position is the last event's
    assert_eq!(to, at(4));
    assert_eq!(store.position(&g).await.unwrap(), at(4));
    let rows = store.dump(&g, "users").await.unwrap();
    assert_eq!(ids(&rows), ["a", "b"]);
    assert_eq!(rows[0]["name"], json!("Anna"));
    assert_eq!(rows[1]["age"], json!(42));
    assert_eq!(rows[0]["age"], json!(null));
    let live = store.generations(PROJECTION).await.unwrap();
    assert_eq!(live[0].events_applied, 4);
}

async fn upsert_of_key_columns_only_does_nothing_on_conflict(h: &Harness) {
    // Given a tag
    let store = &h.store;
    let g = first_generation(store).await;
    let tag = || {
        upsert(
            "tags",
            vec![field("user_id", text("a")), field("tag", text("x"))],
            &[],
        )
    };

    // When the same tag is upserted again
    store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![tag()]), item(2, vec![tag()])],
        )
        .await
        .unwrap();

    // Then there is one row
    assert_eq!(
        store.dump(&g, "tags").await.unwrap(),
        vec![
            json!({"user_id": "a", "tag": "x"})
                .as_object()
                .unwrap()
                .clone()
        ]
    );
}

async fn null_filters_match_null(h: &Harness) {
    // Given a user with an age and one without
    let store = &h.store;
    let g = first_generation(store).await;
    let aged = update(
        "users",
        vec![field("age", Value::Integer(7))],
        vec![field("id", text("a"))],
    );
    store
        .apply(
            &g,
            Position::ZERO,
            &[item(
                1,
                vec![insert_user("a", "Ann"), aged, insert_user("b", "Bob")],
            )],
        )
        .await
        .unwrap();

    // When the users without an age are updated, then deleted
    let unknown_age = || vec![field("age", Value::Null)];
    let batch = [item(
        2,
        vec![update(
            "users",
            vec![field("name", text("?"))],
            unknown_age(),
        )],
    )];
    store.apply(&g, at(1), &batch).await.unwrap();

    // Then only those matched
    let rows = store.dump(&g, "users").await.unwrap();
    assert_eq!(rows[0]["name"], json!("Ann"));
    assert_eq!(rows[1]["name"], json!("?"));
    store
        .apply(&g, at(2), &[item(3, vec![delete("users", unknown_age())])])
        .await
        .unwrap();
    assert_eq!(ids(&store.dump(&g, "users").await.unwrap()), ["a"]);
}

async fn the_position_moves_by_compare_and_set(h: &Harness) {
    // Given a generation at position 1
    let store = &h.store;
    let g = first_generation(store).await;
    store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![insert_user("a", "Ann")])],
        )
        .await
        .unwrap();

    // When a stale spooler applies from position 0
    let stale = store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![insert_user("b", "Bob")])],
        )
        .await;

    // Then it is told where the generation is, and nothing is applied
    match stale {
        Err(ApplyError::PositionMoved { expected, found }) => {
            assert_eq!((expected, found), (Position::ZERO, at(1)));
        }
        other => panic!("expected PositionMoved, got {other:?}"),
    }
    assert_eq!(ids(&store.dump(&g, "users").await.unwrap()), ["a"]);
    assert_eq!(store.position(&g).await.unwrap(), at(1));
}

async fn a_failing_statement_names_its_item_and_applies_nothing(h: &Harness) {
    // Given a user `a`
    let store = &h.store;
    let g = first_generation(store).await;
    store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![insert_user("a", "Ann")])],
        )
        .await
        .unwrap();

    // When a batch's third event inserts `a` again
    let batch = [
        item(2, vec![insert_user("b", "Bob")]),
        item(3, vec![]),
        item(4, vec![insert_user("c", "Cid"), insert_user("a", "Again")]),
        item(5, vec![insert_user("d", "Dan")]),
    ];
    let result = store.apply(&g, at(1), &batch).await;

    // Then the error names item 2, and neither rows nor position changed
    match result {
        Err(ApplyError::Statement { item, error }) => {
            assert_eq!(item, 2, "{error}");
            assert!(error.contains("rm_user_list_1_users"), "{error}");
        }
        other => panic!("expected a statement error, got {other:?}"),
    }
    assert_eq!(ids(&store.dump(&g, "users").await.unwrap()), ["a"]);
    assert_eq!(store.position(&g).await.unwrap(), at(1));
    // And the items before it apply on their own
    assert_eq!(store.apply(&g, at(1), &batch[..2]).await.unwrap(), at(3));
}

async fn a_value_of_the_wrong_type_fails_its_item(h: &Harness) {
    // Given a fresh generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When an event writes a text into an integer column
    let bad = update(
        "users",
        vec![field("age", text("old"))],
        vec![field("id", text("a"))],
    );
    let result = store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![insert_user("a", "Ann")]), item(2, vec![bad])],
        )
        .await;

    // Then that item fails, naming the column
    match result {
        Err(ApplyError::Statement { item: 1, error }) => {
            assert_eq!(error, "column `age` is of type integer, not text");
        }
        other => panic!("expected a statement error, got {other:?}"),
    }
    assert!(store.dump(&g, "users").await.unwrap().is_empty());
}

async fn empty_batches_and_events_without_statements(h: &Harness) {
    // Given a fresh generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When an empty batch, then events without statements are applied
    assert_eq!(store.apply(&g, at(9), &[]).await.unwrap(), at(9));
    let to = store
        .apply(&g, Position::ZERO, &[item(1, vec![]), item(2, vec![])])
        .await
        .unwrap();

    // Then only the second moves the position
    assert_eq!(to, at(2));
    assert_eq!(store.position(&g).await.unwrap(), at(2));
}
