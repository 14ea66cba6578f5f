//! # Caches (seed 004)
//!
//! Objects the server needs on almost every request, kept close: instances
//! (by id and by host name), organizations (by id and by primary domain) and
//! milestones (by instance). Unlike an HTTP cache they hold objects of the
//! business logic, and they are **invalidated actively** when the objects'
//! events are pushed.
//!
//! - [`Object`]: something cacheable, found under several [`Index`]es.
//! - [`Connector`]: a storage backend — [`memory`] (moka, this node),
//!   [`postgres`] (unlogged tables shared by all nodes), [`redis`] (one
//!   server, behind a circuit breaker).
//! - [`ObjectCache`]: what the rest of the server holds: one object type on
//!   one connector (or none: a disabled cache always misses), with its own
//!   log ([`log`]) and metrics. A failing connector never fails a request;
//!   its error is logged and counted, and the caller reads the database.
//! - [`invalidate`]: every node follows the cached objects' events and
//!   invalidates what they changed, so a memory cache is invalidated on
//!   every node (beyond the seed, whose memory cache is only ever
//!   invalidated on the node that made the change).
//! - [`objects`]: the cached objects themselves and how they are loaded.
//!
//! `MaxAge` is the time since an object was set, `LastUsage` the time since
//! it was last read; past either it is a miss. Setting or invalidating an
//! object affects it under every index at once.

pub mod invalidate;
pub mod log;
pub mod memory;
pub mod objects;
pub mod postgres;
mod prune;
mod read;
pub mod redis;
mod setup;

#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use log::CacheLog;
pub use prune::Pruner;
pub use setup::{CacheSetupError, Caches};

/// A cacheable object: serializable (for the shared connectors) and
/// findable under each of its type's indexes.
pub trait Object: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The ways the object can be looked up.
    type Index: Index;

    /// The object's keys under `index`: exactly one under the first index
    /// (its identity), any number under the others (an instance has many
    /// host names, an organization without a primary domain has none).
    fn keys(&self, index: Self::Index) -> Vec<String>;

    /// The object's identity: its one key under the first index.
    fn id(&self) -> String {
        self.keys(Self::Index::ALL[0])
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

/// The indexes of an [`Object`] type; the first is the identity.
pub trait Index: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every index, identity first.
    const ALL: &'static [Self];

    /// A short stable name, used in shared connectors' keys (`id`, `host`).
    fn name(self) -> &'static str;

    /// Where the index is in [`Index::ALL`].
    fn position(self) -> usize {
        Self::ALL.iter().position(|i| *i == self).unwrap_or(0)
    }
}

/// How long cached objects stay usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifetimes {
    /// Since the object was set (`MaxAge`); `None`: no limit.
    pub max_age: Option<Duration>,
    /// Since the object was last read (`LastUsage`); `None`: no limit.
    pub last_usage: Option<Duration>,
}

impl Lifetimes {
    /// From the configuration's durations, where zero means no limit.
    pub fn new(max_age: Duration, last_usage: Duration) -> Self {
        let limit = |d: Duration| (!d.is_zero()).then_some(d);
        Self {
            max_age: limit(max_age),
            last_usage: limit(last_usage),
        }
    }

    /// Whether an object set `age` ago and last read `idle` ago is still usable.
    pub fn fresh(&self, age: Duration, idle: Duration) -> bool {
        self.max_age.is_none_or(|max| age < max) && self.last_usage.is_none_or(|max| idle < max)
    }

    /// How long an object just used may live from now on, given its age:
    /// the shorter of what `MaxAge` leaves and a full `LastUsage`. `None`
    /// when neither limits it. Shared connectors expire keys by it.
    pub fn remaining(&self, age: Duration) -> Option<Duration> {
        let by_age = self.max_age.map(|max| max.saturating_sub(age));
        match (by_age, self.last_usage) {
            (Some(a), Some(u)) => Some(a.min(u)),
            (a, u) => a.or(u),
        }
    }
}

/// Why a connector could not answer. Callers of [`ObjectCache`] never see
/// it: the cache logs it and answers a miss.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The Redis circuit breaker is open: Redis is skipped for now.
    #[error("the circuit breaker is open; Redis is skipped until it half-opens")]
    BreakerOpen,
    /// Redis answered with an error, timed out or is unreachable.
    #[error("redis: {0}")]
    Redis(String),
    /// PostgreSQL failed.
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A stored object does not decode as the expected type.
    #[error("a cached object does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    /// A prune run took longer than `AutoPrune.TimeOut`.
    #[error("pruning took longer than {0:?}")]
    PruneTimeout(Duration),
}

/// One storage backend holding objects of type `V`.
///
/// Invalidation removes the object under every index (its entry under the
/// index given is found, and through it all its keys); deletion removes
/// only the keys given, leaving the object reachable under its other keys.
#[async_trait]
pub trait Connector<V: Object>: Send + Sync {
    /// The connector's name as configured (`memory`, `postgres`, `redis`).
    fn name(&self) -> &'static str;

    /// The object stored under `key` of `index`, if it is still fresh; a
    /// hit counts as a use (`LastUsage`).
    async fn get(&self, index: V::Index, key: &str) -> Result<Option<V>, CacheError>;

    /// Stores `value` under all its keys of every index, replacing what they
    /// pointed at.
    async fn set(&self, value: &V) -> Result<(), CacheError>;

    /// Removes the objects found under `keys` of `index`, under every index.
    async fn invalidate(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError>;

    /// Removes `keys` of `index` only.
    async fn delete(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError>;

    /// Removes every object of this cache.
    async fn truncate(&self) -> Result<(), CacheError>;

    /// Removes expired and invalidated objects; returns how many. Connectors
    /// with native expiry do nothing.
    async fn prune(&self) -> Result<u64, CacheError>;
}

/// One object type cached on one connector, or disabled. Connector errors
/// are logged with the cache's own [`CacheLog`] and answered as misses.
pub struct ObjectCache<V: Object> {
    name: &'static str,
    connector: Option<Arc<dyn Connector<V>>>,
    log: CacheLog,
    /// `rampart_cache_requests_total` for hits, misses and errors,
    /// registered once: a hit costs an increment, not a label look-up.
    outcomes: [metrics::Counter; 3],
}

impl<V: Object> Clone for ObjectCache<V> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            connector: self.connector.clone(),
            log: self.log.clone(),
            outcomes: self.outcomes.clone(),
        }
    }
}

impl<V: Object> ObjectCache<V> {
    /// The cache `name` (`instance`, `organization`, `milestones`) on
    /// `connector`; `None` disables it.
    pub fn new(
        name: &'static str,
        connector: Option<Arc<dyn Connector<V>>>,
        log: CacheLog,
    ) -> Self {
        // A disabled cache records nothing (it is never asked).
        let outcomes = ["hit", "miss", "error"].map(|result| match &connector {
            Some(c) => metrics::counter!("rampart_cache_requests_total",
                "cache" => name, "connector" => c.name(), "result" => result),
            None => metrics::Counter::noop(),
        });
        Self {
            name,
            connector,
            log,
            outcomes,
        }
    }

    /// A cache that always misses.
    pub fn disabled(name: &'static str) -> Self {
        Self::new(name, None, CacheLog::off())
    }

    /// The cache's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The connector's name, or `None` when the cache is disabled.
    pub fn connector(&self) -> Option<&'static str> {
        self.connector.as_ref().map(|c| c.name())
    }

    /// The object under `key` of `index`, if cached and fresh.
    pub async fn get(&self, index: V::Index, key: &str) -> Option<V> {
        let connector = self.connector.as_ref()?;
        let result = connector.get(index, key).await;
        let (outcome, counter) = match &result {
            Ok(Some(_)) => ("hit", &self.outcomes[0]),
            Ok(None) => ("miss", &self.outcomes[1]),
            Err(_) => ("error", &self.outcomes[2]),
        };
        counter.increment(1);
        match result {
            Ok(found) => {
                self.log.trace(self.name, || {
                    format!("get {}={key}: {outcome}", index.name())
                });
                found
            }
            Err(error) => {
                self.failed("get", &error);
                None
            }
        }
    }

    /// Stores `value` under all its keys.
    pub async fn set(&self, value: &V) {
        let Some(connector) = &self.connector else {
            return;
        };
        match connector.set(value).await {
            Ok(()) => self.log.debug(self.name, || format!("set {}", value.id())),
            Err(error) => self.failed("set", &error),
        }
    }

    /// Removes the objects under `keys` of `index`, under every index.
    pub async fn invalidate(&self, index: V::Index, keys: &[String]) {
        let Some(connector) = &self.connector else {
            return;
        };
        if keys.is_empty() {
            return;
        }
        match connector.invalidate(index, keys).await {
            Ok(()) => self.log.debug(self.name, || {
                format!("invalidated {}={}", index.name(), keys.join(","))
            }),
            Err(error) => self.failed("invalidate", &error),
        }
    }

    /// Removes `keys` of `index` only; the objects stay under their other keys.
    pub async fn delete(&self, index: V::Index, keys: &[String]) {
        let Some(connector) = &self.connector else {
            return;
        };
        if let Err(error) = connector.delete(index, keys).await {
            self.failed("delete", &error);
        }
    }

    /// Removes every object of this cache.
    pub async fn truncate(&self) {
        let Some(connector) = &self.connector else {
            return;
        };
        if let Err(error) = connector.truncate().await {
            self.failed("truncate", &error);
        }
    }

    /// Runs one prune of the connector; what it removed, if it could.
    pub(crate) async fn prune(&self) -> Result<u64, CacheError> {
        match &self.connector {
            Some(connector) => connector.prune().await,
            None => Ok(0),
        }
    }

    /// The cache's log.
    pub(crate) fn log(&self) -> &CacheLog {
        &self.log
    }

    fn failed(&self, operation: &str, error: &CacheError) {
        if matches!(error, CacheError::BreakerOpen) {
            // Expected while Redis is down; the breaker logged its opening.
            self.log
                .debug(self.name, || format!("{operation} skipped: {error}"));
            return;
        }
        self.log
            .error(self.name, || format!("{operation} failed: {error}"));
    }
}
