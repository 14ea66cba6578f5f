//! # The plugin call pool
//!
//! Plugin calls run here and nowhere near the async runtime: a fixed set of
//! OS threads fed by one bounded queue (`Plugins.Pool`). A plugin that uses
//! its whole deadline on every call therefore costs at most the pool's
//! threads, never the tokio workers that serve HTTP, health checks and other
//! tenants; and when calls arrive faster than the pool drains them, the
//! queue fills and further calls fail at once with
//! [`PluginError::Overloaded`] instead of piling up.
//!
//! Running off the runtime also matters for correctness: wasmtime-wasi's
//! synchronous bindings (a guest writing to stdout, reading a clock) enter a
//! tokio runtime of their own, which panics on a runtime worker thread.
//!
//! ```ignore
//! let verdict = pool.run("password-policy", &stats, move || plugin.validate(&cmd, &state)).await?;
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::error::PluginError;
use super::stats::PluginStats;

/// One queued call.
type Job = Box<dyn FnOnce() + Send>;

/// What one worker thread runs now, or ran last: the plugin's name, and
/// whether the call is still running.
type Slot = Arc<Mutex<Option<(String, bool)>>>;

thread_local! {
    /// The slot of the pool worker this thread is, if it is one.
    static SLOT: RefCell<Option<Slot>> = const { RefCell::new(None) };
}

/// Marks the current pool thread as running plugin `name` until dropped,
/// so a refusal can name the plugin that keeps the pool busy. A no-op off
/// the pool (tests, spoolers).
pub(crate) struct Running(Option<Slot>);

/// Records that this thread runs plugin `name` now.
pub(crate) fn running(name: &str) -> Running {
    let slot = SLOT.with(|slot| slot.borrow().clone());
    if let Some(slot) = &slot {
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((name.to_owned(), true));
    }
    Running(slot)
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(slot) = &self.0
            && let Some((_, running)) = &mut *slot.lock().unwrap_or_else(PoisonError::into_inner)
        {
            *running = false;
        }
    }
}

/// A bounded pool of threads that run plugin calls.
pub(crate) struct CallPool {
    sender: Mutex<Option<SyncSender<Job>>>,
    threads: Vec<JoinHandle<()>>,
    slots: Vec<Slot>,
    queue: usize,
    /// Calls queued or running.
    pending: Arc<AtomicUsize>,
}

impl std::fmt::Debug for CallPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallPool")
            .field("threads", &self.threads.len())
            .field("queue", &self.queue)
            .field("pending", &self.pending())
            .finish()
    }
}

impl CallPool {
    /// Starts `threads` worker threads (at least one) behind a queue of
    /// `queue` calls waiting for a thread, each lowered to niceness `nice`
    /// (0 keeps the server's priority).
    ///
    /// # Errors
    /// The I/O error when a thread cannot be spawned.
    pub(crate) fn start(threads: usize, queue: usize, nice: u8) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let slots: Vec<Slot> = (0..threads.max(1)).map(|_| Slot::default()).collect();
        let handles = slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                let receiver = receiver.clone();
                let slot = slot.clone();
                std::thread::Builder::new()
                    .name(format!("rampart-plugin-{index}"))
                    .spawn(move || {
                        if nice > 0
                            && let Err(error) = lower_priority(nice)
                        {
                            tracing::warn!("plugin threads keep the server's priority: {error}");
                        }
                        SLOT.with(|own| *own.borrow_mut() = Some(slot));
                        work(&receiver)
                    })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        metrics::gauge!("rampart_plugin_pool_threads").set(handles.len() as f64);
        Ok(Self {
            sender: Mutex::new(Some(sender)),
            threads: handles,
            slots,
            queue,
            pending: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Calls queued or running right now.
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// The plugin on most worker threads, running now or (when none runs)
    /// run last, if any ran.
    fn busiest(&self) -> Option<String> {
        let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
        for slot in &self.slots {
            if let Some((name, running)) = &*slot.lock().unwrap_or_else(PoisonError::into_inner) {
                let count = counts.entry(name.clone()).or_default();
                count.0 += usize::from(*running);
                count.1 += 1;
            }
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(name, _)| name)
    }

    /// Runs `call` (a call of plugin `plugin`, or a chain of calls starting
    /// with it) on a pool thread and waits for it without blocking the async
    /// runtime.
    ///
    /// # Errors
    /// [`PluginError::Overloaded`] at once when the queue is full, naming the
    /// plugins the call would have run and the one occupying the threads; [`PluginError::Trap`] when
    /// the call panicked in the host. Both count as a failed call in the
    /// statistics of every plugin in `stats` (those the call would have
    /// asked), like the calls' own failures.
    pub(crate) async fn run<R: Send + 'static>(
        &self,
        plugin: &str,
        stats: &[Arc<PluginStats>],
        call: impl FnOnce() -> Result<R, PluginError> + Send + 'static,
    ) -> Result<R, PluginError> {
        let (reply, answer) = oneshot::channel();
        let pending = self.pending.clone();
        let job_stats = stats.first().cloned();
        let name = plugin.to_owned();
        let job: Job = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|panic| {
                let message = panic_message(panic.as_ref());
                tracing::error!(target: "rampart::plugin", plugin = %name, "plugin call panicked in the host: {message}");
                let error = PluginError::Trap {
                    plugin: name,
                    hook: "call",
                    message: format!("the host failed while running the call: {message}"),
                };
                if let Some(stats) = &job_stats {
                    stats.record_error(Duration::ZERO, &error.to_string());
                }
                Err(error)
            });
            pending.fetch_sub(1, Ordering::Relaxed);
            let _ = reply.send(outcome);
        });
        self.pending.fetch_add(1, Ordering::Relaxed);
        let sent = match &*self.sender.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(sender) => sender.try_send(job),
            None => Err(TrySendError::Disconnected(job)),
        };
        if let Err(refused) = sent {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            let error = match refused {
                TrySendError::Full(_) => {
                    let mut names: Vec<String> = stats
                        .iter()
                        .filter_map(|s| s.name().map(|n| format!("`{n}`")))
                        .collect();
                    if names.is_empty() {
                        names.push(format!("`{plugin}`"));
                    }
                    PluginError::Overloaded {
                        plugin: plugin.to_owned(),
                        refused: names.join(", "),
                        busy: self.busiest(),
                        threads: self.threads.len(),
                        queue: self.queue,
                    }
                }
                TrySendError::Disconnected(_) => PluginError::Unavailable {
                    plugin: plugin.to_owned(),
                    message: "the plugin runtime is shutting down".to_owned(),
                },
            };
            metrics::counter!("rampart_plugin_calls_refused_total", "plugin" => plugin.to_owned())
                .increment(1);
            let message = error.to_string();
            for stats in stats {
                stats.record_error(Duration::ZERO, &message);
            }
            return Err(error);
        }
        answer.await.unwrap_or_else(|_| {
            Err(PluginError::Unavailable {
                plugin: plugin.to_owned(),
                message: "the plugin runtime stopped before the call finished".to_owned(),
            })
        })
    }
}

impl Drop for CallPool {
    fn drop(&mut self) {
        // Closing the queue ends every worker once it drained what was queued.
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A worker: runs queued calls until the queue closes.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Lowers the calling thread's CPU priority to niceness `nice` (1–19), so
/// that a plugin spinning to its deadline yields the CPU to the threads that
/// serve requests whenever they have work. Unprivileged (only lowers).
fn lower_priority(nice: u8) -> Result<(), String> {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    // thread-priority maps its 0–99 scale linearly onto niceness 19…-20
    // (truncating); this step lands on `nice` exactly.
    let nice = i32::from(nice.min(19));
    let step = u8::try_from((19 - nice) * 99 / 39).map_err(|e| e.to_string())?;
    let value = ThreadPriorityValue::try_from(step)?;
    set_current_thread_priority(ThreadPriority::Crossplatform(value)).map_err(|e| format!("{e:?}"))
}

/// The text of a panic payload.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_names_the_busy_plugin_and_counts_the_refusal() {
        let pool = CallPool::start(1, 1, 0).unwrap();
        let stats = Arc::new(PluginStats::new());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let blocker = |wait: Arc<Mutex<Receiver<()>>>| {
            move || {
                let _running = running("slow");
                let _ = wait.lock().unwrap().recv();
                Ok(1)
            }
        };
        let pool = Arc::new(pool);
        let running = {
            let (pool, stats, wait) = (pool.clone(), stats.clone(), wait.clone());
            tokio::spawn(async move {
                pool.run("slow", std::slice::from_ref(&stats), blocker(wait))
                    .await
            })
        };
        while pool.pending() < 1 {
            tokio::task::yield_now().await;
        }
        // Give the worker time to take the first call off the queue.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = {
            let (pool, stats, wait) = (pool.clone(), stats.clone(), wait.clone());
            tokio::spawn(async move {
                pool.run("slow", std::slice::from_ref(&stats), blocker(wait))
                    .await
            })
        };
        while pool.pending() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = pool
            .run("other", std::slice::from_ref(&stats), || Ok(3))
            .await;
        assert!(
            matches!(&refused, Err(PluginError::Overloaded { plugin, busy: Some(busy), .. })
                if plugin == "other" && busy == "slow"),
            "{refused:?}"
        );
        assert_eq!(stats.errors(), 1);
        release.send(()).unwrap();
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 1);
        assert_eq!(pool.pending(), 0);
    }

    /// The calling thread's niceness, from `/proc`.
    fn own_niceness() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // Fields after the parenthesised command name; nice is field 19.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn pool_threads_run_at_the_configured_niceness() {
        for nice in [1, 5, 10, 19] {
            let seen = std::thread::spawn(move || {
                lower_priority(nice).unwrap();
                own_niceness()
            })
            .join()
            .unwrap();
            assert_eq!(seen, i32::from(nice));
        }
    }

    #[tokio::test]
    async fn a_panic_in_the_host_becomes_a_counted_error() {
        let pool = CallPool::start(1, 4, 0).unwrap();
        let stats = Arc::new(PluginStats::new());
        let result: Result<(), _> = pool
            .run("boom", std::slice::from_ref(&stats), || {
                panic!("cannot start a runtime")
            })
            .await;
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("boom") && err.contains("cannot start a runtime"),
            "{err}"
        );
        assert_eq!((stats.calls(), stats.errors()), (1, 1));
        // The worker survived the panic.
        let again = pool.run("boom", std::slice::from_ref(&stats), || Ok(7));
        assert_eq!(again.await.unwrap(), 7);
    }
}
