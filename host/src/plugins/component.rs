//! # Loading a component
//!
//! Bytes in, a checked [`LoadedPlugin`] out: compile (or fetch from the code
//! cache), find which world it implements, pre-instantiate it against the
//! host's linker, ask for its manifest (and tables) and check them. Runs off
//! the request path; nothing here touches the serving catalog.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker};

use super::bindings::login_flow::LoginFlowPre;
use super::bindings::projection::ProjectionPre;
use super::bindings::types::{Manifest, PluginKind, Table};
use super::bindings::validator::ValidatorPre;
use super::call_state::{CallIdentity, CallState};
use super::error::{LoadError, PluginError};
use super::instance::Pre;
use super::invoke::Limits;
use super::manifest;
use super::stats::PluginStats;
use super::tables;
use crate::config::PluginsConfig;

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum PluginSource {
    /// Built into the binary from `plugins/`.
    Shipped(String),
    /// A file in `Plugins.Dir`.
    File(PathBuf),
}

impl std::fmt::Display for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginSource::Shipped(name) => write!(f, "shipped plugin {name}"),
            PluginSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A compiled, checked plugin, ready to be called.
pub struct LoadedPlugin {
    /// What the plugin says about itself.
    pub manifest: Manifest,
    /// Its world.
    pub kind: PluginKind,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Where it came from.
    pub source: PluginSource,
    /// When this version was loaded.
    pub loaded_at: DateTime<Utc>,
    /// Projections only: the tables it owns.
    pub tables: Vec<Table>,
    pub(crate) pre: Pre,
    pub(crate) identity: Arc<CallIdentity>,
    pub(crate) limits: Limits,
    pub(crate) stats: Arc<PluginStats>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of `bytes`: the `hash` the status API shows for a component.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What loading needs from the runtime.
pub(crate) struct Runtime<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) linker: &'a Linker<CallState>,
    pub(crate) config: &'a PluginsConfig,
}

/// Compiles and checks `bytes`.
/// `stats_for` hands out the (name-keyed, reload-surviving) statistics of the
/// plugin once its name is known.
pub(crate) fn load(
    runtime: &Runtime<'_>,
    source: PluginSource,
    bytes: &[u8],
    stats_for: impl FnOnce(&str) -> Arc<PluginStats>,
) -> Result<Arc<LoadedPlugin>, LoadError> {
    let Runtime {
        engine,
        linker,
        config,
    } = *runtime;
    let source_name = source.to_string();
    let hash = content_hash(bytes);
    let component = Component::new(engine, bytes).map_err(|err| LoadError::Compile {
        source_name: source_name.clone(),
        message: root_cause(&err),
    })?;
    let kind = world_of(engine, &component).map_err(|message| LoadError::WrongWorld {
        source_name: source_name.clone(),
        message,
    })?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(|err| LoadError::Link {
            source_name: source_name.clone(),
            message: format!("{err:#}"),
        })?;
    let wrong_types = |err: wasmtime::Error| LoadError::WrongWorld {
        source_name: source_name.clone(),
        message: format!(
            "exports the {} world with the wrong types ({}); was it built against another \
             version of the rampart:plugin WIT package?",
            kind.as_str(),
            root_cause(&err)
        ),
    };
    let pre = match kind {
        PluginKind::Validator => {
            Pre::Validator(ValidatorPre::new(instance_pre).map_err(wrong_types)?)
        }
        PluginKind::Projection => {
            Pre::Projection(ProjectionPre::new(instance_pre).map_err(wrong_types)?)
        }
        PluginKind::LoginFlow => {
            Pre::LoginFlow(LoginFlowPre::new(instance_pre).map_err(wrong_types)?)
        }
    };

    // Describe it with no capabilities: a manifest is a constant.
    let describing = Arc::new(CallIdentity {
        name: source_name.clone(),
        grants: Vec::new(),
        config_json: "{}".to_owned(),
        memory_limit: config.memory_limit.as_u64() as usize,
    });
    let describe_limits = Limits {
        deadline: config.deadline.max(Duration::from_secs(1)),
        max_output: config.max_output.as_u64() as usize,
    };
    let describe_err = |error: PluginError| LoadError::Describe {
        source_name: source_name.clone(),
        error: Box::new(error),
    };
    // Calls made while loading are not the plugin's calls: nobody reads these.
    let describe_stats = PluginStats::new();
    let manifest = super::invoke::manifest(&pre, &describing, describe_limits, &describe_stats)
        .map_err(describe_err)?;
    let settings = config.settings(&manifest.name);
    manifest::check(&manifest, kind, &settings).map_err(|message| LoadError::Manifest {
        source_name: source_name.clone(),
        message,
    })?;
    let tables = match &pre {
        Pre::Projection(_) => {
            let tables = super::invoke::tables(&pre, &describing, describe_limits, &describe_stats)
                .map_err(describe_err)?;
            tables::check(&tables).map_err(|message| LoadError::Manifest {
                source_name: source_name.clone(),
                message: format!(
                    "plugin `{}` declares invalid tables: {message}",
                    manifest.name
                ),
            })?;
            tables
        }
        _ => Vec::new(),
    };

    let identity = Arc::new(CallIdentity {
        name: manifest.name.clone(),
        grants: settings.grants.clone(),
        config_json: settings.config.to_string(),
        memory_limit: settings
            .memory_limit
            .unwrap_or(config.memory_limit)
            .as_u64() as usize,
    });
    let stats = stats_for(&manifest.name);
    Ok(Arc::new(LoadedPlugin {
        stats,
        kind,
        hash,
        size: bytes.len(),
        source,
        loaded_at: Utc::now(),
        tables,
        pre,
        identity,
        limits: Limits {
            deadline: settings.deadline.unwrap_or(config.deadline),
            max_output: config.max_output.as_u64() as usize,
        },
        manifest,
    }))
}

/// Which of Rampart's worlds `component` implements, judged by its exports.
fn world_of(engine: &Engine, component: &Component) -> Result<PluginKind, String> {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, item)| match item.ty {
            ComponentItem::ComponentFunc(_) => name.to_owned(),
            _ => format!("{name} (not a function)"),
        })
        .collect();
    let has = |name: &str| exports.iter().any(|e| e == name);
    match (
        has("validate"),
        has("project"),
        has("before-authentication"),
    ) {
        (true, false, false) => Ok(PluginKind::Validator),
        (false, true, false) => Ok(PluginKind::Projection),
        (false, false, true) => Ok(PluginKind::LoginFlow),
        _ => Err(format!(
            "implements none of Rampart's plugin worlds (validator, projection, login-flow); \
             it exports [{}]",
            exports.join(", ")
        )),
    }
}

/// The innermost cause of a wasmtime error, which is the informative part.
pub(crate) fn root_cause(err: &wasmtime::Error) -> String {
    err.chain()
        .last()
        .map(ToString::to_string)
        .unwrap_or_else(|| err.to_string())
}
