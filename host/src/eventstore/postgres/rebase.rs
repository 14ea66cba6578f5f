//! Positions after the database moved to another PostgreSQL cluster.
//!
//! A position's first part is the pushing transaction's id plus a base kept
//! in the database (`migrations/postgres/0007_position_base.sql`). A dump
//! restored into another cluster continues from that cluster's lower
//! transaction ids; raising the base before anything is pushed keeps every
//! new position above every stored one. Every new connection checks (one
//! cheap read when nothing moved), so a node that reconnects to a new
//! cluster on its own never pushes below the stored positions.

use sqlx::PgConnection;

/// Whether migration 0007 is applied (a connection opened before it was).
const APPLIED: &str = "SELECT to_regproc('rampart_rebase_positions') IS NOT NULL";

/// Raises the base when needed; returns the new base, or NULL.
const REBASE: &str = "SELECT rampart_rebase_positions()";

/// Keeps the base in the session, where pushes read it without touching
/// the table (`push.rs`, `position!`).
const HOLD: &str =
    "SELECT set_config('rampart.position_base', base::text, false) FROM event_position_base";

/// Raises the position base if the stored positions are ahead of the
/// cluster's transaction ids (and says so in the log), then keeps the base
/// in the session for the pushes of this connection. The base changes only
/// when the database moved, which means new connections.
///
/// # Errors
/// The database error of a statement.
pub(super) async fn rebase_positions(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let applied: bool = sqlx::query_scalar(APPLIED).fetch_one(&mut *conn).await?;
    if !applied {
        return Ok(());
    }
    let base: Option<i64> = sqlx::query_scalar(REBASE).fetch_one(&mut *conn).await?;
    if let Some(base) = base {
        tracing::warn!(
            base,
            "the stored event positions were ahead of this PostgreSQL cluster's transaction ids \
             (the database was restored or moved to another cluster): new positions continue \
             above them"
        );
    }
    sqlx::query(HOLD).execute(&mut *conn).await?;
    Ok(())
}
