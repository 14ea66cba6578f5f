//! Group commit on PostgreSQL: the pushes of concurrent commands share
//! transactions, so the database commits (and flushes its log) once for
//! many of them.
//!
//! Pushes queue on a channel served by a few commit slots
//! (`Database.Postgres.CommitSlots`). A free slot takes everything queued,
//! up to `Database.Postgres.GroupCommitMax`: a push that finds a slot free
//! and nothing queued is pushed at once, alone, by the same statements as
//! ever (no added latency when the server is quiet); under load the pushes
//! that queued while every slot was busy go together in one transaction
//! ([`batch`](super::batch)). When other slots are busy, a slot yields a few
//! times before it starts, so that pushes just about to be sent join it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sqlx::postgres::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::batch::{self, Pending};
use super::push;
use crate::eventstore::gather::gather;
use crate::eventstore::{Event, Push, StoreError};

/// Most pushes in one transaction: each has a subtransaction, and
/// PostgreSQL keeps 64 per transaction in shared memory before every other
/// session's snapshots get slower.
pub const GROUP_COMMIT_LIMIT: usize = 60;

/// Pushes committed by the slots, labelled `commit`: `alone` (a transaction
/// of its own) or `shared` (with others).
const PUSHES_METRIC: &str = "rampart_eventstore_pushes_total";

/// Transactions that committed two or more pushes.
const SHARED_TRANSACTIONS_METRIC: &str = "rampart_eventstore_shared_transactions_total";

/// How often a slot yields to let pushes just about to be sent join it.
const GATHER_YIELDS: usize = 2;

/// A push waiting for a slot.
struct Request {
    pending: Pending,
    reply: oneshot::Sender<Result<Vec<Event>, StoreError>>,
}

/// What the slots have committed since the store opened (the metrics
/// above count the same for `/debug/metrics`).
#[derive(Debug, Default)]
pub struct GroupCommitStats {
    /// Pushes committed in transactions shared with others.
    pub batched_pushes: AtomicU64,
}

/// The queue of pushes and the slots serving it.
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Request>,
    slots: Vec<JoinHandle<()>>,
    stats: Arc<GroupCommitStats>,
}

impl GroupCommit {
    /// Starts `slots` commit slots on `pool`, each committing at most `max`
    /// pushes at once (bounded by [`GROUP_COMMIT_LIMIT`]).
    pub(super) fn start(pool: PgPool, slots: usize, max: usize) -> Self {
        let max = max.clamp(1, GROUP_COMMIT_LIMIT);
        let slots = slots.max(1);
        let (queue, receiver) = mpsc::channel(max * slots * 4);
        let receiver = Arc::new(Mutex::new(receiver));
        let busy = Arc::new(AtomicUsize::new(0));
        let stats = Arc::new(GroupCommitStats::default());
        let slots = (0..slots)
            .map(|_| {
                tokio::spawn(serve(
                    pool.clone(),
                    receiver.clone(),
                    busy.clone(),
                    max,
                    stats.clone(),
                ))
            })
            .collect();
        Self {
            queue,
            slots,
            stats,
        }
    }

    /// Pushes through a slot and waits for the push's own result.
    pub(super) async fn push(
        &self,
        push: Push,
        payloads: Vec<String>,
    ) -> Result<Vec<Event>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            pending: Pending { push, payloads },
            reply,
        };
        self.queue
            .send(request)
            .await
            .map_err(|_| StoreError::Unavailable("the event store is closed".into()))?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the event store closed before the push was answered".into())
        })?
    }

    /// What the slots have committed.
    pub(super) fn stats(&self) -> &GroupCommitStats {
        &self.stats
    }

    /// Stops the slots; pushes in flight are abandoned unanswered (their
    /// callers get [`StoreError::Unavailable`]).
    pub(super) fn stop(&self) {
        for slot in &self.slots {
            slot.abort();
        }
    }
}

/// One slot: takes what is queued, commits it, answers; until the queue closes.
async fn serve(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::Receiver<Request>>>,
    busy: Arc<AtomicUsize>,
    max: usize,
    stats: Arc<GroupCommitStats>,
) {
    let mut group = Vec::with_capacity(max);
    loop {
        {
            let mut queue = receiver.lock().await;
            if queue.recv_many(&mut group, max).await == 0 {
                return;
            }
            if busy.load(Ordering::Relaxed) > 0 {
                gather(&mut queue, &mut group, max, GATHER_YIELDS).await;
            }
            busy.fetch_add(1, Ordering::Relaxed);
        }
        let (pending, replies): (Vec<Pending>, Vec<_>) =
            group.drain(..).map(|r| (r.pending, r.reply)).unzip();
        let results = match <[Pending; 1]>::try_from(pending) {
            Ok([Pending { push, payloads }]) => {
                metrics::counter!(PUSHES_METRIC, "commit" => "alone").increment(1);
                vec![push::push(&pool, push, payloads).await]
            }
            Err(pending) => {
                stats
                    .batched_pushes
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                metrics::counter!(SHARED_TRANSACTIONS_METRIC).increment(1);
                metrics::counter!(PUSHES_METRIC, "commit" => "shared")
                    .increment(pending.len() as u64);
                batch::commit(&pool, pending).await
            }
        };
        busy.fetch_sub(1, Ordering::Relaxed);
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}
