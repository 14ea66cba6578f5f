//! In-process fan-out of "events were pushed" to followers.

use tokio::sync::watch;

use super::event::Position;

/// Wakes every follower of this process when events were committed, and
/// knows the newest position this process committed.
///
/// Backends call [`Notifier::pushed`] after each commit, and the PostgreSQL
/// listener calls [`Notifier::committed_elsewhere`] for other nodes'
/// pushes; followers hold a receiver from [`Notifier::subscribe`]. Every
/// commit wakes them, whatever its position: on PostgreSQL a push with a
/// lower position can commit after a higher one, and its events become
/// readable only then. A notification is a hint to query, never data.
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

    /// Records that this process committed events up to `position`, and
    /// wakes followers.
    pub fn pushed(&self, position: Position) {
        self.latest.send_modify(|latest| {
            if position > *latest {
                *latest = position;
            }
        });
    }

    /// Wakes followers for events another node committed. What the other
    /// node said about them is not taken in: a notification can be sent by
    /// any role of the database, so it carries no position followers trust.
    pub fn committed_elsewhere(&self) {
        self.latest.send_modify(|_| {});
    }

    /// A receiver for followers: it sees a change on every commit.
    pub fn subscribe(&self) -> watch::Receiver<Position> {
        self.latest.subscribe()
    }

    /// The newest position this process committed.
    pub fn latest(&self) -> Position {
        *self.latest.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_behind_the_newest_position_still_wakes_followers() {
        let notifier = Notifier::new(Position::ZERO);
        let mut follower = notifier.subscribe();
        notifier.pushed(Position::new(10, 0));
        assert!(follower.has_changed().unwrap());
        follower.borrow_and_update();
        // A push with a lower position that committed later.
        notifier.pushed(Position::new(9, 0));
        assert!(follower.has_changed().unwrap(), "the late commit wakes");
        follower.borrow_and_update();
        assert_eq!(notifier.latest(), Position::new(10, 0));
        notifier.committed_elsewhere();
        assert!(
            follower.has_changed().unwrap(),
            "another node's commit wakes"
        );
        assert_eq!(notifier.latest(), Position::new(10, 0), "and moves nothing");
    }
}
