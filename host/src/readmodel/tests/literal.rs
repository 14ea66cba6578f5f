//! Tricky text through PostgreSQL's literal fast path (and SQLite's bound
//! parameters): what goes in comes out unchanged.

use serde_json::json;
use sqlx::Row as _;

use super::fixtures::*;
use crate::eventstore::Position;
use crate::plugins::types::Value;
use crate::readmodel::{ApplyError, literal, plan};

/// Texts that break naive quoting.
const TRICKY: &[&str] = &[
    "it's",
    "''",
    r"back\slash\",
    r"\'; DROP TABLE users; --",
    "$$ dollar $tag$",
    "line\nbreak\ttab\r",
    "ünïcödé ✓ 🦀 中文",
    "E'\\x41'",
    "",
];

on_both_backends!(tricky_text_round_trips);

async fn tricky_text_round_trips(h: &Harness) {
    // Given a generation
    let store = &h.store;
    let g = first_generation(store).await;

    // When rows with tricky names and JSON are applied
    let statements = TRICKY
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let meta = serde_json::to_string(&json!({ "name": name })).unwrap();
            insert(
                "users",
                vec![
                    field("id", text(&format!("{i:02}"))),
                    field("name", text(name)),
                    field("meta", Value::Json(meta)),
                ],
            )
        })
        .collect();
    store
        .apply(&g, Position::ZERO, &[item(1, statements)])
        .await
        .unwrap();

    // Then they read back unchanged, and prefix filters find them
    let rows = store.dump(&g, "users").await.unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, TRICKY);
    for row in &rows {
        assert_eq!(row["meta"]["name"], row["name"]);
    }
}

/// The fast path's script itself (not its fallback) runs and stores the
/// tricky texts exactly.
#[tokio::test]
async fn postgres_batch_script_stores_tricky_text_exactly() {
    // Given a generation on PostgreSQL
    let h = Harness::postgres().await;
    let pool = h.pg_pool().unwrap();
    let g = first_generation(&h.store).await;
    let items: Vec<_> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, name)| item(i as i64 + 1, vec![insert_user(&format!("{i:02}"), name)]))
        .collect();

    // When the rendered script runs as it is
    let plans = plan::plan_batch(&g, &items).unwrap();
    let to = items.last().unwrap().position;
    let script = literal::batch(None, &g, Position::ZERO, to, items.len(), &plans).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let rows = sqlx::raw_sql(&script).fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    // Then it moved the position once and stored every text exactly
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<i64, _>(0).unwrap(), 1);
    assert_eq!(h.store.position(&g).await.unwrap(), to);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT name FROM rm_user_list_1_users ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(stored, TRICKY);
}

/// A text PostgreSQL refuses (a NUL byte, which the literal script cannot
/// even carry) fails on the bound path, naming its item.
#[tokio::test]
async fn postgres_refused_text_names_its_item() {
    // Given a generation on PostgreSQL
    let h = Harness::postgres().await;
    let g = first_generation(&h.store).await;

    // When the second event writes a NUL byte
    let batch = [
        item(1, vec![insert_user("a", "Ann")]),
        item(2, vec![insert_user("b", "nul\0byte")]),
    ];
    let result = h.store.apply(&g, Position::ZERO, &batch).await;

    // Then item 1 fails and nothing is applied
    assert!(
        matches!(result, Err(ApplyError::Statement { item: 1, .. })),
        "{result:?}"
    );
    assert!(h.store.dump(&g, "users").await.unwrap().is_empty());
    assert_eq!(h.store.position(&g).await.unwrap(), Position::ZERO);
}
