//! Reading the global order as it grows, never skipping an event.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::event::{Event, Position};
use super::query::EventQuery;
use super::{EventStore, StoreError};

/// How long a follower waits before asking again when a notification found
/// nothing to read: the events may not be settled yet (an older push still
/// committing, or a transaction that ended as the read began).
const UNSETTLED_RETRY: Duration = Duration::from_millis(2);
/// How many quick retries one notification gets before the follower waits
/// for the next one (every commit notifies) or its poll interval (the events
/// may not match its filter).
const UNSETTLED_RETRIES: u32 = 25;

/// Follows the events matching a filter in global order, a batch at a time,
/// from a cursor: the reading half of every spooler.
///
/// Reads only below the store's settled horizon
/// ([`EventStore::settled_horizon`]), so an event that commits late with an
/// earlier position is never skipped. Wakes on the
/// store's notifications and, as a safety net, every `poll_interval`.
pub struct Follower {
    store: Arc<dyn EventStore>,
    filter: EventQuery,
    cursor: Position,
    batch: u32,
    poll_interval: Duration,
    coalesce: Duration,
    /// Quick retries after a notification of events not settled yet.
    unsettled_retries: u32,
    notifications: watch::Receiver<Position>,
}

impl Follower {
    /// A follower of `filter` (its position, limit and order are replaced)
    /// starting after `cursor`.
    pub fn new(
        store: Arc<dyn EventStore>,
        filter: EventQuery,
        cursor: Position,
        batch: u32,
        poll_interval: Duration,
    ) -> Self {
        let notifications = store.notifications();
        Self {
            store,
            filter,
            cursor,
            batch: batch.max(1),
            poll_interval,
            coalesce: Duration::ZERO,
            unsettled_retries: UNSETTLED_RETRIES,
            notifications,
        }
    }

    /// No quick retries after a notification: the next read waits for the
    /// next notification or the poll interval. For a follower whose filter
    /// matches few events, where a notification is rarely about them and
    /// retrying until the other events settle would only cost queries.
    pub fn without_quick_retries(mut self) -> Self {
        self.unsettled_retries = 0;
        self
    }

    /// After a notification, waits `window` before reading, so that the
    /// pushes of a busy moment are read in one query instead of one each.
    pub fn coalesce(mut self, window: Duration) -> Self {
        self.coalesce = window;
        self
    }

    /// How far the follower has read: its last event's position, or further
    /// when nothing of its filter lies between that and the settled horizon.
    pub fn cursor(&self) -> Position {
        self.cursor
    }

    /// Returns the next batch of settled events after the cursor, or an empty
    /// batch if none arrived within one poll interval.
    ///
    /// # Errors
    /// The store's error; the cursor does not move, so calling again retries.
    pub async fn next_batch(&mut self) -> Result<Vec<Event>, StoreError> {
        let mut quick_retries = 0;
        // Whether the read follows a notification of this call (or one that
        // arrived since the last call).
        let mut notified = self.notifications.has_changed().unwrap_or(false);
        let deadline = tokio::time::Instant::now() + self.poll_interval;
        loop {
            self.notifications.borrow_and_update();
            let events = self.read().await?;
            if !events.is_empty() {
                return Ok(events);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            if notified && quick_retries < self.unsettled_retries {
                quick_retries += 1;
                tokio::time::sleep(UNSETTLED_RETRY.min(deadline - now)).await;
                continue;
            }
            tokio::select! {
                changed = self.notifications.changed() => {
                    if changed.is_err() {
                        // The store closed; wait out the interval like a poll.
                        tokio::time::sleep_until(deadline).await;
                    } else if !self.coalesce.is_zero() {
                        tokio::time::sleep(self.coalesce).await;
                    }
                    notified = true;
                }
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Reads the next batch below the settled horizon. When the batch is
    /// not full, nothing else of the filter's is below the horizon: the
    /// cursor moves up to it, so the next read never rescans the events
    /// the filter skipped (a follower of rare events would otherwise walk
    /// every event since its last match, each time).
    async fn read(&mut self) -> Result<Vec<Event>, StoreError> {
        let horizon = self.store.settled_horizon().await?;
        if horizon <= self.cursor.next() {
            return Ok(Vec::new());
        }
        let mut q = self.filter.clone().after(self.cursor).limit(self.batch);
        q.before = Some(horizon);
        q.settled_only = false;
        q.order = super::Order::Ascending;
        let events = self.store.query(&q).await?;
        if let Some(last) = events.last() {
            self.cursor = last.position;
        }
        if events.len() < self.batch as usize {
            self.cursor = self.cursor.max(horizon.previous());
        }
        Ok(events)
    }
}
