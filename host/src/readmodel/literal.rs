//! PostgreSQL's fast path: a whole batch (the position's compare-and-set and
//! every statement) rendered as SQL text with literals, sent in one round
//! trip with the simple query protocol. Catching up a rebuilt read model is
//! then bound by the server's work, not by one round trip per statement.
//!
//! Rendering is exact: text literals double their single quotes (the batch
//! sets `standard_conforming_strings` on, so backslashes are plain
//! characters), reals go through their shortest round-tripping decimal form,
//! timestamps carry microseconds. A text with a NUL byte cannot travel in a
//! simple query at all (the protocol ends the text there): such a batch is
//! not rendered, and the caller takes the bound path (where PostgreSQL
//! refuses the text as a statement error). Any other statement error makes
//! the script fail, and the caller redoes the batch with bound parameters.

use std::fmt::Write as _;

use super::generation::Generation;
use super::plan::{Plan, Sink, write};
use super::value::{Cell, format_timestamp};
use crate::eventstore::Position;

/// SQL text being rendered.
#[derive(Debug, Default)]
pub(super) struct Literal {
    /// The text so far.
    pub(super) sql: String,
    /// Whether a value could not be rendered (a NUL byte in a text).
    pub(super) unrenderable: bool,
}

impl<'a> Sink<'a> for Literal {
    fn emit(&mut self, text: &str) {
        self.sql.push_str(text);
    }

    fn emit_value(&mut self, cell: Cell<'a>) {
        if let Cell::Text(s) | Cell::Json(s) = cell {
            self.unrenderable |= s.contains('\0');
        }
        render(&mut self.sql, cell);
    }
}

/// Appends `cell` as a PostgreSQL literal of its column's type.
pub(super) fn render(sql: &mut String, cell: Cell<'_>) {
    match cell {
        Cell::Null(_) => sql.push_str("NULL"),
        Cell::Text(s) => text(sql, s),
        Cell::Json(s) => {
            text(sql, s);
            sql.push_str("::jsonb");
        }
        Cell::Integer(i) => {
            // A parenthesized negative literal: `-9223372036854775808::int8`
            // would cast before negating and overflow.
            let _ = write!(sql, "({i})::int8");
        }
        Cell::Real(r) => {
            if r.is_nan() {
                sql.push_str("'NaN'::float8");
            } else if r.is_infinite() {
                sql.push_str(if r > 0.0 {
                    "'Infinity'::float8"
                } else {
                    "'-Infinity'::float8"
                });
            } else {
                // `{:e}` is the shortest text that parses back to the same
                // bits; float8in parses it exactly.
                let _ = write!(sql, "'{r:e}'::float8");
            }
        }
        Cell::Boolean(b) => sql.push_str(if b { "TRUE" } else { "FALSE" }),
        Cell::Timestamp(at) => {
            let _ = write!(sql, "'{}'::timestamptz", format_timestamp(&at));
        }
    }
}

/// Appends `s` as a standard-conforming string literal.
fn text(sql: &mut String, s: &str) {
    sql.reserve(s.len() + 2);
    sql.push('\'');
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            sql.push_str("''");
        }
        sql.push_str(part);
    }
    sql.push('\'');
}

/// The whole batch as one script: the compare-and-set first (it takes the
/// generation row's lock, so a second node applying the same generation waits
/// here and then finds the position moved, before touching any read-model
/// row) as a `SELECT` of the number of rows it moved (1, or 0 when the
/// position moved), then every statement.
pub(super) fn batch(
    fence: Option<&super::Fence>,
    generation: &Generation,
    from: Position,
    to: Position,
    count: usize,
    plans: &[Vec<Plan<'_>>],
) -> Option<String> {
    let mut out = Literal {
        sql: String::with_capacity(256 + plans.len() * 256),
        unrenderable: false,
    };
    out.sql
        .push_str("SET LOCAL standard_conforming_strings = on;\nWITH moved AS (UPDATE projection_generations SET ");
    let _ = write!(
        out.sql,
        "position_tx = {}, position_index = {}, events_applied = events_applied + {count}, \
         updated_at = now() WHERE projection = ",
        to.tx, to.index
    );
    text(&mut out.sql, &generation.projection);
    let _ = write!(
        out.sql,
        " AND generation = {} AND position_tx = {} AND position_index = {} \
         AND status <> 'retired'",
        generation.number, from.tx, from.index
    );
    if let Some(fence) = fence {
        // As `apply::FENCE`.
        out.sql
            .push_str(" AND EXISTS (SELECT 1 FROM projection_leases WHERE key = ");
        text(&mut out.sql, &fence.key);
        out.sql.push_str(" AND owner = ");
        text(&mut out.sql, &fence.owner);
        let _ = write!(
            out.sql,
            " AND epoch = {} AND expires_at > clock_timestamp() FOR KEY SHARE)",
            fence.epoch
        );
    }
    out.sql
        .push_str(" RETURNING 1) SELECT count(*) FROM moved;\n");
    for plan in plans.iter().flatten() {
        write(&mut out, plan);
        out.sql.push_str(";\n");
    }
    (!out.unrenderable).then_some(out.sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn rendered(cell: Cell<'_>) -> String {
        let mut sql = String::new();
        render(&mut sql, cell);
        sql
    }

    #[test]
    fn text_literals_double_quotes_and_keep_backslashes() {
        assert_eq!(rendered(Cell::Text(r"it's a \n ''")), r"'it''s a \n '''''");
        assert_eq!(
            rendered(Cell::Json(r#"{"a":"b'c"}"#)),
            r#"'{"a":"b''c"}'::jsonb"#
        );
    }

    #[test]
    fn numbers_render_exactly() {
        assert_eq!(
            rendered(Cell::Integer(i64::MIN)),
            "(-9223372036854775808)::int8"
        );
        assert_eq!(rendered(Cell::Real(0.1)), "'1e-1'::float8");
        assert_eq!(rendered(Cell::Real(-0.0)), "'-0e0'::float8");
        assert_eq!(rendered(Cell::Real(f64::NAN)), "'NaN'::float8");
        assert_eq!(
            rendered(Cell::Real(f64::NEG_INFINITY)),
            "'-Infinity'::float8"
        );
        let at = DateTime::from_timestamp(0, 5_000).unwrap();
        assert_eq!(
            rendered(Cell::Timestamp(at)),
            "'1970-01-01T00:00:00.000005Z'::timestamptz"
        );
    }
}
