//! # Configuration
//!
//! Layered, strict configuration for the `rampart` server, in ZITADEL-style
//! PascalCase YAML. Layers, later ones winning:
//!
//! 1. the defaults embedded from `config/defaults.yaml` (the commented reference),
//! 2. each `--config FILE`, in order,
//! 3. environment variables `RAMPART_<PATH>`: the key path uppercased and joined
//!    with `_`, e.g. `RAMPART_DATABASE_POSTGRES_HOST=db`; values are YAML scalars.
//!
//! Unknown keys, unknown `RAMPART_*` variables and ill-typed values are errors
//! naming the key and the [`Source`] that set it. `RAMPART_MASTERKEY`,
//! `RAMPART_MASTERKEY_FILE`, `RAMPART_MASTERKEY_PREVIOUS(_FILE)`,
//! `RAMPART_CONFIG` and `RAMPART_TEST_*` are reserved and ignored here.

mod caches;
mod error;
mod load;
mod model;
mod plugins;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use caches::{
    AutoPruneConfig, CacheConfig, CacheLogConfig, CacheLogLevel, CachesConfig,
    CircuitBreakerConfig, ConnectorKind, ConnectorsConfig, PrunedConnectorConfig, Ratio,
    RedisConfig, WriteModelsConfig,
};
pub use error::{ConfigError, Source};
pub use model::{
    Backend, Capability, CodesConfig, CommandsConfig, Config, DatabaseConfig, EventstoreConfig,
    FirstAdminConfig, FirstInstanceConfig, FirstMachineConfig, FirstOrgConfig, InternalAuthzConfig,
    LogConfig, LogFormat, LoginRateLimitConfig, MAX_SIGNED_TOKEN_LIFETIME, OidcConfig,
    PasswordHashConfig, PgSslMode, PluginSettings, PluginsConfig, PoolConfig, PostgresConfig,
    ProjectionsConfig, RolePermissionMapping, SigningAlgorithm, SigningKeysConfig, SqliteConfig,
    SqliteSynchronous,
};
pub use plugins::is_plugin_name;

/// The embedded reference configuration (`config/defaults.yaml`).
pub const DEFAULTS_YAML: &str = include_str!("../../../config/defaults.yaml");

impl Config {
    /// Loads embedded defaults, then `files` in order, then `env` (pass
    /// `std::env::vars()` in production; tests pass a vec).
    pub fn load(
        files: &[PathBuf],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut layers = load::Layers::defaults(DEFAULTS_YAML);
        for file in files {
            layers.merge_file(file)?;
        }
        layers.merge_env(env)?;
        layers.finish()
    }

    /// The defaults alone.
    pub fn defaults() -> Config {
        load::Layers::defaults(DEFAULTS_YAML)
            .finish()
            .expect("embedded defaults.yaml matches the configuration model")
    }
}
