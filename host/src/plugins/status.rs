//! # Plugin status
//!
//! What operators see of the runtime: each plugin's identity, where it came
//! from, its call statistics and its latest load error.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::component::PluginSource;
use super::registry::{LoadFailure, PluginRegistry};

/// One serving (or disabled) plugin, for the status API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginStatus {
    /// Plugin name.
    pub name: String,
    /// Manifest version.
    pub version: String,
    /// The world: `validator`, `projection` or `login-flow`.
    pub world: &'static str,
    /// Manifest description.
    pub description: String,
    /// Commands, events or hooks it handles.
    pub handles: Vec<String>,
    /// Capabilities its manifest asks for.
    pub capabilities: Vec<String>,
    /// Validators only: position in the chain, from 1.
    pub order: Option<usize>,
    /// SHA-256 of the component, hex.
    pub hash: String,
    /// Component size in bytes.
    pub size: usize,
    /// Where it came from.
    pub source: PluginSource,
    /// When this version was loaded.
    pub loaded_at: DateTime<Utc>,
    /// Calls since start (all versions).
    pub calls: u64,
    /// Failed calls since start.
    pub errors: u64,
    /// Median call latency, microseconds.
    pub latency_p50_us: Option<f64>,
    /// 99th percentile call latency, microseconds.
    pub latency_p99_us: Option<f64>,
    /// The latest failed call.
    pub last_error: Option<Timestamped>,
    /// The latest failure to load a new version of this plugin, if it is
    /// still the current state of its file.
    pub last_load_error: Option<LoadFailure>,
}

/// A message and when it happened.
#[derive(Debug, Clone, Serialize)]
pub struct Timestamped {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub message: String,
}

/// The whole runtime, for the status API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// Serving plugins, by name.
    pub plugins: Vec<PluginStatus>,
    /// Plugins that loaded but are disabled in configuration.
    pub disabled: Vec<String>,
    /// Components that failed to load.
    pub failures: Vec<LoadFailure>,
}

impl PluginRegistry {
    /// The status of every plugin and load failure.
    pub fn status(&self) -> StatusReport {
        let catalog = self.catalog();
        let mut plugins: Vec<PluginStatus> = Vec::new();
        for (name, plugin) in &catalog.plugins {
            let stats = &plugin.stats;
            let micros = |q| stats.quantile(q).map(|d| d.as_nanos() as f64 / 1000.0);
            // A failed file whose previous version still serves is this plugin's file.
            let last_load_error = catalog
                .failures
                .iter()
                .find(|f| f.source == plugin.source && f.still_serving.is_some())
                .cloned();
            plugins.push(PluginStatus {
                name: name.clone(),
                version: plugin.manifest.version.clone(),
                world: plugin.kind.as_str(),
                description: plugin.manifest.description.clone(),
                handles: plugin.manifest.handles.clone(),
                capabilities: plugin.manifest.capabilities.clone(),
                order: catalog
                    .validators
                    .iter()
                    .position(|v| &v.manifest.name == name)
                    .map(|i| i + 1),
                hash: plugin.hash.clone(),
                size: plugin.size,
                source: plugin.source.clone(),
                loaded_at: plugin.loaded_at,
                calls: stats.calls(),
                errors: stats.errors(),
                latency_p50_us: micros(0.5),
                latency_p99_us: micros(0.99),
                last_error: stats
                    .last_error()
                    .map(|(at, message)| Timestamped { at, message }),
                last_load_error,
            });
        }
        StatusReport {
            plugins,
            disabled: catalog.disabled.clone(),
            failures: catalog.failures.clone(),
        }
    }
}
