//! [`Caches`]: the three object caches of seed 004, built from `Caches:`,
//! with their pruners and what the invalidation has seen.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use super::objects::{CachedInstance, CachedOrg, InstanceIndex, OrgIndex, org_key};
use super::postgres::PgConnector;
use super::redis::{RedisClient, RedisConnector};
use super::{CacheLog, Connector, Lifetimes, Object, ObjectCache, Pruner, memory::MemoryConnector};
use crate::command::WriteModelCache;
use crate::config::{CacheConfig, CachesConfig, ConnectorKind};
use crate::eventstore::{AggregateRef, Event, Position};
use crate::milestone::{self, MilestoneIndex, MilestoneState};

/// Most aggregates whose newest event position is remembered.
const SEEN_CAPACITY: u64 = 100_000;

/// The object caches and what keeps them current.
pub struct Caches {
    /// Instances by id and host name.
    pub instance: ObjectCache<CachedInstance>,
    /// Organizations by id and primary domain.
    pub organization: ObjectCache<CachedOrg>,
    /// Reached milestones by instance.
    pub milestones: ObjectCache<MilestoneState>,
    /// The state commands decide on, per aggregate, in this node's memory;
    /// organizations are loaded through it.
    pub write_models: WriteModelCache,
    /// `type/instance/id` → position of the newest event seen on that
    /// aggregate: an entry loaded before it is stale, even if it was set
    /// after the invalidation (a slow reader racing a writer).
    seen: moka::sync::Cache<String, Position>,
    /// The newest event position seen on any aggregate of each cached type
    /// (instance, org, milestone): an entry at least that new needs no
    /// look-up in `seen`, which keeps a hit free of allocations.
    newest_of_type: [std::sync::Mutex<Position>; 3],
    /// How far the invalidation has followed the eventstore.
    followed: watch::Sender<Position>,
    _pruners: Vec<Pruner>,
}

/// Why the caches could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CacheSetupError {
    /// A cache names the Postgres connector on a store without PostgreSQL.
    #[error("the {cache} cache uses the postgres connector, but the database is not PostgreSQL")]
    NoPostgres {
        /// The cache.
        cache: &'static str,
    },
    /// The Redis settings are not usable (the address does not parse).
    #[error("Caches.Connectors.Redis: {0}")]
    Redis(String),
}

impl Caches {
    /// The caches `config` describes. `pool` is the database's pool when
    /// the backend is PostgreSQL. Redis is connected lazily: a server that
    /// is down at start-up only keeps its breaker open.
    ///
    /// # Errors
    /// [`CacheSetupError`].
    pub fn build(config: &CachesConfig, pool: Option<&PgPool>) -> Result<Self, CacheSetupError> {
        let uses_redis = config
            .objects()
            .iter()
            .any(|(_, c)| c.kind().ok().flatten() == Some(ConnectorKind::Redis));
        let redis = if uses_redis {
            Some(Arc::new(
                RedisClient::new(&config.connectors.redis).map_err(CacheSetupError::Redis)?,
            ))
        } else {
            None
        };
        let backends = Backends {
            config,
            pool,
            redis: redis.as_ref(),
        };
        let mut pruners = Vec::new();
        let instance = backends.cache("instance", &config.instance, &mut pruners)?;
        let organization = backends.cache("organization", &config.organization, &mut pruners)?;
        let milestones = backends.cache("milestones", &config.milestones, &mut pruners)?;
        Ok(Self {
            instance,
            organization,
            milestones,
            write_models: WriteModelCache::new(config.write_models.max_entries),
            seen: seen_map(longest_max_age(config)),
            newest_of_type: Default::default(),
            followed: watch::Sender::new(Position::ZERO),
            _pruners: pruners,
        })
    }

    /// Caches that always miss, write models included (tests of the
    /// command side, embedding).
    pub fn disabled() -> Self {
        Self {
            instance: ObjectCache::disabled("instance"),
            organization: ObjectCache::disabled("organization"),
            milestones: ObjectCache::disabled("milestones"),
            write_models: WriteModelCache::new(0),
            seen: seen_map(None),
            newest_of_type: Default::default(),
            followed: watch::Sender::new(Position::ZERO),
            _pruners: Vec::new(),
        }
    }

    /// Invalidates, under every index, each cached object that `events`
    /// changed, and remembers their positions for [`Caches::is_stale`].
    pub async fn invalidate_for(&self, events: &[Event]) {
        for event in events {
            let a = &event.aggregate;
            let kind = a.aggregate_type.as_str();
            if !matches!(kind, "instance" | "org" | milestone::AGGREGATE_TYPE) {
                continue;
            }
            if let Some(slot) = type_slot(kind) {
                let mut newest = self.newest_of_type[slot]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *newest = (*newest).max(event.position);
            }
            let key = seen_key(a);
            let newest = self
                .seen
                .get(&key)
                .map_or(event.position, |p| p.max(event.position));
            self.seen.insert(key, newest);
            match kind {
                "instance" => {
                    self.instance
                        .invalidate(InstanceIndex::Id, std::slice::from_ref(&a.aggregate_id))
                        .await;
                }
                "org" => {
                    let key = org_key(&a.instance_id, &a.aggregate_id);
                    self.organization
                        .invalidate(OrgIndex::Id, std::slice::from_ref(&key))
                        .await;
                }
                _ => {
                    self.milestones
                        .invalidate(
                            MilestoneIndex::Instance,
                            std::slice::from_ref(&a.instance_id),
                        )
                        .await;
                }
            }
        }
    }

    /// Whether an entry of `aggregate` that reflects its events up to
    /// `position` is older than an event already seen on it.
    pub fn is_stale(&self, aggregate: &AggregateRef, position: Position) -> bool {
        if let Some(slot) = type_slot(&aggregate.aggregate_type) {
            let newest = *self.newest_of_type[slot]
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if position >= newest {
                return false;
            }
        }
        self.seen
            .get(&seen_key(aggregate))
            .is_some_and(|newest| newest > position)
    }

    /// How far the invalidation has followed the eventstore: every cached
    /// object's events up to here have invalidated it on this node.
    pub fn followed(&self) -> Position {
        *self.followed.borrow()
    }

    /// Records that the invalidation followed the eventstore up to `position`.
    pub(crate) fn advance(&self, position: Position) {
        self.followed.send_if_modified(|at| {
            let moved = position > *at;
            if moved {
                *at = position;
            }
            moved
        });
    }

    /// Waits until the invalidation followed the eventstore up to
    /// `position`, at most `timeout`; whether it did.
    pub async fn await_followed(&self, position: Position, timeout: Duration) -> bool {
        let mut followed = self.followed.subscribe();
        tokio::time::timeout(timeout, followed.wait_for(|at| *at >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// What connectors are built from.
struct Backends<'a> {
    config: &'a CachesConfig,
    pool: Option<&'a PgPool>,
    redis: Option<&'a Arc<RedisClient>>,
}

impl Backends<'_> {
    /// The cache `name` as `cache` configures it, with its pruner if its
    /// connector needs one.
    fn cache<V: Object>(
        &self,
        name: &'static str,
        cache: &CacheConfig,
        pruners: &mut Vec<Pruner>,
    ) -> Result<ObjectCache<V>, CacheSetupError> {
        let lifetimes = Lifetimes::new(cache.max_age, cache.last_usage);
        let log = CacheLog::new(&cache.log);
        // `Config::load` already refused unknown and disabled connectors.
        let Some(kind) = cache.kind().ok().flatten() else {
            return Ok(ObjectCache::disabled(name));
        };
        let connector: Arc<dyn Connector<V>> = match kind {
            ConnectorKind::Memory => Arc::new(MemoryConnector::new(lifetimes)),
            ConnectorKind::Postgres => {
                let pool = self
                    .pool
                    .ok_or(CacheSetupError::NoPostgres { cache: name })?;
                Arc::new(PgConnector::new(pool.clone(), name, lifetimes))
            }
            ConnectorKind::Redis => {
                let client = self
                    .redis
                    .expect("a Redis client exists when a cache uses Redis");
                Arc::new(RedisConnector::new(
                    client.clone(),
                    name,
                    lifetimes,
                    log.clone(),
                ))
            }
        };
        let cache = ObjectCache::new(name, Some(connector), log);
        let prune = match kind {
            ConnectorKind::Memory => Some(&self.config.connectors.memory.auto_prune),
            ConnectorKind::Postgres => Some(&self.config.connectors.postgres.auto_prune),
            ConnectorKind::Redis => None,
        };
        if let Some(pruner) = prune.and_then(|p| Pruner::start(cache.clone(), p)) {
            pruners.push(pruner);
        }
        Ok(cache)
    }
}

/// What the stale-entry check remembers: an aggregate's newest event
/// position, for as long as an entry set late could be used (the longest
/// `MaxAge`; without one, until the capacity pushes it out).
fn seen_map(keep_for: Option<Duration>) -> moka::sync::Cache<String, Position> {
    let builder = moka::sync::Cache::builder().max_capacity(SEEN_CAPACITY);
    match keep_for {
        Some(ttl) => builder.time_to_live(ttl).build(),
        None => builder.build(),
    }
}

/// The longest `MaxAge` of the caches; `None` when one has no limit.
fn longest_max_age(config: &CachesConfig) -> Option<Duration> {
    let ages: Vec<Duration> = config.objects().iter().map(|(_, c)| c.max_age).collect();
    if ages.iter().any(Duration::is_zero) {
        return None;
    }
    ages.into_iter().max()
}

/// Where `newest_of_type` keeps the aggregate type `kind`.
fn type_slot(kind: &str) -> Option<usize> {
    match kind {
        "instance" => Some(0),
        "org" => Some(1),
        k if k == milestone::AGGREGATE_TYPE => Some(2),
        _ => None,
    }
}

fn seen_key(a: &AggregateRef) -> String {
    format!("{}/{}/{}", a.aggregate_type, a.instance_id, a.aggregate_id)
}
