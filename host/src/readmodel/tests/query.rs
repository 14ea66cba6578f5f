//! The query side: rows by key, filtered, sorted and paged lists, and the
//! errors a caller can correct.

use serde_json::json;

use super::fixtures::*;
use crate::eventstore::Position;
use crate::plugins::types::Value;
use crate::readmodel::{Filter, FilterOp, Generation, ListQuery, ReadModelError, SortOrder};

on_both_backends!(
    rows_are_found_by_key,
    lists_filter_by_equality_and_prefix,
    prefix_filters_match_wildcards_literally,
    lists_sort_page_and_count,
    unknown_columns_list_the_known_ones,
    invalid_filters_and_unknown_tables_are_refused,
);

/// Users `u1`…`u5`, named Ann, anna, Bob, Cid, Dan, aged 30, 20, 30, null, 10.
async fn five_users(h: &Harness) -> Generation {
    let g = first_generation(&h.store).await;
    let users = [
        ("u1", "Ann", Some(30)),
        ("u2", "anna", Some(20)),
        ("u3", "Bob", Some(30)),
        ("u4", "Cid", None),
        ("u5", "Dan", Some(10)),
    ];
    let statements = users
        .iter()
        .map(|(id, name, age)| {
            insert(
                "users",
                vec![
                    field("id", text(id)),
                    field("name", text(name)),
                    field("age", age.map_or(Value::Null, Value::Integer)),
                ],
            )
        })
        .collect();
    h.store
        .apply(&g, Position::ZERO, &[item(1, statements)])
        .await
        .unwrap();
    g
}

fn filter(column: &str, op: FilterOp, value: Value) -> Filter {
    Filter {
        column: column.into(),
        op,
        value,
    }
}

fn query(filters: Vec<Filter>) -> ListQuery {
    ListQuery {
        filters,
        sort: vec![],
        limit: 100,
        offset: 0,
    }
}

async fn rows_are_found_by_key(h: &Harness) {
    // Given five users and a tag
    let store = &h.store;
    let g = five_users(h).await;
    let tag = insert(
        "tags",
        vec![field("user_id", text("u1")), field("tag", text("x"))],
    );
    store.apply(&g, at(1), &[item(2, vec![tag])]).await.unwrap();

    // When rows are asked for by key
    let found = store
        .get_row(&g, "users", &[("id", text("u2"))])
        .await
        .unwrap();
    let missing = store
        .get_row(&g, "users", &[("id", text("nope"))])
        .await
        .unwrap();
    let composite = store
        .get_row(&g, "tags", &[("user_id", text("u1")), ("tag", text("x"))])
        .await
        .unwrap();

    // Then the matching row comes back whole, or none
    let found = found.unwrap();
    assert_eq!(found["name"], json!("anna"));
    assert_eq!(found["age"], json!(20));
    assert_eq!(found.len(), users().columns.len());
    assert_eq!(missing, None);
    assert_eq!(composite.unwrap()["tag"], json!("x"));
    let by_null = store
        .get_row(&g, "users", &[("age", Value::Null)])
        .await
        .unwrap();
    assert_eq!(by_null.unwrap()["id"], json!("u4"));
}

async fn lists_filter_by_equality_and_prefix(h: &Harness) {
    // Given five users
    let store = &h.store;
    let g = five_users(h).await;

    // When listing by equal age, by name prefix (any case), and both
    let aged = query(vec![filter("age", FilterOp::Eq, Value::Integer(30))]);
    let named = query(vec![filter("name", FilterOp::Prefix, text("AN"))]);
    let both = query(vec![
        filter("name", FilterOp::Prefix, text("an")),
        filter("age", FilterOp::Eq, Value::Integer(20)),
    ]);
    let aged = store.list_rows(&g, "users", &aged).await.unwrap();
    let named = store.list_rows(&g, "users", &named).await.unwrap();
    let both = store.list_rows(&g, "users", &both).await.unwrap();

    // Then the matching rows come in key order with their count
    assert_eq!(
        (ids(&aged.rows), aged.total),
        (vec!["u1".to_owned(), "u3".into()], 2)
    );
    assert_eq!(
        (ids(&named.rows), named.total),
        (vec!["u1".to_owned(), "u2".into()], 2)
    );
    assert_eq!((ids(&both.rows), both.total), (vec!["u2".to_owned()], 1));
}

async fn prefix_filters_match_wildcards_literally(h: &Harness) {
    // Given names with LIKE's special characters
    let store = &h.store;
    let g = first_generation(store).await;
    let names = [
        ("a", "50%_off"),
        ("b", "50 percent"),
        ("c", r"back\slash"),
        ("d", "backXslash"),
    ];
    let statements = names
        .iter()
        .map(|(id, name)| insert_user(id, name))
        .collect();
    store
        .apply(&g, Position::ZERO, &[item(1, statements)])
        .await
        .unwrap();

    // When filtering by prefixes containing them
    let mut found = Vec::new();
    for prefix in ["50%", "50%_", r"back\", "_"] {
        let q = query(vec![filter("name", FilterOp::Prefix, text(prefix))]);
        found.push(ids(&store.list_rows(&g, "users", &q).await.unwrap().rows));
    }

    // Then they match only themselves
    assert_eq!(found, [vec!["a"], vec!["a"], vec!["c"], vec![]]);
}

async fn lists_sort_page_and_count(h: &Harness) {
    // Given five users
    let store = &h.store;
    let g = five_users(h).await;

    // When sorted by age descending (ties by key), two per page
    let mut q = query(vec![]);
    q.sort = vec![("age".into(), SortOrder::Descending)];
    q.limit = 2;
    let mut pages = Vec::new();
    for offset in [0, 2, 4, 6] {
        q.offset = offset;
        let page = store.list_rows(&g, "users", &q).await.unwrap();
        assert_eq!(page.total, 5);
        pages.push(ids(&page.rows));
    }

    // Then NULL comes first descending, and the pages cover every row once
    assert_eq!(
        pages,
        [vec!["u4", "u1"], vec!["u3", "u2"], vec!["u5"], vec![]]
    );
    // And ascending, NULL comes last
    q.sort = vec![
        ("age".into(), SortOrder::Ascending),
        ("id".into(), SortOrder::Descending),
    ];
    q.limit = 10;
    q.offset = 0;
    let page = store.list_rows(&g, "users", &q).await.unwrap();
    assert_eq!(ids(&page.rows), ["u5", "u2", "u3", "u1", "u4"]);
}

async fn unknown_columns_list_the_known_ones(h: &Harness) {
    // Given a generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When a filter, a key and a sort name an unknown column
    let mut sorted = query(vec![]);
    sorted.sort = vec![("nope".into(), SortOrder::Ascending)];
    let errors = [
        store
            .list_rows(
                &g,
                "users",
                &query(vec![filter("nope", FilterOp::Eq, text("x"))]),
            )
            .await
            .unwrap_err(),
        store
            .get_row(&g, "users", &[("nope", text("x"))])
            .await
            .unwrap_err(),
        store.list_rows(&g, "users", &sorted).await.unwrap_err(),
    ];

    // Then each names the column and lists the known ones
    for error in errors {
        match &error {
            ReadModelError::UnknownColumn {
                table,
                column,
                known,
            } => {
                assert_eq!((table.as_str(), column.as_str()), ("users", "nope"));
                assert_eq!(
                    known,
                    &["id", "name", "age", "score", "active", "created", "meta"]
                );
            }
            other => panic!("expected UnknownColumn, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "table \"users\" has no column \"nope\" \
             (known columns: id, name, age, score, active, created, meta)"
        );
    }
}

async fn invalid_filters_and_unknown_tables_are_refused(h: &Harness) {
    // Given a generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When filtering by prefix on a number, or by a value of the wrong type
    let prefix_on_number = query(vec![filter("age", FilterOp::Prefix, text("1"))]);
    let wrong_type = query(vec![filter("age", FilterOp::Eq, text("x"))]);
    let prefix_of_number = query(vec![filter("name", FilterOp::Prefix, Value::Integer(1))]);

    // Then the filters are invalid, and an unknown table is named
    for q in [prefix_on_number, wrong_type, prefix_of_number] {
        let error = store.list_rows(&g, "users", &q).await.unwrap_err();
        assert!(matches!(error, ReadModelError::InvalidFilter(_)), "{error}");
    }
    let error = store.dump(&g, "nope").await.unwrap_err();
    assert!(
        matches!(&error, ReadModelError::UnknownTable { projection, table }
            if projection == PROJECTION && table == "nope"),
        "{error}"
    );
}
