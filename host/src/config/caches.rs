//! # `Caches:` (seed 004)
//!
//! Connectors are storage backends a cache can live in; each cached object
//! picks one by name, or none (an empty `Connector` disables that cache).
//! The shape is exactly the seed's, so a ZITADEL operator finds their way.

use std::time::Duration;

use serde::Deserialize;

use super::model::{Backend, LogFormat, duration};

/// `Caches`: the connectors and the objects cached with them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CachesConfig {
    /// `Connectors`: where cached objects may be stored.
    pub connectors: ConnectorsConfig,
    /// `Instance`: instances, by id and by host name (read on every request).
    pub instance: CacheConfig,
    /// `Milestones`: each instance's reached milestones.
    pub milestones: CacheConfig,
    /// `Organization`: organizations, by id and by primary domain.
    pub organization: CacheConfig,
    /// `WriteModels`: the state commands decide on, per aggregate, in this
    /// node's memory.
    pub write_models: WriteModelsConfig,
}

/// `Caches.WriteModels`: the write-model cache (`command::write_model_cache`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WriteModelsConfig {
    /// `MaxEntries`: most aggregates kept; the least used go first
    /// (default 100000; 0 turns the cache off).
    pub max_entries: u64,
}

/// `Caches.Connectors`: the storage backends, each enabled on its own.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ConnectorsConfig {
    /// `Memory`: a map in this node's memory, invalidated on every node.
    pub memory: PrunedConnectorConfig,
    /// `Postgres`: unlogged tables in the `cache` schema of the database.
    pub postgres: PrunedConnectorConfig,
    /// `Redis`: one Redis server (simple mode), behind a circuit breaker.
    pub redis: RedisConfig,
}

/// `Caches.Connectors.Memory` and `.Postgres`: connectors without built-in
/// expiry, cleaned by a pruner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PrunedConnectorConfig {
    /// `Enabled`: whether caches may use this connector.
    pub enabled: bool,
    /// `AutoPrune`: the routine removing expired and invalidated objects.
    pub auto_prune: AutoPruneConfig,
}

/// `AutoPrune`: how often the pruner runs and how long one run may take.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AutoPruneConfig {
    /// `Interval`: time between runs; `0s` never prunes.
    #[serde(with = "duration")]
    pub interval: Duration,
    /// `TimeOut`: longest one run may take before it is abandoned.
    #[serde(rename = "TimeOut", with = "duration")]
    pub timeout: Duration,
}

/// `Caches.Connectors.Redis`: the Redis server and the circuit breaker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RedisConfig {
    /// `Enabled`: whether caches may use Redis.
    pub enabled: bool,
    /// `Addr`: `host:port` of the server.
    pub addr: String,
    /// `Username`: ACL user; empty for the default user.
    pub username: String,
    /// `Password`: empty when the server needs none.
    pub password: String,
    /// `DB`: database number.
    #[serde(rename = "DB")]
    pub db: i64,
    /// `KeyPrefix`: prepended to every key, so deployments can share a server.
    pub key_prefix: String,
    /// `PoolSize`: multiplexed connections requests are spread over.
    pub pool_size: usize,
    /// `DialTimeout`: longest wait to connect.
    #[serde(with = "duration")]
    pub dial_timeout: Duration,
    /// `ReadTimeout`: longest wait for one answer; a slower one is a failure.
    #[serde(with = "duration")]
    pub read_timeout: Duration,
    /// `CircuitBreaker`: when to stop asking Redis for a while.
    pub circuit_breaker: CircuitBreakerConfig,
}

/// `Caches.Connectors.Redis.CircuitBreaker`: the seed's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// `Interval`: how often the closed breaker resets its counters; `0s` never.
    #[serde(with = "duration")]
    pub interval: Duration,
    /// `MaxConsecutiveFailures`: failures in a row that open the breaker.
    pub max_consecutive_failures: u32,
    /// `MaxFailureRatio`: share of failed requests (0–1) that opens it.
    pub max_failure_ratio: Ratio,
    /// `Timeout`: how long it stays open before it half-opens.
    #[serde(with = "duration")]
    pub timeout: Duration,
    /// `MaxRetryRequests`: requests let through while half-open.
    pub max_retry_requests: u32,
}

/// A number between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Ratio(pub f64);

// A `Ratio` is never NaN: deserialization accepts only 0 ≤ r ≤ 1.
impl Eq for Ratio {}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&value) {
            Ok(Ratio(value))
        } else {
            Err(serde::de::Error::custom(format_args!(
                "{value} is not a ratio; expected a number from 0 to 1, such as 0.1"
            )))
        }
    }
}

/// `Caches.<Object>`: one cached object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CacheConfig {
    /// `Connector`: `memory`, `postgres` or `redis`; empty disables the cache.
    pub connector: String,
    /// `MaxAge`: how long an object is valid after it was set; `0s` for no limit.
    #[serde(with = "duration")]
    pub max_age: Duration,
    /// `LastUsage`: how long an object stays without being read; `0s` for no limit.
    #[serde(with = "duration")]
    pub last_usage: Duration,
    /// `Log`: this cache's own log level and format.
    pub log: CacheLogConfig,
}

/// `Caches.<Object>.Log`: logging for one cache alone, independent of `Log:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CacheLogConfig {
    /// `Level`: `off`, `error`, `warn`, `info`, `debug` or `trace`.
    pub level: CacheLogLevel,
    /// `Format`: `text` or `json`.
    pub format: LogFormat,
}

/// `Caches.<Object>.Log.Level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheLogLevel {
    /// Nothing.
    Off,
    /// Failures of the connector.
    Error,
    /// Breaker changes and failures.
    Warn,
    /// Invalidations and prunes.
    Info,
    /// Every miss and set.
    Debug,
    /// Every access.
    Trace,
}

/// Which connector a cache uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    /// `memory`.
    Memory,
    /// `postgres`.
    Postgres,
    /// `redis`.
    Redis,
}

impl ConnectorKind {
    /// The connector's name as written in `Connector:`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectorKind::Memory => "memory",
            ConnectorKind::Postgres => "postgres",
            ConnectorKind::Redis => "redis",
        }
    }
}

impl CachesConfig {
    /// The three caches with their key names, in a fixed order.
    pub fn objects(&self) -> [(&'static str, &CacheConfig); 3] {
        [
            ("Instance", &self.instance),
            ("Milestones", &self.milestones),
            ("Organization", &self.organization),
        ]
    }

    /// Whether the connector `kind` is enabled.
    pub fn enabled(&self, kind: ConnectorKind) -> bool {
        match kind {
            ConnectorKind::Memory => self.connectors.memory.enabled,
            ConnectorKind::Postgres => self.connectors.postgres.enabled,
            ConnectorKind::Redis => self.connectors.redis.enabled,
        }
    }

    /// Checks what one key alone cannot: each cache names a known, enabled
    /// connector that the database backend supports.
    ///
    /// # Errors
    /// The offending key (`Caches.<Object>.Connector`) and what is wrong.
    pub(super) fn check(&self, backend: Backend) -> Result<(), (String, String)> {
        for (object, cache) in self.objects() {
            let key = format!("Caches.{object}.Connector");
            let Some(kind) = cache.kind().map_err(|message| (key.clone(), message))? else {
                continue;
            };
            let connector = format!("Caches.Connectors.{}", connector_key(kind));
            if !self.enabled(kind) {
                return Err((
                    key,
                    format!(
                        "the {object} cache uses the connector {:?}, but {connector}.Enabled is \
                         false; enable the connector or choose another one",
                        kind.name()
                    ),
                ));
            }
            if kind == ConnectorKind::Postgres && backend != Backend::Postgres {
                return Err((
                    key,
                    format!(
                        "the {object} cache uses the connector \"postgres\", which needs \
                         Database.Backend: postgres (the backend is SQLite); use \"memory\" or \
                         \"redis\" instead"
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl CacheConfig {
    /// The connector this cache uses; `None` when the cache is disabled.
    ///
    /// # Errors
    /// A message naming the connectors there are, for an unknown name.
    pub fn kind(&self) -> Result<Option<ConnectorKind>, String> {
        match self.connector.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "memory" => Ok(Some(ConnectorKind::Memory)),
            "postgres" => Ok(Some(ConnectorKind::Postgres)),
            "redis" => Ok(Some(ConnectorKind::Redis)),
            other => Err(format!(
                "unknown connector {other:?}; expected \"memory\", \"postgres\", \"redis\" or \
                 \"\" (no cache)"
            )),
        }
    }
}

/// The key of a connector under `Caches.Connectors`.
fn connector_key(kind: ConnectorKind) -> &'static str {
    match kind {
        ConnectorKind::Memory => "Memory",
        ConnectorKind::Postgres => "Postgres",
        ConnectorKind::Redis => "Redis",
    }
}
