//! One conformance suite, run on all three connectors against the real
//! backends: memory, PostgreSQL (a database of its own on 127.0.0.1:5432)
//! and Redis (127.0.0.1:6379, a key prefix of its own).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::memory::MemoryConnector;
use super::postgres::PgConnector;
use super::redis::{RedisClient, RedisConnector};
use super::{CacheLog, Connector, Index, Lifetimes, Object};
use crate::config::Config;

/// A cacheable test object: one id, any number of aliases (shared with the
/// Redis connector's own tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Thing {
    pub(crate) id: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) version: u32,
}

/// How [`Thing`]s are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ThingIndex {
    Id,
    Alias,
}

impl Index for ThingIndex {
    const ALL: &'static [Self] = &[ThingIndex::Id, ThingIndex::Alias];

    fn name(self) -> &'static str {
        match self {
            ThingIndex::Id => "id",
            ThingIndex::Alias => "alias",
        }
    }
}

impl Object for Thing {
    type Index = ThingIndex;

    fn keys(&self, index: ThingIndex) -> Vec<String> {
        match index {
            ThingIndex::Id => vec![self.id.clone()],
            ThingIndex::Alias => self.aliases.clone(),
        }
    }
}

/// A [`Thing`].
pub(crate) fn thing(id: &str, aliases: &[&str], version: u32) -> Thing {
    Thing {
        id: id.into(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        version,
    }
}

/// Builds a connector for one case: a cache name of its own, `lifetimes`.
type Factory = Box<dyn Fn(&'static str, Lifetimes) -> Arc<dyn Connector<Thing>>>;

fn memory() -> Factory {
    Box::new(|_, lifetimes| Arc::new(MemoryConnector::<Thing>::new(lifetimes)))
}

async fn postgres() -> Factory {
    let (_, pool) = crate::test_pg::migrated_database("rampart_cache", 4).await;
    Box::new(move |cache, lifetimes| {
        Arc::new(PgConnector::<Thing>::new(pool.clone(), cache, lifetimes))
    })
}

fn redis() -> Factory {
    let mut config = Config::defaults().caches.connectors.redis;
    config.enabled = true;
    config.addr = "127.0.0.1:6379".into();
    config.key_prefix = format!("rampart-test-{}", rand::random::<u64>());
    let client = Arc::new(RedisClient::new(&config).expect("valid Redis settings"));
    Box::new(move |cache, lifetimes| {
        Arc::new(RedisConnector::<Thing>::new(
            client.clone(),
            cache,
            lifetimes,
            CacheLog::off(),
        ))
    })
}

#[tokio::test]
async fn the_memory_connector_conforms() {
    conformance(memory()).await;
}

#[tokio::test]
async fn the_postgres_connector_conforms() {
    conformance(postgres().await).await;
}

#[tokio::test]
async fn the_redis_connector_conforms() {
    conformance(redis()).await;
}

async fn conformance(connector: Factory) {
    let forever = Lifetimes::default();
    set_and_get_by_every_index(connector("get", forever)).await;
    a_new_version_replaces_every_key(connector("replace", forever)).await;
    invalidation_removes_the_object_under_every_index(connector("invalidate", forever)).await;
    deletion_removes_only_the_keys_given(connector("delete", forever)).await;
    truncation_removes_everything(connector("truncate", forever)).await;
    max_age_counts_from_the_set(connector(
        "max_age",
        Lifetimes::new(Duration::from_millis(700), Duration::ZERO),
    ))
    .await;
    last_usage_slides_with_every_read(connector(
        "last_usage",
        Lifetimes::new(Duration::ZERO, Duration::from_millis(900)),
    ))
    .await;
    pruning_removes_what_expired(connector(
        "prune",
        Lifetimes::new(Duration::from_millis(300), Duration::ZERO),
    ))
    .await;
    // Leave nothing behind in the shared backends.
    for name in ["get", "replace", "invalidate", "delete", "prune"] {
        connector(name, forever).truncate().await.unwrap();
    }
}

async fn get(c: &Arc<dyn Connector<Thing>>, index: ThingIndex, key: &str) -> Option<Thing> {
    c.get(index, key).await.expect("the connector answers")
}

async fn set_and_get_by_every_index(c: Arc<dyn Connector<Thing>>) {
    let t = thing("t1", &["one", "uno"], 1);
    c.set(&t).await.unwrap();
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, Some(t.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "one").await, Some(t.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "uno").await, Some(t));
    assert_eq!(get(&c, ThingIndex::Id, "t2").await, None);
    // Keys are per index: an id is not an alias.
    assert_eq!(get(&c, ThingIndex::Alias, "t1").await, None);
}

async fn a_new_version_replaces_every_key(c: Arc<dyn Connector<Thing>>) {
    c.set(&thing("t1", &["old", "kept"], 1)).await.unwrap();
    let v2 = thing("t1", &["kept", "new"], 2);
    c.set(&v2).await.unwrap();
    assert_eq!(
        get(&c, ThingIndex::Alias, "old").await,
        None,
        "a dropped key"
    );
    assert_eq!(get(&c, ThingIndex::Alias, "kept").await, Some(v2.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "new").await, Some(v2.clone()));
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, Some(v2));
    // A key another object takes over now finds that object.
    let other = thing("t2", &["new"], 1);
    c.set(&other).await.unwrap();
    assert_eq!(get(&c, ThingIndex::Alias, "new").await, Some(other));
}

async fn invalidation_removes_the_object_under_every_index(c: Arc<dyn Connector<Thing>>) {
    c.set(&thing("t1", &["a", "b"], 1)).await.unwrap();
    let bystander = thing("t2", &["c"], 1);
    c.set(&bystander).await.unwrap();
    c.invalidate(ThingIndex::Alias, &["a".into()])
        .await
        .unwrap();
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "b").await, None);
    assert_eq!(get(&c, ThingIndex::Id, "t2").await, Some(bystander));
    // Invalidating what is not there is no error.
    c.invalidate(ThingIndex::Id, &["nothing".into()])
        .await
        .unwrap();
}

async fn deletion_removes_only_the_keys_given(c: Arc<dyn Connector<Thing>>) {
    let t = thing("t1", &["a", "b"], 1);
    c.set(&t).await.unwrap();
    c.delete(ThingIndex::Alias, &["a".into()]).await.unwrap();
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "b").await, Some(t.clone()));
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, Some(t));
}

async fn truncation_removes_everything(c: Arc<dyn Connector<Thing>>) {
    c.set(&thing("t1", &["a"], 1)).await.unwrap();
    c.set(&thing("t2", &["b"], 1)).await.unwrap();
    c.truncate().await.unwrap();
    for (index, key) in [
        (ThingIndex::Id, "t1"),
        (ThingIndex::Id, "t2"),
        (ThingIndex::Alias, "a"),
        (ThingIndex::Alias, "b"),
    ] {
        assert_eq!(get(&c, index, key).await, None, "{key}");
    }
}

async fn max_age_counts_from_the_set(c: Arc<dyn Connector<Thing>>) {
    let t = thing("t1", &["a"], 1);
    c.set(&t).await.unwrap();
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, Some(t.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Reading does not extend MaxAge.
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, Some(t));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, None);
}

async fn last_usage_slides_with_every_read(c: Arc<dyn Connector<Thing>>) {
    let t = thing("t1", &["a"], 1);
    c.set(&t).await.unwrap();
    // Read every 300 ms for 1.5 s, longer than LastUsage: each read keeps
    // it, through either index.
    for round in 0..5 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let index = if round % 2 == 0 {
            ThingIndex::Id
        } else {
            ThingIndex::Alias
        };
        let key = if round % 2 == 0 { "t1" } else { "a" };
        assert_eq!(get(&c, index, key).await, Some(t.clone()), "round {round}");
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(get(&c, ThingIndex::Id, "t1").await, None);
}

async fn pruning_removes_what_expired(c: Arc<dyn Connector<Thing>>) {
    c.set(&thing("t1", &["a", "b"], 1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fresh = thing("t2", &["c"], 1);
    c.set(&fresh).await.unwrap();
    let pruned = c.prune().await.unwrap();
    match c.name() {
        // Redis expires natively: nothing left to prune.
        "redis" => assert_eq!(pruned, 0),
        // Memory counts index entries (t1's id and two aliases), PostgreSQL
        // objects (t1, with its keys).
        "memory" => assert_eq!(pruned, 3),
        _ => assert_eq!(pruned, 1),
    }
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Id, "t2").await, Some(fresh));
}
