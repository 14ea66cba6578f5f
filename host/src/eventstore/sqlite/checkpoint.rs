//! WAL checkpoints off the commit path.
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses the WAL
//! size threshold, adding the database file's fsync to that push's latency.
//! The writer connection turns it off and this task checkpoints from a reader
//! connection instead: `PASSIVE`, so it never blocks the writer or readers.

use std::time::Duration;

use sqlx::sqlite::SqlitePool;

/// How often the WAL is copied back into the database file.
const INTERVAL: Duration = Duration::from_millis(200);

/// Checkpoints every [`INTERVAL`] until aborted.
pub(super) async fn run(pool: SqlitePool) {
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "sqlite checkpoint failed; retrying");
        }
    }
}

/// Copies the whole WAL into the database and empties it (at close).
pub(super) async fn truncate(pool: &SqlitePool) {
    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
    {
        tracing::warn!(error = %e, "final sqlite checkpoint failed; the WAL is replayed at next open");
    }
}
