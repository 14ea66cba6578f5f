//! Topping up a group commit: the requests that arrive while the committer
//! yields a few times join the group it is about to commit. The pushers
//! woken by the previous group's answers are usually just about to send;
//! joining now saves them a whole commit cycle.

use tokio::sync::mpsc;

/// Adds to `group` (up to `max`) what `queue` receives while the task
/// yields `yields` times.
pub(crate) async fn gather<T>(
    queue: &mut mpsc::Receiver<T>,
    group: &mut Vec<T>,
    max: usize,
    yields: usize,
) {
    for _ in 0..yields {
        if group.len() >= max {
            return;
        }
        tokio::task::yield_now().await;
        while group.len() < max {
            match queue.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
    }
}
