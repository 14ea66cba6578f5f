//! # Spoolers: keeping the read models up to date
//!
//! One spooler per projection generation ([`worker`]): it follows the
//! eventstore from the generation's position and applies the projection
//! plugin's statements with the new position in one transaction. The
//! [`Spoolers`] manager follows the plugin catalog:
//!
//! - a projection plugin that appears gets a generation (tables created from
//!   its declaration) and a spooler;
//! - a new version of a plugin gets a **new generation**, rebuilt from
//!   position 0 into new tables while the old generation keeps serving (and
//!   keeps being updated by the old version); once the rebuild caught up it
//!   switches, and the old tables are dropped;
//! - on PostgreSQL, [`leader`] makes sure one node runs each generation.
//!
//! The query side asks [`Spoolers::wait_for`] to bring a projection up to an
//! event before reading (read-your-writes).

mod envelope;
pub mod leader;
mod status;
mod worker;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

pub use envelope::envelope;
pub use leader::Leadership;
pub use status::{GenerationStatusView, ProjectionStatus};
pub use worker::{RunState, WorkerStatus};

use crate::config::ProjectionsConfig;
use crate::eventstore::{EventStore, Position};
use crate::plugins::{LoadedPlugin, PluginRegistry, types::PluginKind};
use crate::readmodel::{Generation, GenerationStatus, ReadModelError, ReadStore};
use worker::Worker;

/// How often the manager compares the plugin catalog and the generations
/// with the running spoolers.
const RECONCILE_EVERY: Duration = Duration::from_millis(500);
/// How often the lag metrics are refreshed.
const LAG_EVERY: Duration = Duration::from_secs(5);
/// First pause of a read waiting on another node's spooler.
const WAIT_POLL: Duration = Duration::from_millis(2);

/// What every spooler shares.
pub(crate) struct Shared {
    store: Arc<dyn EventStore>,
    readstore: ReadStore,
    leadership: Leadership,
    config: ProjectionsConfig,
    /// Woken when a local rebuild switched, so the manager retires the old
    /// spooler at once.
    switched: Notify,
}

/// Why a projection could not be brought up to date for a read.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    /// No projection plugin of that name serves.
    #[error("no projection {0:?} is loaded")]
    NoProjection(String),
    /// The projection did not reach the event in time.
    #[error(
        "the projection {projection:?} is behind (at {at}, needs {needed}) and did not catch up \
         within {timeout:?}; retry shortly"
    )]
    Behind {
        /// The projection.
        projection: String,
        /// Where it is.
        at: Position,
        /// Where the read needs it.
        needed: Position,
        /// `Projections.ReadYourWritesTimeout`.
        timeout: Duration,
    },
    /// Its position could not be read.
    #[error(transparent)]
    Store(#[from] ReadModelError),
}

/// The spoolers of this node.
pub struct Spoolers {
    shared: Arc<Shared>,
    plugins: Arc<PluginRegistry>,
    running: Mutex<BTreeMap<String, Running>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// The spoolers of one projection and its serving generation.
#[derive(Default)]
struct Running {
    /// The plugin object last reconciled (a changed pointer means a reload).
    plugin: Option<Arc<LoadedPlugin>>,
    serving: Option<Generation>,
    workers: BTreeMap<i64, Arc<Worker>>,
}

impl Spoolers {
    /// Starts the manager: a spooler for every projection plugin loaded now
    /// and, as the catalog changes, for those loaded later.
    pub async fn start(
        store: Arc<dyn EventStore>,
        readstore: ReadStore,
        plugins: Arc<PluginRegistry>,
        leadership: Leadership,
        config: ProjectionsConfig,
    ) -> Arc<Self> {
        let watchdog = leadership.start_renewing();
        let spoolers = Arc::new(Self {
            shared: Arc::new(Shared {
                store,
                readstore,
                leadership,
                config,
                switched: Notify::new(),
            }),
            plugins,
            running: Mutex::default(),
            tasks: Mutex::new(watchdog.into_iter().collect()),
        });
        spoolers.reconcile().await;
        let manager = tokio::spawn(spoolers.clone().manage());
        let lag = tokio::spawn(spoolers.clone().export_lag());
        spoolers
            .tasks
            .lock()
            .expect("tasks lock")
            .extend([manager, lag]);
        spoolers
    }

    /// The read models.
    pub fn readstore(&self) -> &ReadStore {
        &self.shared.readstore
    }

    /// The generation of `projection` whose tables queries read.
    pub fn serving(&self, projection: &str) -> Option<Generation> {
        self.running
            .lock()
            .expect("running lock")
            .get(projection)
            .and_then(|r| r.serving.clone())
    }

    /// Refreshes the serving generation of `projection` from the database
    /// (after a query found its tables gone: another node switched).
    pub async fn refresh(&self, projection: &str) -> Result<Option<Generation>, ReadModelError> {
        let serving = self.shared.readstore.serving(projection).await?;
        if let Some(running) = self
            .running
            .lock()
            .expect("running lock")
            .get_mut(projection)
        {
            running.serving.clone_from(&serving);
        }
        Ok(serving)
    }

    /// The serving generation of `projection`, if this node's spooler of it
    /// has already applied everything up to `position`: no wait, no query.
    pub fn caught_up(&self, projection: &str, position: Position) -> Option<Generation> {
        let (generation, applied) = self.applied(projection)?;
        (applied >= position).then_some(generation)
    }

    /// The serving generation of `projection` and the position this node's
    /// spooler of it has applied, if this node leads it: what a read that
    /// starts now is sure to see.
    pub fn applied(&self, projection: &str) -> Option<(Generation, Position)> {
        let generation = self.serving(projection)?;
        let applied = *self.local_worker(&generation)?.borrow();
        Some((generation, applied))
    }

    /// Waits until the serving generation of `projection` has applied the
    /// event at `needed` (read-your-writes), for at most
    /// `Projections.ReadYourWritesTimeout`. Returns the generation to read.
    ///
    /// # Errors
    /// [`CatchUpError`].
    pub async fn wait_for(
        &self,
        projection: &str,
        needed: Position,
    ) -> Result<Generation, CatchUpError> {
        let generation = self
            .serving(projection)
            .ok_or_else(|| CatchUpError::NoProjection(projection.to_owned()))?;
        match self.wait_on(&generation, needed).await {
            Err(behind @ CatchUpError::Behind { .. }) => {
                // Another node may have switched to a rebuilt generation
                // since this node last looked: wait on that one instead.
                match self.refresh(projection).await? {
                    Some(current) if current.number != generation.number => {
                        self.wait_on(&current, needed).await
                    }
                    _ => Err(behind),
                }
            }
            other => other,
        }
    }

    async fn wait_on(
        &self,
        generation: &Generation,
        needed: Position,
    ) -> Result<Generation, CatchUpError> {
        let timeout = self.shared.config.read_your_writes_timeout;
        let reached = match self.local_worker(generation) {
            Some(mut position) => {
                tokio::time::timeout(timeout, position.wait_for(|at| *at >= needed))
                    .await
                    .is_ok_and(|r| r.is_ok())
            }
            None => self.poll_position(generation, needed, timeout).await?,
        };
        let at = if reached {
            needed
        } else {
            self.shared.readstore.position(generation).await?
        };
        if at >= needed {
            return Ok(generation.clone());
        }
        Err(CatchUpError::Behind {
            projection: generation.projection.clone(),
            at,
            needed,
            timeout,
        })
    }

    /// The position channel of this node's spooler of `generation`, if this
    /// node leads it.
    fn local_worker(
        &self,
        generation: &Generation,
    ) -> Option<tokio::sync::watch::Receiver<Position>> {
        let running = self.running.lock().expect("running lock");
        let worker = running
            .get(&generation.projection)?
            .workers
            .get(&generation.number)?;
        let leading = worker.status.lock().expect("status lock").state == RunState::Running;
        leading.then(|| worker.position.subscribe())
    }

    /// Polls the stored position (another node leads the projection).
    async fn poll_position(
        &self,
        generation: &Generation,
        needed: Position,
        timeout: Duration,
    ) -> Result<bool, ReadModelError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = WAIT_POLL;
        loop {
            if self.shared.readstore.position(generation).await? >= needed {
                return Ok(true);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Stops every spooler (at shutdown).
    pub async fn stop(&self) {
        for task in self.tasks.lock().expect("tasks lock").drain(..) {
            task.abort();
        }
        let workers: Vec<Arc<Worker>> = self
            .running
            .lock()
            .expect("running lock")
            .values()
            .flat_map(|r| r.workers.values().cloned())
            .collect();
        for worker in workers {
            worker.stop();
            self.shared.leadership.release(&worker.key()).await;
        }
    }

    async fn manage(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(RECONCILE_EVERY) => {}
                () = self.shared.switched.notified() => {}
            }
            self.reconcile().await;
        }
    }

    /// Brings the running spoolers in line with the catalog and the stored
    /// generations.
    async fn reconcile(&self) {
        let catalog = self.plugins.catalog();
        let projections: Vec<Arc<LoadedPlugin>> = catalog
            .plugins
            .values()
            .filter(|p| p.kind == PluginKind::Projection)
            .cloned()
            .collect();
        let gone: Vec<String> = {
            let running = self.running.lock().expect("running lock");
            running
                .keys()
                .filter(|name| !projections.iter().any(|p| &p.manifest.name == *name))
                .cloned()
                .collect()
        };
        for name in gone {
            if let Some(running) = self.running.lock().expect("running lock").remove(&name) {
                tracing::info!(projection = %name, "projection plugin unloaded: spoolers stop");
                running.workers.values().for_each(|w| w.stop());
            }
        }
        for plugin in projections {
            if let Err(error) = self.reconcile_one(&plugin).await {
                tracing::warn!(projection = %plugin.manifest.name, %error, "cannot prepare projection");
            }
        }
    }

    async fn reconcile_one(&self, plugin: &Arc<LoadedPlugin>) -> Result<(), ReadModelError> {
        let name = plugin.manifest.name.clone();
        let changed = {
            let running = self.running.lock().expect("running lock");
            running
                .get(&name)
                .and_then(|r| r.plugin.as_ref())
                .is_none_or(|p| !Arc::ptr_eq(p, plugin))
        };
        if changed {
            let generation = self
                .shared
                .readstore
                .begin_generation(&name, &plugin.manifest.version, &plugin.tables)
                .await?;
            if generation.status == GenerationStatus::Building {
                tracing::info!(
                    projection = %name, generation = generation.number,
                    version = %generation.version,
                    "new projection version: rebuilding from position 0 into new tables \
                     while the current ones keep serving"
                );
            }
        }
        let live = self.shared.readstore.generations(&name).await?;
        let serving = live
            .iter()
            .find(|g| g.status == GenerationStatus::Serving)
            .cloned();
        let mut running = self.running.lock().expect("running lock");
        let entry = running.entry(name.clone()).or_default();
        entry.plugin = Some(plugin.clone());
        entry.serving = serving;
        entry.workers.retain(|number, worker| {
            let keep = live.iter().any(|g| g.number == *number);
            if !keep {
                tracing::info!(projection = %name, generation = number, "generation retired: spooler stops");
                worker.stop();
            }
            keep
        });
        for generation in &live {
            let matches = generation.version == plugin.manifest.version;
            match entry.workers.get(&generation.number) {
                Some(worker) if matches => {
                    if !Arc::ptr_eq(&worker.plugin.load(), plugin) {
                        worker.plugin.store(plugin.clone());
                    }
                }
                Some(_) => {} // the old version keeps serving its generation
                None if matches => {
                    let worker =
                        Worker::spawn(self.shared.clone(), generation.clone(), plugin.clone());
                    entry.workers.insert(generation.number, worker);
                }
                None => {
                    tracing::debug!(
                        projection = %name, generation = generation.number,
                        version = %generation.version,
                        "no plugin of this version is loaded: the generation stays as it is \
                         until its replacement caught up"
                    );
                }
            }
        }
        Ok(())
    }

    /// Every projection's generations and spoolers, for the status API.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, ReadModelError> {
        status::collect(self).await
    }

    async fn export_lag(self: Arc<Self>) {
        loop {
            tokio::time::sleep(LAG_EVERY).await;
            if let Ok(report) = status::generations(&self).await {
                for (name, _, generations) in report {
                    for generation in generations {
                        let labels = [
                            ("projection", name.clone()),
                            ("generation", generation.number.to_string()),
                        ];
                        metrics::gauge!("rampart_projection_lag_events", &labels)
                            .set(generation.lag_events as f64);
                        metrics::gauge!("rampart_projection_lag_seconds", &labels)
                            .set(generation.lag_seconds);
                    }
                }
            }
        }
    }
}
