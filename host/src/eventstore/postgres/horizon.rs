//! The settled horizon: how far followers may read, and what holds it back.
//!
//! Followers read below `rampart_settled_horizon()`
//! (`migrations/postgres/0004_settled_horizon.sql`): the oldest transaction
//! of the read's snapshot that is, or may be, a push to this store. Every
//! write to `events` and `unique_constraints` marks its transaction as a push
//! (`application_name` [`PUSH_MARK`], set by a statement trigger before the
//! first write gives the transaction an id), so transactions of other
//! applications or other databases on the same server never hold followers
//! back (`docs/eventstore.md`).
//!
//! What still holds them back is a push that stays open. That shows as the
//! age of the oldest open push: the gauge
//! `rampart_eventstore_oldest_open_push_seconds`, refreshed every
//! [`MONITOR_INTERVAL`], a warning in the log once it passes
//! [`crate::eventstore::PUSH_STALLED_AFTER`], and `/debug/ready`.

use std::time::{Duration, Instant};

use sqlx::postgres::PgPool;
use tokio::task::JoinHandle;

use crate::eventstore::{PUSH_STALLED_AFTER, Position, StoreError};

/// How long before a caller asked a shared horizon computation may have
/// begun for the caller to take its result.
pub const HORIZON_REUSE: Duration = Duration::from_millis(1);

/// The settled horizon, as a position: every event before it is readable.
const HORIZON: &str = "SELECT rampart_settled_horizon()";

/// The settled horizon of this node's followers: each caller gets a value
/// whose computation began at most [`HORIZON_REUSE`] before it asked, and
/// callers that asked while a computation was under way share the next one,
/// so a commit that wakes every follower of the node costs one computation,
/// not one per follower. (A horizon stays true once computed: what was
/// settled stays settled. Followers wait at least 2 ms after the
/// notification of a commit before they ask, so a horizon reused within
/// the window was computed after that commit.)
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// When the last computation began, and its result.
    last: tokio::sync::Mutex<Option<(Instant, Position)>>,
}

impl Shared {
    /// A horizon computed after this call began.
    pub(super) async fn get(&self, pool: &PgPool) -> Result<Position, StoreError> {
        let asked = Instant::now();
        let mut last = self.last.lock().await;
        if let Some((began, horizon)) = *last
            && began + HORIZON_REUSE >= asked
        {
            return Ok(horizon);
        }
        let began = Instant::now();
        let tx: i64 = sqlx::query_scalar(HORIZON).fetch_one(pool).await?;
        let horizon = Position::new(tx, 0);
        *last = Some((began, horizon));
        Ok(horizon)
    }
}

/// The `application_name` of a transaction while it pushes (set by the
/// trigger `rampart_mark_push`; reverted when the transaction ends).
pub const PUSH_MARK: &str = "rampart-push";

/// How often the gauge of the oldest open push is refreshed.
pub const MONITOR_INTERVAL: Duration = Duration::from_secs(1);

/// How often, at most, a push that stays open is logged again.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// The gauge of the age of the oldest open push on this store, in seconds
/// (0 when none is open).
pub const OLDEST_OPEN_PUSH_GAUGE: &str = "rampart_eventstore_oldest_open_push_seconds";

/// The oldest push of this database that holds a transaction id: its backend
/// and how long its transaction has been open. `xact_start` is visible to
/// the same role (or `pg_read_all_stats`) only, so nodes should connect as
/// one role; a push of a role this one cannot inspect still holds the
/// horizon, but is not timed here.
const OLDEST_OPEN_PUSH: &str = "SELECT a.pid, \
            extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS age \
       FROM pg_stat_get_activity(NULL) AS a \
      WHERE a.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()) \
        AND a.application_name = 'rampart-push' \
        AND a.backend_xid IS NOT NULL \
        AND a.xact_start IS NOT NULL \
      ORDER BY a.xact_start \
      LIMIT 1";

/// A push transaction still open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct OpenPush {
    /// Its server process (`pg_stat_activity.pid`), for the operator.
    pub(super) pid: i32,
    /// How long its transaction has been open.
    pub(super) age: Duration,
}

/// The oldest push still open on this database, if any.
pub(super) async fn oldest_open_push(pool: &PgPool) -> Result<Option<OpenPush>, StoreError> {
    let row: Option<(i32, f64)> = sqlx::query_as(OLDEST_OPEN_PUSH)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(pid, age)| OpenPush {
        pid,
        age: Duration::from_secs_f64(age.max(0.0)),
    }))
}

/// Refreshes the gauge of the oldest open push and warns about one that
/// stays open.
pub(super) struct Monitor {
    task: JoinHandle<()>,
}

impl Monitor {
    /// Starts refreshing every [`MONITOR_INTERVAL`].
    pub(super) fn start(pool: PgPool) -> Self {
        Self {
            task: tokio::spawn(monitor(pool)),
        }
    }

    /// Stops refreshing.
    pub(super) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn monitor(pool: PgPool) {
    let gauge = metrics::gauge!(OLDEST_OPEN_PUSH_GAUGE);
    let mut warned: Option<Instant> = None;
    let mut tick = tokio::time::interval(MONITOR_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match oldest_open_push(&pool).await {
            Ok(open) => {
                gauge.set(open.map_or(0.0, |p| p.age.as_secs_f64()));
                match open {
                    Some(p) if p.age >= PUSH_STALLED_AFTER => {
                        if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                            warned = Some(Instant::now());
                            tracing::warn!(
                                pid = p.pid,
                                open_seconds = p.age.as_secs(),
                                "a push transaction has been open for {} s: projections \
                                 cannot pass its position until it ends (pg_stat_activity pid {})",
                                p.age.as_secs(),
                                p.pid
                            );
                        }
                    }
                    _ => warned = None,
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot read the oldest open push"),
        }
    }
}
