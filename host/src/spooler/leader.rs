//! # Leader election: which node runs a projection
//!
//! On PostgreSQL several nodes share the read models, and exactly one of them
//! may run a given projection generation at a time. The leader holds a
//! **lease** on the generation's key: a row of `projection_leases` with an
//! owner (this process), an epoch (counted up at every change of owner) and
//! an expiry on the database's clock, renewed every third of
//! `Projections.LeaderLease`. It also holds a session advisory lock on the
//! key, on a dedicated connection:
//!
//! - a node that is killed closes its connection, PostgreSQL releases the
//!   lock at once, and the standby that takes it takes the lease over
//!   without waiting for it to expire: within `LeaderRetry`;
//! - a node that freezes (SIGSTOP, a long pause) or loses the network keeps
//!   its session, and with it the lock, but stops renewing: a standby takes
//!   the lease over once it expired, within `LeaderLease` + `LeaderRetry` of
//!   the last renewal (`docs/cqrs.md`, "Failure bounds").
//!
//! The lease is also a **fence**: every spooler transaction moves its
//! position only while its lease, with its epoch, is still valid, and locks
//! the lease row while it does (`FOR KEY SHARE`), so a takeover (which locks
//! it `FOR UPDATE`) waits for a batch in flight and a leader that lost its
//! lease cannot apply anything, even if it does not know yet. A transaction
//! left open by a frozen leader is ended by the server after
//! [`crate::eventstore::postgres::IDLE_IN_TRANSACTION_TIMEOUT`].
//!
//! Leases are taken and renewed on a dedicated connection with a short
//! `lock_timeout`, so a lease row locked by someone else's batch makes an
//! attempt fail quickly instead of stalling every other renewal.
//!
//! SQLite has one node by construction (the data directory is locked), so
//! every projection runs locally.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use tokio::sync::{Mutex, watch};

use crate::readmodel::Fence;

/// How long a lease statement waits for a row lock before giving up (a
/// batch of the current leader holds it; the next attempt comes soon).
const LOCK_TIMEOUT: &str = "200ms";

/// Takes a lease nobody ever held.
const INSERT: &str = "INSERT INTO projection_leases (key, owner, epoch, expires_at) \
     VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond') \
     ON CONFLICT (key) DO NOTHING RETURNING epoch";

/// Takes a lease over, with a new epoch: one that expired, or is the
/// taker's own, or (when `$4`: the taker holds the advisory lock) whose
/// owner's lease session is gone (a killed node). A frozen owner that
/// resumes still holds the lock but cannot take back a lease a live node
/// took meanwhile. The row is locked `FOR UPDATE` first, so a batch in
/// flight under the old lease (holding it `FOR KEY SHARE`) commits or ends
/// before.
const TAKE_OVER: &str = "UPDATE projection_leases \
     SET owner = $2, epoch = epoch + 1, expires_at = clock_timestamp() + $3 * interval '1 millisecond' \
     WHERE key = (SELECT l.key FROM projection_leases AS l WHERE l.key = $1 \
                   AND (l.expires_at < clock_timestamp() OR l.owner = $2 \
                        OR $4 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a \
                                               WHERE a.application_name = 'rampart-leader ' || l.owner)) \
                   FOR UPDATE) \
     RETURNING epoch";

/// Takes the advisory locks of the given ids that are free; returns those.
const TRY_LOCK: &str = "SELECT id FROM unnest($1::bigint[]) AS id WHERE pg_try_advisory_lock(id)";

/// Releases an advisory lock.
const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";

/// Renews every lease this node holds that has not expired; returns those
/// it renewed.
const RENEW: &str = "UPDATE projection_leases \
     SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' \
     WHERE owner = $2 AND key = ANY($1) AND expires_at > clock_timestamp() \
     RETURNING key, epoch";

/// Gives a lease up: it expires now, so a standby takes over at its next try.
const RELEASE: &str = "UPDATE projection_leases SET expires_at = clock_timestamp() \
     WHERE key = $1 AND owner = $2";

/// PostgreSQL's code for "could not obtain lock" (`lock_timeout`).
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Who may run which projections.
#[derive(Clone)]
pub enum Leadership {
    /// One node owns everything (SQLite).
    Local,
    /// Leases in PostgreSQL.
    Postgres(Arc<PgLeader>),
}

/// The leases of this node on PostgreSQL.
pub struct PgLeader {
    options: PgConnectOptions,
    /// This process, as the owner column names it.
    owner: String,
    lease: Duration,
    state: Mutex<Leases>,
    /// Bumped whenever held leases were lost.
    lost: watch::Sender<u64>,
}

#[derive(Default)]
struct Leases {
    conn: Option<PgConnection>,
    held: BTreeMap<String, Held>,
}

impl Leases {
    /// Whether `key` is held and, on this node's clock, still valid.
    fn holds(&self, key: &str) -> bool {
        self.held.get(key).is_some_and(|h| h.until > Instant::now())
    }
}

/// A lease this node holds.
#[derive(Debug, Clone, Copy)]
struct Held {
    epoch: i64,
    /// Whether this node's connection holds the key's advisory lock too
    /// (it may not, after taking over from a frozen node that still does).
    locked: bool,
    /// Until when it is valid for certain, on this node's clock: the lease
    /// from the moment its last renewal was sent.
    until: Instant,
}

impl Leadership {
    /// Leadership over the database `options` connects to, with leases of
    /// `lease`. Does not connect yet: the first [`Leadership::try_acquire`]
    /// does.
    pub fn postgres(options: PgConnectOptions, lease: Duration) -> Self {
        // Short enough for the session's application name (63 bytes), by
        // which others see whether the owner's session is alive.
        let host: String = hostname()
            .chars()
            .filter(char::is_ascii_graphic)
            .take(24)
            .collect();
        let owner = format!(
            "{host}/{}/{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Leadership::Postgres(Arc::new(PgLeader {
            options: options
                .application_name(&format!("rampart-leader {owner}"))
                .options([("lock_timeout", LOCK_TIMEOUT)]),
            owner,
            lease: lease.max(Duration::from_millis(300)),
            state: Mutex::default(),
            lost: watch::Sender::new(0),
        }))
    }

    /// Tries to become the leader of `key` (e.g. `users/3`). `Ok(false)` when
    /// another node leads it; already holding it is `Ok(true)`.
    ///
    /// # Errors
    /// The database error when the lease connection cannot be opened or used.
    pub async fn try_acquire(&self, key: &str) -> Result<bool, sqlx::Error> {
        match self {
            Leadership::Local => Ok(true),
            Leadership::Postgres(pg) => pg.try_acquire(key).await,
        }
    }

    /// Gives up leadership of `key` (a spooler that stops).
    pub async fn release(&self, key: &str) {
        if let Leadership::Postgres(pg) = self {
            pg.release(key).await;
        }
    }

    /// Whether this node still holds `key` for certain.
    pub async fn holds(&self, key: &str) -> bool {
        match self {
            Leadership::Local => true,
            Leadership::Postgres(pg) => pg.state.lock().await.holds(key),
        }
    }

    /// The fence a write under `key` must pass: `None` on a single node, or
    /// when this node does not hold `key`.
    pub async fn fence(&self, key: &str) -> Option<Fence> {
        let Leadership::Postgres(pg) = self else {
            return None;
        };
        let state = pg.state.lock().await;
        state.held.get(key).map(|h| Fence {
            key: key.to_owned(),
            owner: pg.owner.clone(),
            epoch: h.epoch,
        })
    }

    /// A receiver that changes when this node lost leases.
    pub fn lost(&self) -> Option<watch::Receiver<u64>> {
        match self {
            Leadership::Local => None,
            Leadership::Postgres(pg) => Some(pg.lost.subscribe()),
        }
    }

    /// Renews the held leases every third of the lease; a lease that could
    /// not be renewed in time counts as lost. Runs until the returned task
    /// is aborted.
    pub fn start_renewing(&self) -> Option<tokio::task::JoinHandle<()>> {
        let Leadership::Postgres(pg) = self else {
            return None;
        };
        let pg = pg.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(pg.lease / 3);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                pg.renew().await;
            }
        }))
    }
}

impl PgLeader {
    fn lease_ms(&self) -> f64 {
        self.lease.as_secs_f64() * 1000.0
    }

    async fn try_acquire(&self, key: &str) -> Result<bool, sqlx::Error> {
        let mut state = self.state.lock().await;
        if state.holds(key) {
            return Ok(true);
        }
        let id = lock_id(key);
        let was_locked = state.held.get(key).is_some_and(|h| h.locked);
        let sent = Instant::now();
        let taken = async {
            let conn = connection(&mut state.conn, &self.options).await?;
            let locked = was_locked || !try_lock(conn, &[id]).await?.is_empty();
            // Only the lock holder creates a lease: a node of an older
            // version, which knows only the lock, leads alone.
            let inserted = if locked {
                sqlx::query(INSERT)
                    .bind(key)
                    .bind(&self.owner)
                    .bind(self.lease_ms())
                    .fetch_optional(&mut *conn)
                    .await?
            } else {
                None
            };
            let epoch = match inserted {
                Some(row) => Some(row.try_get::<i64, _>(0)?),
                None => sqlx::query(TAKE_OVER)
                    .bind(key)
                    .bind(&self.owner)
                    .bind(self.lease_ms())
                    .bind(locked)
                    .fetch_optional(&mut *conn)
                    .await?
                    .map(|row| row.try_get::<i64, _>(0))
                    .transpose()?,
            };
            if epoch.is_none() && locked {
                sqlx::query(UNLOCK).bind(id).execute(&mut *conn).await?;
            }
            Ok::<_, sqlx::Error>(epoch.map(|epoch| (epoch, locked)))
        }
        .await;
        match taken {
            Ok(Some((epoch, locked))) => {
                let until = sent + self.lease;
                state.held.insert(
                    key.to_owned(),
                    Held {
                        epoch,
                        locked,
                        until,
                    },
                );
                Ok(true)
            }
            Ok(None) => {
                state.held.remove(key);
                Ok(false)
            }
            // A batch of the current leader holds the row: not now.
            Err(error) if has_code(&error, LOCK_NOT_AVAILABLE) => Ok(false),
            Err(error) => {
                self.drop_connection(&mut state);
                Err(error)
            }
        }
    }

    async fn release(&self, key: &str) {
        let mut state = self.state.lock().await;
        let Some(held) = state.held.remove(key) else {
            return;
        };
        let released = async {
            let conn = connection(&mut state.conn, &self.options).await?;
            sqlx::query(RELEASE)
                .bind(key)
                .bind(&self.owner)
                .execute(&mut *conn)
                .await?;
            if held.locked {
                sqlx::query(UNLOCK)
                    .bind(lock_id(key))
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await;
        if let Err(error) = released {
            // The lease expires on its own, the lock goes with the session.
            tracing::debug!(%key, %error, "could not release a projection lease");
            self.drop_connection(&mut state);
        }
    }

    /// Renews every held lease; forgets those that were not renewed and
    /// expired on this node's clock, and those another node took. Takes the
    /// advisory locks of held leases that lack theirs (a frozen node that
    /// held them has let go), and lets go of the locks of lost leases.
    async fn renew(&self) {
        let mut state = self.state.lock().await;
        if state.held.is_empty() {
            return;
        }
        let keys: Vec<String> = state.held.keys().cloned().collect();
        let sent = Instant::now();
        let renewed = async {
            let conn = connection(&mut state.conn, &self.options).await?;
            sqlx::query(RENEW)
                .bind(&keys)
                .bind(&self.owner)
                .bind(self.lease_ms())
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<BTreeMap<_, _>, sqlx::Error>>()
        }
        .await;
        let before = state.held.len();
        let mut lost = Vec::new();
        match renewed {
            Ok(renewed) => {
                state.held.retain(|key, held| match renewed.get(key) {
                    Some(epoch) if *epoch == held.epoch => {
                        held.until = sent + self.lease;
                        true
                    }
                    _ => {
                        lost.push((key.clone(), held.locked));
                        false
                    }
                });
                if !lost.is_empty() {
                    tracing::warn!(
                        lost = lost.len(),
                        "projection leases expired or were taken over: standing down"
                    );
                }
            }
            Err(error) => {
                let now = Instant::now();
                state.held.retain(|key, held| {
                    let valid = held.until > now;
                    if !valid {
                        lost.push((key.clone(), held.locked));
                    }
                    valid
                });
                tracing::warn!(%error, lost = lost.len(), "cannot renew the projection leases");
                if !has_code(&error, LOCK_NOT_AVAILABLE) {
                    self.drop_connection(&mut state);
                }
            }
        }
        if let Err(error) = self.adjust_locks(&mut state, &lost).await {
            tracing::debug!(%error, "cannot adjust the projection advisory locks");
            self.drop_connection(&mut state);
        }
        if state.held.len() < before {
            self.lost.send_modify(|n| *n += 1);
        }
    }

    /// Lets go of the advisory locks of `lost` leases, and takes those of
    /// held leases that lack theirs.
    async fn adjust_locks(
        &self,
        state: &mut Leases,
        lost: &[(String, bool)],
    ) -> Result<(), sqlx::Error> {
        let Some(conn) = state.conn.as_mut() else {
            return Ok(());
        };
        for (key, locked) in lost {
            if *locked {
                sqlx::query(UNLOCK)
                    .bind(lock_id(key))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        let missing: Vec<i64> = state
            .held
            .iter()
            .filter(|(_, h)| !h.locked)
            .map(|(key, _)| lock_id(key))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let taken = try_lock(conn, &missing).await?;
        for (key, held) in &mut state.held {
            if taken.contains(&lock_id(key)) {
                held.locked = true;
            }
        }
        Ok(())
    }

    /// Forgets the lease connection; the advisory locks go with its session,
    /// the leases stay until they expire.
    fn drop_connection(&self, state: &mut Leases) {
        state.conn = None;
        for held in state.held.values_mut() {
            held.locked = false;
        }
    }
}

/// Takes the free advisory locks among `ids`; returns those taken.
async fn try_lock(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(TRY_LOCK).bind(ids).fetch_all(conn).await
}

/// The advisory-lock id of a leadership key: the first 8 bytes of its
/// SHA-256, so every node computes the same id without coordination (the
/// same ids as the versions that used locks alone).
fn lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(format!("rampart.spooler/{key}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The lease connection, opened if needed.
async fn connection<'c>(
    conn: &'c mut Option<PgConnection>,
    options: &PgConnectOptions,
) -> Result<&'c mut PgConnection, sqlx::Error> {
    if conn.is_none() {
        *conn = Some(PgConnection::connect_with(options).await?);
    }
    Ok(conn.as_mut().expect("connected above"))
}

fn has_code(e: &sqlx::Error, code: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(code))
}

/// The host's name, for people reading `projection_leases`.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "node".to_owned())
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
