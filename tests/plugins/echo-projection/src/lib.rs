//! # echo-projection
//!
//! A projection for the host's spooler and determinism tests: every `test.*`
//! event becomes one row of `echo_events`, recording what the plugin saw of
//! the clock (the SDK's and WASI's) and of WASI randomness, which the host
//! must derive from the event so that replays write the same rows.
//! `test.fail` events fail, and so does any event whose payload has
//! `"poison": true`. Built with the `v2` feature it reports version `2.0.0`
//! (same tables), which makes the host rebuild its read model.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{SystemTime, UNIX_EPOCH};

use rampart_plugin_sdk::prelude::*;

/// The table this projection owns.
const TABLE: &str = "echo_events";

/// Hashed with WASI-seeded keys to expose the randomness the plugin sees.
const SEED_PROBE: u64 = 0x5EED;

/// The version this build reports.
const VERSION: &str = if cfg!(feature = "v2") {
    "2.0.0"
} else {
    "1.0.0"
};

/// The `echo-projection` projection.
pub struct EchoProjection;

impl Projection for EchoProjection {
    fn manifest() -> Manifest {
        Manifest::new("echo-projection", VERSION)
            .description("Echoes test.* events with the time and randomness the plugin sees")
            .handles(["test.*"])
            .capabilities([Capability::Clock])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(TABLE)
                .column(Column::text("id"))
                .column(Column::text("event_type"))
                .column(Column::integer("sequence"))
                .column(Column::json("payload"))
                .column(Column::timestamp("seen_at"))
                .column(Column::integer("wasi_now"))
                .column(Column::integer("random"))
                .primary_key(["id"]),
        ]
    }

    fn project(ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        if event.event_type == "test.fail" {
            return Err(format!("refusing test.fail at sequence {}", event.sequence));
        }
        if event.payload.contains(r#""poison":true"#) {
            return Err(format!("poisoned payload at sequence {}", event.sequence));
        }
        let sequence = i64::try_from(event.sequence).map_err(|error| error.to_string())?;
        Ok(vec![
            Statement::upsert(TABLE)
                .set("id", format!("{}:{}", event.aggregate_id, event.sequence))
                .set("event_type", &event.event_type)
                .set("sequence", sequence)
                .set("payload", Value::Json(event.payload.clone()))
                .set("seen_at", ctx.now())
                .set("wasi_now", wasi_now())
                .set("random", RandomState::new().hash_one(SEED_PROBE) as i64)
                .conflict(["id"]),
        ])
    }
}

export_projection!(EchoProjection);

/// WASI's wall clock in Unix seconds (negative before 1970).
fn wasi_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    }
}
