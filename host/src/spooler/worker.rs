//! # One spooler: one projection generation, applied by one node
//!
//! Reads the events after the generation's stored position in batches (woken
//! by the store's notifications, and by the periodic requeue), hands each to
//! the projection plugin, and executes the returned statements together with
//! the new position in one transaction: events are read at least once, but
//! their effect lands exactly once.
//!
//! An event the plugin refuses, or whose statements the database refuses, is
//! retried `Projections.MaxAttempts` times (each attempt recorded), then
//! recorded as skipped with its error, and the spooler carries on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use super::Shared;
use super::envelope::{envelope, filter_for};
use crate::eventstore::{Event, Follower, Position};
use crate::plugins::LoadedPlugin;
use crate::readmodel::{Applied, ApplyError, Fence, Generation, GenerationStatus};

/// How long a spooler waits before retrying after the store or the read
/// model could not be reached.
const UNAVAILABLE_BACKOFF: Duration = Duration::from_secs(1);
/// How long a woken spooler lets further pushes arrive before it reads:
/// under load one read then serves many pushes instead of one each.
const WAKE_COALESCE: Duration = Duration::from_millis(2);
/// How often a rebuilding spooler logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What a spooler is doing, for the status API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    /// Another node leads this generation; this one waits to take over.
    Standby,
    /// Applying events.
    Running,
    /// Stopped (retired, or the plugin was unloaded).
    Stopped,
}

/// A spooler's live figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// Leader, standby or stopped.
    pub state: RunState,
    /// Events applied by this node since it took the lead.
    pub applied_here: u64,
    /// Events skipped after their last failed attempt, since start.
    pub skipped_here: u64,
    /// The latest error, if the spooler is struggling.
    pub last_error: Option<String>,
    /// When the spooler last applied a batch.
    pub last_applied_at: Option<DateTime<Utc>>,
}

/// One running spooler, as the manager holds it.
pub(super) struct Worker {
    pub(super) generation: Generation,
    pub(super) plugin: ArcSwap<LoadedPlugin>,
    pub(super) position: watch::Sender<Position>,
    pub(super) status: Mutex<WorkerStatus>,
    stop: watch::Sender<bool>,
    /// Events applied since the tables' statistics were last refreshed.
    since_analyze: AtomicU64,
}

/// Fewest events applied between two refreshes of a generation's planner
/// statistics; past it, a refresh once the tables grew by a tenth (as
/// PostgreSQL's autovacuum would).
const ANALYZE_AFTER: u64 = 1_000;

/// What the next step of the loop is.
enum Flow {
    /// Go on reading after this position.
    Continue(Position),
    /// Read again from this position (after a failed attempt or a skip).
    Reread(Position),
    /// Leadership or the generation is gone: go back to the top.
    Lost,
}

impl Worker {
    /// Starts the spooler of `generation` with `plugin`.
    pub(super) fn spawn(
        shared: Arc<Shared>,
        generation: Generation,
        plugin: Arc<LoadedPlugin>,
    ) -> Arc<Worker> {
        let worker = Arc::new(Worker {
            generation,
            plugin: ArcSwap::new(plugin),
            position: watch::Sender::new(Position::ZERO),
            status: Mutex::new(WorkerStatus {
                state: RunState::Standby,
                applied_here: 0,
                skipped_here: 0,
                last_error: None,
                last_applied_at: None,
            }),
            stop: watch::Sender::new(false),
            since_analyze: AtomicU64::new(0),
        });
        tokio::spawn(worker.clone().run(shared));
        worker
    }

    /// Asks the spooler to stop after its current batch.
    pub(super) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// The leadership key: one leader per projection generation.
    pub(super) fn key(&self) -> String {
        format!("{}/{}", self.generation.projection, self.generation.number)
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    fn set_state(&self, state: RunState) {
        self.status.lock().expect("status lock").state = state;
    }

    fn note_error(&self, error: impl Into<String>) {
        self.status.lock().expect("status lock").last_error = Some(error.into());
    }

    /// Forgets the latest error: the spooler did its work since (caught up,
    /// or stands by behind a reachable leader lock).
    fn recovered(&self) {
        self.status.lock().expect("status lock").last_error = None;
    }

    async fn run(self: Arc<Self>, shared: Arc<Shared>) {
        let key = self.key();
        let mut stop = self.stop.subscribe();
        while !self.stopped() {
            match shared.leadership.try_acquire(&key).await {
                Ok(true) => {
                    self.set_state(RunState::Running);
                    tracing::info!(projection = %key, "leading projection");
                    self.lead(&shared, &key).await;
                    if !self.stopped() {
                        self.set_state(RunState::Standby);
                    }
                }
                Ok(false) => {
                    self.set_state(RunState::Standby);
                    self.recovered();
                }
                Err(error) => {
                    self.note_error(format!("leader election: {error}"));
                    tracing::warn!(projection = %key, %error, "cannot reach the leader lock");
                }
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(shared.config.leader_retry) => {}
            }
        }
        shared.leadership.release(&key).await;
        self.set_state(RunState::Stopped);
    }

    /// Applies events while this node leads the generation.
    async fn lead(&self, shared: &Shared, key: &str) {
        let mut lost = shared.leadership.lost();
        // The lease every write of this term passes (None on one node).
        let fence = shared.leadership.fence(key).await;
        let fence = fence.as_ref();
        let mut from = match shared.readstore.position(&self.generation).await {
            Ok(position) => position,
            Err(error) => {
                self.note_error(error.to_string());
                tokio::time::sleep(UNAVAILABLE_BACKOFF).await;
                return;
            }
        };
        self.position.send_replace(from);
        let filter = filter_for(&self.plugin.load().manifest.handles);
        let follow = |from| {
            Follower::new(
                shared.store.clone(),
                filter.clone(),
                from,
                shared.config.batch_size,
                shared.config.requeue_interval,
            )
            .coalesce(WAKE_COALESCE)
        };
        let mut follower = follow(from);
        let mut progress = Progress::new(self.generation.status == GenerationStatus::Building);
        // The next batch, read and projected while the previous one was
        // being applied: plugins are pure functions of the event, so the
        // database and the plugin calls work side by side.
        let mut prefetched: Option<(Vec<Event>, Projected)> = None;
        loop {
            if self.stopped()
                || lost
                    .as_mut()
                    .is_some_and(|l| l.has_changed().unwrap_or(true))
            {
                return;
            }
            if !shared.leadership.holds(key).await {
                return;
            }
            let (events, projected) = match prefetched.take() {
                Some(ready) => ready,
                None => match self.read(&mut follower).await {
                    Ok(ready) => ready,
                    Err(error) => {
                        self.note_error(error.to_string());
                        tracing::warn!(projection = %key, %error, "cannot read events");
                        tokio::time::sleep(UNAVAILABLE_BACKOFF).await;
                        return;
                    }
                },
            };
            if events.is_empty() {
                self.recovered();
                if progress.rebuilding && self.finish_rebuild(shared, from).await {
                    progress.rebuilding = false;
                }
                continue;
            }
            let (flow, next) = tokio::join!(
                self.apply(shared, fence, from, &events, projected),
                self.read(&mut follower)
            );
            match flow {
                Flow::Continue(position) => {
                    from = position;
                    prefetched = next.ok();
                }
                Flow::Reread(position) => {
                    from = position;
                    follower = follow(from);
                }
                Flow::Lost => return,
            }
            progress.report(key, from, &self.status);
        }
    }

    /// Reads the next batch and projects it.
    async fn read(
        &self,
        follower: &mut Follower,
    ) -> Result<(Vec<Event>, Projected), crate::eventstore::StoreError> {
        let events = follower.next_batch().await?;
        if events.is_empty() {
            return Ok((events, (Vec::new(), None)));
        }
        let projected = project(self.plugin.load_full(), events.clone()).await;
        Ok((events, projected))
    }

    /// Projects `events` and applies them after `from`.
    async fn apply(
        &self,
        shared: &Shared,
        fence: Option<&Fence>,
        from: Position,
        events: &[Event],
        projected: Projected,
    ) -> Flow {
        let (items, failure) = projected;
        let mut from = from;
        if !items.is_empty() {
            match shared
                .readstore
                .apply_fenced(fence, &self.generation, from, &items)
                .await
            {
                Ok(position) => {
                    from = position;
                    let applied_here = self.applied(items.len(), from);
                    self.analyze_if_grown(shared, items.len(), applied_here)
                        .await;
                }
                Err(ApplyError::Statement { item, error }) => {
                    // Apply what came before the refused event, then treat it
                    // like an event the plugin refused.
                    if item > 0 {
                        match shared
                            .readstore
                            .apply_fenced(fence, &self.generation, from, &items[..item])
                            .await
                        {
                            Ok(position) => {
                                from = position;
                                self.applied(item, from);
                            }
                            Err(error) => return self.apply_failed(error),
                        }
                    }
                    return self
                        .failed(shared, fence, from, &events[item], &error)
                        .await;
                }
                Err(error) => return self.apply_failed(error),
            }
        }
        match failure {
            Some((index, error)) => {
                self.failed(shared, fence, from, &events[index], &error)
                    .await
            }
            None => Flow::Continue(from),
        }
    }

    /// Refreshes the generation's planner statistics when it grew enough
    /// since the last refresh (`readmodel::statistics`). A refusal is
    /// logged: stale statistics cost speed, never correctness.
    async fn analyze_if_grown(&self, shared: &Shared, count: usize, applied_here: u64) {
        let grown = self
            .since_analyze
            .fetch_add(count as u64, Ordering::Relaxed)
            + count as u64;
        let total = self.generation.events_applied + applied_here;
        if grown < ANALYZE_AFTER.max(total / 10) {
            return;
        }
        self.since_analyze.store(0, Ordering::Relaxed);
        if let Err(error) = shared.readstore.analyze(&self.generation).await {
            tracing::warn!(
                projection = %self.generation.projection,
                "cannot refresh the read model's planner statistics: {error}"
            );
        }
    }

    /// Notes `count` events applied up to `position`; returns how many this
    /// node applied since it took the lead.
    fn applied(&self, count: usize, position: Position) -> u64 {
        self.position.send_replace(position);
        let mut status = self.status.lock().expect("status lock");
        status.applied_here += count as u64;
        status.last_applied_at = Some(Utc::now());
        status.last_error = None;
        metrics::counter!("rampart_projection_events_applied_total",
            "projection" => self.generation.projection.clone())
        .increment(count as u64);
        status.applied_here
    }

    fn apply_failed(&self, error: ApplyError) -> Flow {
        match error {
            ApplyError::LeaseLost { key } => {
                tracing::warn!(
                    projection = %key,
                    "the lease on this projection expired or was taken over: standing down"
                );
            }
            ApplyError::PositionMoved { expected, found } => {
                tracing::warn!(
                    projection = %self.key(), %expected, %found,
                    "another node moved this projection on: standing down"
                );
            }
            other => {
                self.note_error(other.to_string());
                tracing::warn!(projection = %self.key(), error = %other, "cannot apply events");
            }
        }
        Flow::Lost
    }

    /// One more failed attempt at `event`: retry later, or record and skip it
    /// once it used up its attempts.
    async fn failed(
        &self,
        shared: &Shared,
        fence: Option<&Fence>,
        from: Position,
        event: &Event,
        error: &str,
    ) -> Flow {
        if self.retired(shared).await {
            return Flow::Lost;
        }
        let key = self.key();
        self.note_error(format!(
            "{} {} at {}: {error}",
            event.event_type, event.aggregate, event.position
        ));
        let attempts = match shared
            .readstore
            .record_failure(&self.generation, event, error)
            .await
        {
            Ok(attempts) => attempts,
            Err(store_error) => {
                tracing::warn!(projection = %key, error = %store_error, "cannot record a failed event");
                tokio::time::sleep(UNAVAILABLE_BACKOFF).await;
                return Flow::Lost;
            }
        };
        if attempts < shared.config.max_attempts.max(1) {
            tracing::warn!(
                projection = %key, event = %event.event_type, position = %event.position,
                attempts, error, "projecting an event failed; retrying"
            );
            tokio::time::sleep(shared.config.retry_delay).await;
            return Flow::Reread(from);
        }
        match shared
            .readstore
            .skip(fence, &self.generation, from, event, error)
            .await
        {
            Ok(()) => {
                tracing::error!(
                    projection = %key, event = %event.event_type, aggregate = %event.aggregate,
                    position = %event.position, attempts, error,
                    "projecting an event failed for good: recorded and skipped"
                );
                metrics::counter!("rampart_projection_events_skipped_total",
                    "projection" => self.generation.projection.clone())
                .increment(1);
                self.status.lock().expect("status lock").skipped_here += 1;
                self.position.send_replace(event.position);
                Flow::Reread(event.position)
            }
            Err(error) => self.apply_failed(error),
        }
    }

    /// Whether the generation was retired (switched away from) meanwhile.
    async fn retired(&self, shared: &Shared) -> bool {
        match shared
            .readstore
            .generations(&self.generation.projection)
            .await
        {
            Ok(live) => !live.iter().any(|g| g.number == self.generation.number),
            Err(_) => false,
        }
    }

    /// A rebuilt generation that caught up takes over serving. Returns
    /// whether the switch happened.
    async fn finish_rebuild(&self, shared: &Shared, position: Position) -> bool {
        match shared.readstore.switch(&self.generation).await {
            Ok(()) => {
                tracing::info!(
                    projection = %self.generation.projection,
                    generation = self.generation.number,
                    version = %self.generation.version,
                    %position,
                    "rebuild caught up: now serving"
                );
                shared.switched.notify_one();
                true
            }
            Err(error) => {
                self.note_error(format!("switching to the rebuilt tables: {error}"));
                false
            }
        }
    }
}

/// The statements of a batch's events up to its first failure, and that
/// failure (index and error).
type Projected = (Vec<Applied>, Option<(usize, String)>);

/// Projects `events` with the plugin off the async executor (the calls are
/// synchronous).
async fn project(plugin: Arc<LoadedPlugin>, events: Vec<Event>) -> Projected {
    let projected = tokio::task::spawn_blocking(move || project_all(&plugin, &events)).await;
    projected.unwrap_or_else(|join| {
        (
            Vec::new(),
            Some((0, format!("projection task failed: {join}"))),
        )
    })
}

/// Projects each event in order until the first failure: the statements of
/// the events before it, and the failing event's index and error. Events the
/// plugin does not handle advance the position with no statements.
fn project_all(plugin: &LoadedPlugin, events: &[Event]) -> Projected {
    let handles = &plugin.manifest.handles;
    let mut items = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        let statements = if crate::plugins::handles(handles, &event.event_type) {
            match plugin.project(&envelope(event)) {
                Ok(Ok(statements)) => statements,
                Ok(Err(message)) => return (items, Some((index, message))),
                Err(error) => return (items, Some((index, error.to_string()))),
            }
        } else {
            Vec::new()
        };
        items.push(Applied {
            position: event.position,
            statements,
        });
    }
    (items, None)
}

/// Progress logging of a rebuild.
struct Progress {
    rebuilding: bool,
    last: Instant,
}

impl Progress {
    fn new(rebuilding: bool) -> Self {
        Self {
            rebuilding,
            last: Instant::now(),
        }
    }

    fn report(&mut self, key: &str, position: Position, status: &Mutex<WorkerStatus>) {
        if !self.rebuilding || self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        let applied = status.lock().expect("status lock").applied_here;
        tracing::info!(projection = %key, %position, applied, "rebuilding projection");
    }
}
