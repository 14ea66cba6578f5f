//! Every column type, written and read back as the same JSON on both
//! backends.

use serde_json::json;

use super::fixtures::*;
use crate::eventstore::Position;
use crate::plugins::types::{Datetime, Value};

on_both_backends!(
    every_column_type_reads_back_as_json,
    nulls_read_back_as_null
);

async fn every_column_type_reads_back_as_json(h: &Harness) {
    // Given a row with a value in every column
    let store = &h.store;
    let g = first_generation(store).await;
    let row = |id: &str, age: i64, score: f64, active: bool| {
        insert(
            "users",
            vec![
                field("id", text(id)),
                field("name", text("Ann")),
                field("age", Value::Integer(age)),
                field("score", Value::Real(score)),
                field("active", Value::Boolean(active)),
                field(
                    "created",
                    Value::Timestamp(Datetime {
                        seconds: 1_700_000_000,
                        nanoseconds: 123_456_789,
                    }),
                ),
                field(
                    "meta",
                    Value::Json(r#"{"b": [1, 2.5, null], "a": "x\"y"}"#.into()),
                ),
            ],
        )
    };
    let statements = vec![
        row("a", i64::MAX, 0.1, true),
        row("b", i64::MIN, -1.5e300, false),
        row("c", 0, f64::INFINITY, true),
    ];

    // When it is applied and read back
    store
        .apply(&g, Position::ZERO, &[item(1, statements)])
        .await
        .unwrap();
    let rows = store.dump(&g, "users").await.unwrap();

    // Then each type has its JSON form (a timestamp: RFC 3339, UTC,
    // microseconds; an infinite real: null)
    assert_eq!(
        serde_json::Value::Object(rows[0].clone()),
        json!({
            "id": "a",
            "name": "Ann",
            "age": i64::MAX,
            "score": 0.1,
            "active": true,
            "created": "2023-11-14T22:13:20.123456Z",
            "meta": {"a": "x\"y", "b": [1, 2.5, null]},
        })
    );
    assert_eq!(rows[1]["age"], json!(i64::MIN));
    assert_eq!(rows[1]["score"], json!(-1.5e300));
    assert_eq!(rows[1]["active"], json!(false));
    assert_eq!(rows[2]["score"], json!(null));
}

async fn nulls_read_back_as_null(h: &Harness) {
    // Given a row with only its required columns
    let store = &h.store;
    let g = first_generation(store).await;
    let nulls = ["age", "score", "active", "created", "meta"]
        .iter()
        .map(|c| field(c, Value::Null));
    let mut fields = vec![field("id", text("a")), field("name", text("Ann"))];
    fields.extend(nulls);
    store
        .apply(
            &g,
            Position::ZERO,
            &[item(1, vec![insert("users", fields)])],
        )
        .await
        .unwrap();

    // When it is read back
    let row = store
        .get_row(&g, "users", &[("id", text("a"))])
        .await
        .unwrap();

    // Then every optional column is null
    assert_eq!(
        serde_json::Value::Object(row.unwrap()),
        json!({"id": "a", "name": "Ann", "age": null, "score": null, "active": null,
               "created": null, "meta": null})
    );
}
