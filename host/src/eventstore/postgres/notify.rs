//! Cross-node notifications: pushes of every node wake the followers of
//! every node.
//!
//! A `NOTIFY` inside the push transaction would serialize all committing
//! pushes on PostgreSQL's notification queue lock, so pushes only mark that
//! something was written; a background task sends one `NOTIFY` per
//! `Eventstore.NotifyInterval` carrying the newest local position, and a
//! `LISTEN`ing task wakes the local [`Notifier`] for each one it receives
//! (the position it carries is for people reading the traffic; nothing
//! trusts it). Notifications are hints: followers still poll, so a lost one
//! only delays.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::eventstore::Notifier;

/// The channel every node listens on.
pub(super) const CHANNEL: &str = "rampart_events";

/// Owns the send and listen tasks.
pub(super) struct Broadcaster {
    wake: Arc<Notify>,
    tasks: [JoinHandle<()>; 2],
}

impl Broadcaster {
    /// Starts both tasks on `pool`.
    pub(super) fn start(pool: PgPool, notifier: Arc<Notifier>, interval: Duration) -> Self {
        let wake = Arc::new(Notify::new());
        let send = tokio::spawn(send_loop(
            pool.clone(),
            notifier.clone(),
            wake.clone(),
            interval,
        ));
        let listen = tokio::spawn(listen_loop(pool, notifier));
        Self {
            wake,
            tasks: [send, listen],
        }
    }

    /// Marks that this node pushed; the next `NOTIFY` goes out within one
    /// interval.
    pub(super) fn pushed(&self) {
        self.wake.notify_one();
    }

    /// Stops both tasks.
    pub(super) async fn stop(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn send_loop(pool: PgPool, notifier: Arc<Notifier>, wake: Arc<Notify>, interval: Duration) {
    loop {
        wake.notified().await;
        tokio::time::sleep(interval).await;
        let position = notifier.latest().to_string();
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&position)
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "could not notify other nodes of new events; they will poll");
        }
    }
}

async fn listen_loop(pool: PgPool, notifier: Arc<Notifier>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            // The store is closing: nothing left to listen for.
            Err(_) if pool.is_closed() => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other nodes' events; retrying in 1s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying in 1s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                // The payload is informative only: any role of the database
                // can send one, so it only wakes (see `Notifier`).
                Ok(_) => notifier.committed_elsewhere(),
                Err(_) if pool.is_closed() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "lost the notification connection; reconnecting");
                    break;
                }
            }
        }
    }
}
