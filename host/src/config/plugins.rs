//! # `Plugins` configuration
//!
//! Runtime-wide settings (PascalCase keys such as `Dir` and `Deadline`) and,
//! in the same mapping, one entry per plugin under its lowercase kebab-case
//! name: `Plugins: { Dir: ..., password-policy: { Config: {...} } }`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_yaml_ng::{Mapping, Value};

use super::error::suggest;

/// `Plugins`: the plugin runtime and each plugin's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginsConfig {
    /// `Dir`: directory watched for `.wasm` components (default `./data/plugins`).
    pub dir: PathBuf,
    /// `CacheDir`: where compiled code is cached, keyed by content hash
    /// (default `./data/plugin-cache`).
    pub cache_dir: PathBuf,
    /// `Shipped`: load the plugins built into the binary (default `true`).
    pub shipped: bool,
    /// `Watch`: reload when files in `Dir` change (default `true`).
    pub watch: bool,
    /// `Deadline`: longest a plugin call may run (default 50ms).
    pub deadline: Duration,
    /// `MemoryLimit`: largest linear memory of one plugin instance (default 16 MiB).
    pub memory_limit: ByteSize,
    /// `MaxOutput`: largest result a plugin call may return (default 1 MiB).
    pub max_output: ByteSize,
    /// `MaxConcurrentCalls`: plugin instances that may exist at once (default 256).
    pub max_concurrent_calls: u32,
    /// `Pool`: the threads that run plugin calls, off the async runtime.
    pub pool: PoolConfig,
    /// `Validators`: the order validators run in; unlisted validators run
    /// after these, by name.
    pub validators: Vec<String>,
    /// Per-plugin settings, by plugin name.
    pub plugins: BTreeMap<String, PluginSettings>,
}

impl PluginsConfig {
    /// The settings of plugin `name` (defaults when it has no entry).
    pub fn settings(&self, name: &str) -> PluginSettings {
        self.plugins.get(name).cloned().unwrap_or_default()
    }

    /// The largest memory limit any plugin may get, which sizes the instance pool.
    pub fn largest_memory_limit(&self) -> ByteSize {
        self.plugins
            .values()
            .filter_map(|s| s.memory_limit)
            .fold(self.memory_limit, ByteSize::max)
    }
}

/// `Plugins.Pool`: the bounded pool that runs validator and login-flow calls
/// (and dry runs), so a slow plugin cannot starve the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PoolConfig {
    /// `Threads`: worker threads; 0 means one less than the CPU cores, at
    /// least one, so plugins never take every core from the server (default 0).
    pub threads: usize,
    /// `Queue`: calls that may wait for a free thread; one more is refused at
    /// once with 503 (default 64).
    pub queue: usize,
    /// `Nice`: the pool threads' CPU niceness, 0–19 (default 10): under CPU
    /// contention request serving goes first; 0 keeps the server's priority.
    #[serde(deserialize_with = "niceness")]
    pub nice: u8,
}

impl PoolConfig {
    /// The worker threads to start: `Threads`, or one less than the cores
    /// (at least one) when 0.
    pub fn thread_count(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        std::thread::available_parallelism()
            .map_or(1, |cores| usize::from(cores).saturating_sub(1))
            .max(1)
    }
}

/// `Plugins.<name>`: one plugin's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct PluginSettings {
    /// `Enabled`: load this plugin at all (default `true`).
    pub enabled: bool,
    /// `Config`: the plugin's own settings, handed to it as JSON.
    #[serde(deserialize_with = "json_object")]
    pub config: serde_json::Value,
    /// `Deadline`: overrides `Plugins.Deadline`.
    #[serde(with = "super::model::duration::option")]
    pub deadline: Option<Duration>,
    /// `MemoryLimit`: overrides `Plugins.MemoryLimit`.
    pub memory_limit: Option<ByteSize>,
    /// `Grants`: capabilities the plugin may use (default: `config` only —
    /// least privilege: `log` and `clock` must be granted by name).
    pub grants: Vec<Capability>,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            config: serde_json::Value::Object(Default::default()),
            deadline: None,
            memory_limit: None,
            grants: Capability::DEFAULT_GRANTS.to_vec(),
        }
    }
}

/// A host capability a plugin may be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// Write to the host's log.
    Log,
    /// Read its own `Config`.
    Config,
    /// Read the clock.
    Clock,
    /// See the secret fields of commands (a plaintext password): only
    /// validators that check them need it.
    Secrets,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 4] = [
        Capability::Log,
        Capability::Config,
        Capability::Clock,
        Capability::Secrets,
    ];

    /// What a plugin gets without a `Grants` entry: its own settings, which
    /// the operator wrote for it. Writing to the host's log, reading the
    /// real clock and seeing secrets must be granted by name.
    pub const DEFAULT_GRANTS: [Capability; 1] = [Capability::Config];

    /// The capability named `name`, as plugins write it in their manifest.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The name plugins and configuration use.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Log => "log",
            Capability::Config => "config",
            Capability::Clock => "clock",
            Capability::Secrets => "secrets",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The runtime-wide keys of `Plugins`, deserialized strictly.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RuntimeKeys {
    dir: PathBuf,
    cache_dir: PathBuf,
    shipped: bool,
    watch: bool,
    #[serde(with = "super::model::duration")]
    deadline: Duration,
    memory_limit: ByteSize,
    max_output: ByteSize,
    max_concurrent_calls: u32,
    pool: PoolConfig,
    validators: Vec<String>,
}

const RUNTIME_KEYS: &[&str] = &[
    "Dir",
    "CacheDir",
    "Shipped",
    "Watch",
    "Deadline",
    "MemoryLimit",
    "MaxOutput",
    "MaxConcurrentCalls",
    "Pool",
    "Validators",
];

/// Whether `name` is a valid plugin name: lowercase kebab-case.
pub fn is_plugin_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

impl<'de> Deserialize<'de> for PluginsConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mapping = Mapping::deserialize(d)?;
        let mut runtime = Mapping::new();
        let mut plugins = BTreeMap::new();
        for (key, value) in mapping {
            let Some(name) = key.as_str().map(str::to_owned) else {
                return Err(de::Error::custom("plugin names must be strings"));
            };
            if RUNTIME_KEYS.contains(&name.as_str()) {
                runtime.insert(key, value);
            } else if is_plugin_name(&name) {
                let settings = serde_yaml_ng::from_value(value)
                    .map_err(|err| de::Error::custom(format_args!("plugin `{name}`: {err}")))?;
                plugins.insert(name, settings);
            } else {
                let hint = suggest(&name, RUNTIME_KEYS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(de::Error::custom(format_args!(
                    "unknown key `{name}`{hint}: keys are either runtime settings \
                     ({}) or plugin names in lowercase kebab-case",
                    RUNTIME_KEYS.join(", ")
                )));
            }
        }
        let keys: RuntimeKeys =
            serde_yaml_ng::from_value(Value::Mapping(runtime)).map_err(de::Error::custom)?;
        Ok(PluginsConfig {
            dir: keys.dir,
            cache_dir: keys.cache_dir,
            shipped: keys.shipped,
            watch: keys.watch,
            deadline: keys.deadline,
            memory_limit: keys.memory_limit,
            max_output: keys.max_output,
            max_concurrent_calls: keys.max_concurrent_calls,
            pool: keys.pool,
            validators: keys.validators,
            plugins,
        })
    }
}

/// A niceness, 0 to 19.
fn niceness<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let nice = u8::deserialize(d)?;
    if nice > 19 {
        return Err(de::Error::custom(format_args!(
            "Nice must be 0 to 19 (a higher niceness runs less), not {nice}"
        )));
    }
    Ok(nice)
}

/// A YAML mapping (or nothing) turned into a JSON object.
fn json_object<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    match value {
        serde_json::Value::Null => Ok(serde_json::Value::Object(Default::default())),
        serde_json::Value::Object(_) => Ok(value),
        other => Err(de::Error::custom(format_args!(
            "expected a mapping of the plugin's own settings, found {other}"
        ))),
    }
}
