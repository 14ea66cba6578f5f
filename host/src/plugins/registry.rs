//! # The plugin registry
//!
//! The set of plugins serving right now, as one immutable [`Catalog`] behind an
//! atomic pointer: a call takes the current catalog and keeps it to the end, so
//! a swap never disturbs a call in flight. Reloads build a new catalog off the
//! request path (compile, check) and swap it in; a file that fails to load
//! leaves its previous version serving and records why.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use wasmtime::Engine;
use wasmtime::component::Linker;

use super::bindings::types::{AggregateState, Command, PluginKind, Rejection};
use super::call_state::CallState;
use super::component::{self, LoadedPlugin, PluginSource};
use super::engine::{self, EngineSettings, EpochTicker};
use super::error::{LoadError, PluginError};
use super::manifest::handles;
use super::pool::CallPool;
use super::stats::PluginStats;
use crate::config::PluginsConfig;

/// The plugins serving at one moment.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Every serving plugin, by name.
    pub plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// The validators, in the order they run.
    pub validators: Vec<Arc<LoadedPlugin>>,
    /// Components that failed to load (their previous version, if any, serves on).
    pub failures: Vec<LoadFailure>,
    /// Plugins that loaded but are disabled in configuration.
    pub disabled: Vec<String>,
}

/// A component that could not be loaded.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadFailure {
    /// Where the component came from.
    pub source: PluginSource,
    /// Why it failed.
    pub error: String,
    /// When it failed.
    pub at: DateTime<Utc>,
    /// Name and version still serving in its place, if any.
    pub still_serving: Option<String>,
}

/// A validator chain's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No validator objected.
    Allowed,
    /// The first rejection, and which plugin made it.
    Rejected {
        /// The rejecting plugin.
        plugin: String,
        /// Its code and message.
        rejection: Rejection,
    },
}

/// What one reload changed.
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReloadReport {
    /// Plugins that appeared, as `name@version`.
    pub loaded: Vec<String>,
    /// Plugins whose version (or content) changed, as `name@version`.
    pub replaced: Vec<String>,
    /// Plugins no longer serving.
    pub unloaded: Vec<String>,
    /// Components that failed to load in this reload.
    pub failed: Vec<LoadFailure>,
}

/// One file of the plugin directory, as last read.
struct FileEntry {
    hash: String,
    outcome: Result<Arc<LoadedPlugin>, LoadError>,
    /// The version serving for this file: the new one, or the previous one
    /// if the new bytes failed to load.
    serving: Option<Arc<LoadedPlugin>>,
    at: DateTime<Utc>,
}

/// What reloads work from; the lock also serializes reloads.
#[derive(Default)]
struct Sources {
    shipped: Vec<(PluginSource, Result<Arc<LoadedPlugin>, LoadError>)>,
    files: BTreeMap<PathBuf, FileEntry>,
}

/// The plugin runtime: engine, linker, and the serving catalog.
pub struct PluginRegistry {
    engine: Engine,
    linker: Linker<CallState>,
    config: PluginsConfig,
    catalog: ArcSwap<Catalog>,
    stats: Mutex<HashMap<String, Arc<PluginStats>>>,
    sources: Mutex<Sources>,
    pool: CallPool,
    _ticker: EpochTicker,
}

/// Errors setting up the runtime itself (not a plugin's fault).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// wasmtime refused the engine configuration.
    #[error("cannot start the WebAssembly runtime: {0}")]
    Engine(String),
    /// The threads of the call pool could not be started.
    #[error("cannot start the plugin call pool: {0}")]
    Pool(std::io::Error),
    /// The plugin or cache directory could not be created.
    #[error("cannot create {path}: {error}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

impl PluginRegistry {
    /// Starts the runtime and loads the shipped plugins and `config.dir`.
    pub fn start(config: PluginsConfig) -> Result<Self, RuntimeError> {
        for dir in [&config.dir, &config.cache_dir] {
            std::fs::create_dir_all(dir).map_err(|error| RuntimeError::Dir {
                path: dir.clone(),
                error,
            })?;
        }
        let engine = engine::build(&EngineSettings {
            max_memory: config.largest_memory_limit().as_u64() as usize,
            max_instances: config.max_concurrent_calls,
            cache_dir: Some(&config.cache_dir),
        })
        .map_err(|err| RuntimeError::Engine(format!("{err:#}")))?;
        let mut linker = Linker::new(&engine);
        super::imports::add_to_linker(&mut linker)
            .map_err(|err| RuntimeError::Engine(format!("{err:#}")))?;
        let pool = CallPool::start(
            config.pool.thread_count(),
            config.pool.queue,
            config.pool.nice,
        )
        .map_err(RuntimeError::Pool)?;
        let registry = Self {
            pool,
            _ticker: EpochTicker::start(&engine),
            engine,
            linker,
            config,
            catalog: ArcSwap::from_pointee(Catalog::default()),
            stats: Mutex::default(),
            sources: Mutex::default(),
        };
        registry.load_shipped();
        registry.reload();
        Ok(registry)
    }

    /// The runtime's configuration.
    pub fn config(&self) -> &PluginsConfig {
        &self.config
    }

    /// The plugins serving now. Hold it for the duration of a call, not longer.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// The serving plugin `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<LoadedPlugin>> {
        self.catalog.load().plugins.get(name).cloned()
    }

    /// The statistics of plugin `name` (kept across reloads).
    pub fn stats(&self, name: &str) -> Arc<PluginStats> {
        self.stats
            .lock()
            .expect("stats lock")
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(PluginStats::named(name)))
            .clone()
    }

    /// Runs the validators that handle `command.name`, in order, on the call
    /// pool; the first rejection wins. The whole chain is one pool job.
    /// `settings` (the settings in effect, as JSON) reaches each validator
    /// as the `settings` member of its configuration.
    ///
    /// # Errors
    /// The first validator failure, or [`PluginError::Overloaded`] (naming
    /// the plugin that keeps the pool busy) when the pool's queue is full.
    pub async fn validate(
        &self,
        command: Command,
        state: AggregateState,
        settings: Arc<str>,
    ) -> Result<Verdict, PluginError> {
        let chain = validators_for(&self.catalog(), &command.name);
        let Some(first) = chain.first() else {
            return Ok(Verdict::Allowed);
        };
        let first = first.manifest.name.clone();
        let stats: Vec<_> = chain.iter().map(|v| v.stats.clone()).collect();
        self.pool
            .run(&first, &stats, move || {
                validator_chain(&chain, &command, &state, Some(&settings))
            })
            .await
    }

    /// Whether any validator handles command `name` (so a caller can skip
    /// preparing what the chain would read).
    pub fn has_validators(&self, name: &str) -> bool {
        self.catalog()
            .validators
            .iter()
            .any(|v| handles(&v.manifest.handles, name))
    }

    /// Runs `call` on `plugin` on the call pool (dry runs, login flows).
    ///
    /// # Errors
    /// The call's own error, or [`PluginError::Overloaded`] when the pool's
    /// queue is full.
    pub async fn call<R: Send + 'static>(
        &self,
        plugin: Arc<LoadedPlugin>,
        call: impl FnOnce(&LoadedPlugin) -> Result<R, PluginError> + Send + 'static,
    ) -> Result<R, PluginError> {
        let name = plugin.manifest.name.clone();
        let stats = [plugin.stats.clone()];
        self.pool.run(&name, &stats, move || call(&plugin)).await
    }

    /// Runs the validator chain on the calling thread, which blocks for up to
    /// the validators' deadlines and must not be an async worker (tests and
    /// benchmarks; the server uses [`PluginRegistry::validate`]).
    ///
    /// # Errors
    /// The first validator failure.
    pub fn validate_blocking(
        &self,
        command: &Command,
        state: &AggregateState,
    ) -> Result<Verdict, PluginError> {
        let chain = validators_for(&self.catalog(), &command.name);
        validator_chain(&chain, command, state, None)
    }

    /// Loads (or reloads) the shipped plugins; done once at start.
    fn load_shipped(&self) {
        if !self.config.shipped {
            return;
        }
        let loaded = super::shipped::SHIPPED
            .iter()
            .map(|(name, bytes)| {
                let source = PluginSource::Shipped((*name).to_owned());
                let outcome = self.load(source.clone(), bytes);
                (source, outcome)
            })
            .collect();
        self.sources.lock().expect("sources lock").shipped = loaded;
    }

    fn load(&self, source: PluginSource, bytes: &[u8]) -> Result<Arc<LoadedPlugin>, LoadError> {
        let runtime = component::Runtime {
            engine: &self.engine,
            linker: &self.linker,
            config: &self.config,
        };
        component::load(&runtime, source, bytes, |name| self.stats(name))
    }

    /// Rescans the plugin directory, loads what is new or changed, and swaps
    /// in the resulting catalog. Blocking (compiles); call it off the async
    /// executor.
    pub fn reload(&self) -> ReloadReport {
        let mut sources = self.sources.lock().expect("sources lock");
        let mut report = ReloadReport::default();
        let present = wasm_files(&self.config.dir);
        sources.files.retain(|path, _| present.contains(path));
        for path in present {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                // Gone between listing and reading: the next event unloads it.
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => {
                    let error = LoadError::Read {
                        source_name: path.display().to_string(),
                        message: err.to_string(),
                    };
                    self.record_file(&mut sources, path, String::new(), Err(error), &mut report);
                    continue;
                }
            };
            let hash = component::content_hash(&bytes);
            if sources
                .files
                .get(&path)
                .is_some_and(|entry| entry.hash == hash)
            {
                continue;
            }
            let outcome = self.load(PluginSource::File(path.clone()), &bytes);
            self.record_file(&mut sources, path, hash, outcome, &mut report);
        }
        let catalog = self.assemble(&sources);
        let previous = self.catalog.swap(Arc::new(catalog));
        self.diff(&previous, &mut report);
        report
    }

    fn record_file(
        &self,
        sources: &mut Sources,
        path: PathBuf,
        hash: String,
        outcome: Result<Arc<LoadedPlugin>, LoadError>,
        report: &mut ReloadReport,
    ) {
        let previous = sources.files.get(&path).and_then(|e| e.serving.clone());
        let serving = match &outcome {
            Ok(plugin) => Some(plugin.clone()),
            Err(_) => previous,
        };
        let entry = FileEntry {
            hash,
            outcome,
            serving,
            at: Utc::now(),
        };
        if let Err(error) = &entry.outcome {
            let failure = failure(
                PluginSource::File(path.clone()),
                error,
                entry.at,
                entry.serving.as_deref(),
            );
            tracing::warn!(plugin_file = %path.display(), still_serving = ?failure.still_serving, "plugin failed to load: {error}");
            metrics::counter!("rampart_plugin_load_failures_total").increment(1);
            report.failed.push(failure);
        }
        sources.files.insert(path, entry);
    }

    /// Builds the catalog: shipped plugins, overridden by files of the same name.
    fn assemble(&self, sources: &Sources) -> Catalog {
        let mut catalog = Catalog::default();
        let mut failures = Vec::new();
        for (source, outcome) in &sources.shipped {
            match outcome {
                Ok(plugin) => self.admit(&mut catalog, plugin),
                Err(error) => failures.push(failure(source.clone(), error, Utc::now(), None)),
            }
        }
        let mut claimed: HashMap<String, &Path> = HashMap::new();
        for (path, entry) in &sources.files {
            if let Err(error) = &entry.outcome {
                failures.push(failure(
                    PluginSource::File(path.clone()),
                    error,
                    entry.at,
                    entry.serving.as_deref(),
                ));
            }
            let Some(plugin) = &entry.serving else {
                continue;
            };
            let name = &plugin.manifest.name;
            if let Some(first) = claimed.get(name) {
                failures.push(LoadFailure {
                    source: PluginSource::File(path.clone()),
                    error: format!("plugin `{name}` is already provided by {}", first.display()),
                    at: entry.at,
                    still_serving: None,
                });
                continue;
            }
            claimed.insert(name.clone(), path);
            catalog.plugins.remove(name);
            catalog.disabled.retain(|d| d != name);
            self.admit(&mut catalog, plugin);
        }
        catalog.failures = failures;
        catalog.validators = self.validator_order(&catalog.plugins);
        catalog
    }

    fn admit(&self, catalog: &mut Catalog, plugin: &Arc<LoadedPlugin>) {
        let name = &plugin.manifest.name;
        if self.config.settings(name).enabled {
            catalog.plugins.insert(name.clone(), plugin.clone());
        } else if !catalog.disabled.contains(name) {
            catalog.disabled.push(name.clone());
        }
    }

    /// Validators listed in `Plugins.Validators` first, in that order, then the rest by name.
    fn validator_order(
        &self,
        plugins: &BTreeMap<String, Arc<LoadedPlugin>>,
    ) -> Vec<Arc<LoadedPlugin>> {
        let is_validator = |p: &&Arc<LoadedPlugin>| p.kind == PluginKind::Validator;
        let listed = self
            .config
            .validators
            .iter()
            .filter_map(|name| plugins.get(name))
            .filter(is_validator);
        let unlisted = plugins
            .values()
            .filter(is_validator)
            .filter(|p| !self.config.validators.contains(&p.manifest.name));
        listed.chain(unlisted).cloned().collect()
    }

    /// Logs and reports what changed between two catalogs.
    fn diff(&self, previous: &Catalog, report: &mut ReloadReport) {
        let current = self.catalog.load();
        for (name, plugin) in &current.plugins {
            let label = format!("{name}@{}", plugin.manifest.version);
            match previous.plugins.get(name) {
                None => {
                    tracing::info!(plugin = %name, version = %plugin.manifest.version, source = %plugin.source, "plugin loaded");
                    report.loaded.push(label);
                }
                Some(old) if !Arc::ptr_eq(old, plugin) => {
                    tracing::info!(plugin = %name, from = %old.manifest.version, to = %plugin.manifest.version, source = %plugin.source, "plugin replaced");
                    report.replaced.push(label);
                }
                Some(_) => {}
            }
        }
        for name in previous
            .plugins
            .keys()
            .filter(|n| !current.plugins.contains_key(*n))
        {
            tracing::info!(plugin = %name, "plugin unloaded");
            report.unloaded.push(name.clone());
        }
    }
}

/// The validators of `catalog` that handle command `name`, in order.
fn validators_for(catalog: &Catalog, name: &str) -> Vec<Arc<LoadedPlugin>> {
    catalog
        .validators
        .iter()
        .filter(|v| handles(&v.manifest.handles, name))
        .cloned()
        .collect()
}

/// Asks each validator of `chain` in turn; the first rejection wins.
fn validator_chain(
    chain: &[Arc<LoadedPlugin>],
    command: &Command,
    state: &AggregateState,
    settings: Option<&Arc<str>>,
) -> Result<Verdict, PluginError> {
    let withheld = super::secrets::Withheld::new(command);
    for validator in chain {
        let command = withheld.for_plugin(validator);
        if let Err(rejection) = validator.validate_with(command, state, settings)? {
            return Ok(Verdict::Rejected {
                plugin: validator.manifest.name.clone(),
                rejection,
            });
        }
    }
    Ok(Verdict::Allowed)
}

/// A [`LoadFailure`] record.
fn failure(
    source: PluginSource,
    error: &LoadError,
    at: DateTime<Utc>,
    serving: Option<&LoadedPlugin>,
) -> LoadFailure {
    LoadFailure {
        source,
        error: error.to_string(),
        at,
        still_serving: serving.map(|p| format!("{}@{}", p.manifest.name, p.manifest.version)),
    }
}

/// The `.wasm` files directly in `dir`, sorted.
fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm") && path.is_file())
        .collect();
    files.sort();
    files
}
