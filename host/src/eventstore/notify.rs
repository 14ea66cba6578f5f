//! In-process fan-out of "events were pushed" to followers.

use tokio::sync::watch;

use super::event::Position;

/// Publishes the newest known position to every follower of this process.
///
/// Backends call [`Notifier::pushed`] after each commit (and the PostgreSQL
/// listener for pushes of other nodes); followers hold a receiver from
/// [`Notifier::subscribe`]. A notification is a hint to query, never data.
#[derive(Debug)]
pub struct Notifier {
    latest: watch::Sender<Position>,
}

impl Notifier {
    /// A notifier whose newest known position is `start`.
    pub fn new(start: Position) -> Self {
        Self {
            latest: watch::Sender::new(start),
        }
    }

    /// Records that events up to `position` exist; wakes followers when it is
    /// newer than what they knew.
    pub fn pushed(&self, position: Position) {
        self.latest.send_if_modified(|latest| {
            let newer = position > *latest;
            if newer {
                *latest = position;
            }
            newer
        });
    }

    /// A receiver for followers.
    pub fn subscribe(&self) -> watch::Receiver<Position> {
        self.latest.subscribe()
    }

    /// The newest position known to this process.
    pub fn latest(&self) -> Position {
        *self.latest.borrow()
    }
}
