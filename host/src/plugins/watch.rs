//! # Watching the plugin directory
//!
//! File events on `Plugins.Dir` (inotify on Linux) are coalesced over a short
//! quiet period, then the registry reloads on a blocking thread: compiling
//! never happens on the async executor or on a request's path.

use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::registry::PluginRegistry;

/// Events closer together than this are one change (a copy is several writes).
const QUIET: Duration = Duration::from_millis(15);
/// A steady stream of events still reloads this often.
const MAX_WAIT: Duration = Duration::from_millis(100);

/// Keeps the watch running; dropping it stops watching.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PluginRegistry {
    /// Watches `Plugins.Dir` and reloads on every change, until the handle
    /// is dropped. Needs a Tokio runtime.
    pub fn watch(self: Arc<Self>) -> notify::Result<WatchHandle> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match &event {
                    Ok(event) => !matches!(event.kind, EventKind::Access(_)),
                    // An overflowed queue means changes we did not see: rescan.
                    Err(_) => true,
                };
                if relevant {
                    let _ = tx.send(());
                }
            })?;
        watcher.watch(&self.config().dir, RecursiveMode::NonRecursive)?;
        let registry = self;
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                let deadline = tokio::time::Instant::now() + MAX_WAIT;
                while let Ok(Some(())) = tokio::time::timeout_at(
                    deadline.min(tokio::time::Instant::now() + QUIET),
                    rx.recv(),
                )
                .await
                {}
                let registry = registry.clone();
                let _ = tokio::task::spawn_blocking(move || registry.reload()).await;
            }
        });
        Ok(WatchHandle {
            _watcher: watcher,
            task,
        })
    }
}
