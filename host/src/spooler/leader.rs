//! # Leader election: which node runs a projection
//!
//! On PostgreSQL several nodes share the read models, and exactly one of them
//! may run a given projection generation at a time. The leader holds a
//! session-level advisory lock (`pg_try_advisory_lock`) on a **dedicated
//! connection** that does nothing else. When that node dies, its connection
//! closes and PostgreSQL releases the lock at once; the others try every
//! `Projections.LeaderRetry` and one of them takes over. The dedicated
//! connection is pinged at the same interval: a node whose connection broke
//! stops its spoolers before anyone else can have taken the locks over.
//!
//! The lock is an efficiency measure, not the safety net: every spooler
//! transaction moves its position with a compare-and-set, so even two nodes
//! that both believed they lead could never apply an event twice.
//!
//! SQLite has one node by construction (the data directory is locked), so
//! every projection runs locally.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use tokio::sync::{Mutex, watch};

/// Who may run which projections.
#[derive(Clone)]
pub enum Leadership {
    /// One node owns everything (SQLite).
    Local,
    /// Advisory locks on a dedicated PostgreSQL connection.
    Postgres(Arc<PgLeader>),
}

/// The PostgreSQL leader lock holder of this node.
pub struct PgLeader {
    options: PgConnectOptions,
    state: Mutex<LockConnection>,
    /// Bumped whenever held locks were lost (the connection broke).
    lost: watch::Sender<u64>,
}

#[derive(Default)]
struct LockConnection {
    conn: Option<PgConnection>,
    held: BTreeSet<i64>,
}

impl Leadership {
    /// Leadership over the database `options` connects to. Does not connect
    /// yet: the first [`Leadership::try_acquire`] does.
    pub fn postgres(options: PgConnectOptions) -> Self {
        Leadership::Postgres(Arc::new(PgLeader {
            options: options.application_name("rampart-leader"),
            state: Mutex::default(),
            lost: watch::Sender::new(0),
        }))
    }

    /// Tries to become the leader of `key` (e.g. `users/3`). `Ok(false)` when
    /// another node leads it; already holding it is `Ok(true)`.
    ///
    /// # Errors
    /// The database error when the lock connection cannot be opened or used.
    pub async fn try_acquire(&self, key: &str) -> Result<bool, sqlx::Error> {
        match self {
            Leadership::Local => Ok(true),
            Leadership::Postgres(pg) => pg.try_acquire(lock_id(key)).await,
        }
    }

    /// Gives up leadership of `key` (a spooler that stops).
    pub async fn release(&self, key: &str) {
        if let Leadership::Postgres(pg) = self {
            pg.release(lock_id(key)).await;
        }
    }

    /// Whether this node still holds `key`.
    pub async fn holds(&self, key: &str) -> bool {
        match self {
            Leadership::Local => true,
            Leadership::Postgres(pg) => pg.state.lock().await.held.contains(&lock_id(key)),
        }
    }

    /// A receiver that changes when this node lost its locks.
    pub fn lost(&self) -> Option<watch::Receiver<u64>> {
        match self {
            Leadership::Local => None,
            Leadership::Postgres(pg) => Some(pg.lost.subscribe()),
        }
    }

    /// Pings the lock connection every `every`; when the ping fails, every
    /// held lock counts as lost. Runs until the returned task is aborted.
    pub fn start_watchdog(&self, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
        let Leadership::Postgres(pg) = self else {
            return None;
        };
        let pg = pg.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                pg.ping().await;
            }
        }))
    }
}

impl PgLeader {
    async fn try_acquire(&self, id: i64) -> Result<bool, sqlx::Error> {
        let mut state = self.state.lock().await;
        if state.held.contains(&id) {
            return Ok(true);
        }
        if state.conn.is_none() {
            state.conn = Some(PgConnection::connect_with(&self.options).await?);
        }
        let conn = state.conn.as_mut().expect("connected above");
        let acquired = sqlx::query("SELECT pg_try_advisory_lock($1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await;
        match acquired.and_then(|row| row.try_get::<bool, _>(0)) {
            Ok(true) => {
                state.held.insert(id);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(error) => {
                self.drop_connection(&mut state);
                Err(error)
            }
        }
    }

    async fn release(&self, id: i64) {
        let mut state = self.state.lock().await;
        if !state.held.remove(&id) {
            return;
        }
        if let Some(conn) = state.conn.as_mut() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(id)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                self.drop_connection(&mut state);
            }
        }
    }

    async fn ping(&self) {
        let mut state = self.state.lock().await;
        let Some(conn) = state.conn.as_mut() else {
            return;
        };
        if conn.ping().await.is_err() {
            tracing::warn!("the leader-lock connection broke: stopping the projections it held");
            self.drop_connection(&mut state);
        }
    }

    /// Forgets the connection and every lock it held (PostgreSQL releases
    /// them when the session ends).
    fn drop_connection(&self, state: &mut LockConnection) {
        state.conn = None;
        if !state.held.is_empty() {
            state.held.clear();
            self.lost.send_modify(|n| *n += 1);
        }
    }
}

/// The advisory-lock id of a leadership key: the first 8 bytes of its
/// SHA-256, so every node computes the same id without coordination.
fn lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(format!("rampart.spooler/{key}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_ids_are_stable_and_distinct_per_key() {
        assert_eq!(lock_id("users/1"), lock_id("users/1"));
        assert_ne!(lock_id("users/1"), lock_id("users/2"));
        assert_ne!(lock_id("users/1"), lock_id("orgs/1"));
    }
}
