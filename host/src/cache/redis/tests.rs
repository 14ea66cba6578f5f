//! The Redis connector against the real Redis on `127.0.0.1:6379` (start
//! one with `redis-server --daemonize yes`). Each test keeps its keys under
//! a prefix of its own, so tests run in parallel and leave nothing behind.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::{BreakerState, RedisClient, RedisConnector, local_test_config, parse_addr};
use crate::cache::tests::{Thing, ThingIndex, thing};
use crate::cache::{CacheError, CacheLog, Connector, Lifetimes};
use crate::config::RedisConfig;

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn unique_prefix() -> String {
    format!("rampart-test-{}", uuid::Uuid::now_v7())
}

/// A connector for cache `things` on a new client for `config`.
fn connector_with(config: &RedisConfig, lifetimes: Lifetimes) -> RedisConnector<Thing> {
    let client = Arc::new(RedisClient::new(config).expect("the test address parses"));
    RedisConnector::new(client, "things", lifetimes, CacheLog::off())
}

/// A connector for cache `things` under a fresh prefix, and that prefix.
fn connector(lifetimes: Lifetimes) -> (RedisConnector<Thing>, String) {
    let prefix = unique_prefix();
    (
        connector_with(&local_test_config(&prefix), lifetimes),
        prefix,
    )
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// A plain connection to the test Redis's database `db`, to look at keys.
async fn raw(db: i64) -> MultiplexedConnection {
    redis::Client::open(format!("redis://127.0.0.1:6379/{db}"))
        .expect("the URL parses")
        .get_multiplexed_async_connection()
        .await
        .expect("the test Redis runs on 127.0.0.1:6379 (redis-server --daemonize yes)")
}

/// Every key under `prefix` in database 0, sorted.
async fn keys_under(prefix: &str) -> Vec<String> {
    let mut connection = raw(0).await;
    let mut found: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut connection)
        .await
        .expect("KEYS works");
    found.sort();
    found
}

async fn pttl(key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut raw(0).await)
        .await
        .expect("PTTL works")
}

async fn get(c: &RedisConnector<Thing>, index: ThingIndex, key: &str) -> Option<Thing> {
    c.get(index, key).await.expect("Redis answers")
}

#[tokio::test]
async fn given_an_object_set_when_got_by_every_index_then_it_is_found() {
    let (c, prefix) = connector(Lifetimes::default());
    let a = thing("a", &["a1", "a2"], 1);
    c.set(&a).await.expect("set");
    assert_eq!(get(&c, ThingIndex::Id, "a").await, Some(a.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, Some(a.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "a2").await, Some(a));
    assert_eq!(get(&c, ThingIndex::Alias, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Id, "a1").await, None);
    assert_eq!(c.name(), "redis");
    // One object record and one key per index key, none expiring.
    let base = format!("{prefix}:things");
    assert_eq!(
        keys_under(&prefix).await,
        [
            format!("{base}:i:alias:a1"),
            format!("{base}:i:alias:a2"),
            format!("{base}:i:id:a"),
            format!("{base}:o:a"),
        ]
    );
    assert_eq!(pttl(&format!("{base}:o:a")).await, -1);
    assert_eq!(pttl(&format!("{base}:i:alias:a1")).await, -1);
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_a_new_version_without_a_key_when_got_by_that_key_then_it_misses() {
    let (c, prefix) = connector(Lifetimes::default());
    c.set(&thing("a", &["old", "kept"], 1))
        .await
        .expect("set v1");
    let v2 = thing("a", &["kept", "new"], 2);
    c.set(&v2).await.expect("set v2");
    assert_eq!(get(&c, ThingIndex::Alias, "old").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "kept").await, Some(v2.clone()));
    assert_eq!(get(&c, ThingIndex::Alias, "new").await, Some(v2.clone()));
    assert_eq!(get(&c, ThingIndex::Id, "a").await, Some(v2));
    let base = format!("{prefix}:things");
    assert!(
        !keys_under(&prefix)
            .await
            .contains(&format!("{base}:i:alias:old"))
    );
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_a_key_taken_over_by_another_object_when_the_first_is_invalidated_then_the_key_stays()
{
    let (c, _prefix) = connector(Lifetimes::default());
    c.set(&thing("a", &["shared", "a1"], 1))
        .await
        .expect("set a");
    let b = thing("b", &["shared"], 1);
    c.set(&b).await.expect("set b");
    assert_eq!(get(&c, ThingIndex::Alias, "shared").await, Some(b.clone()));
    // `a` still lists `shared` among its keys, but it is `b`'s now.
    c.invalidate(ThingIndex::Id, &keys(&["a"]))
        .await
        .expect("invalidate");
    assert_eq!(get(&c, ThingIndex::Id, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "shared").await, Some(b));
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_max_age_when_it_passes_then_the_object_misses_under_every_index() {
    let (c, prefix) = connector(Lifetimes::new(ms(300), Duration::ZERO));
    c.set(&thing("a", &["a1"], 1)).await.expect("set");
    let ttl = pttl(&format!("{prefix}:things:o:a")).await;
    assert!(
        (1..=300).contains(&ttl),
        "the object expires natively, PTTL {ttl}"
    );
    assert!(get(&c, ThingIndex::Alias, "a1").await.is_some());
    tokio::time::sleep(ms(450)).await;
    assert_eq!(get(&c, ThingIndex::Id, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, None);
    assert!(keys_under(&prefix).await.is_empty());
}

#[tokio::test]
async fn given_last_usage_when_read_within_it_then_it_slides_under_every_index() {
    let (c, prefix) = connector(Lifetimes::new(Duration::ZERO, ms(400)));
    c.set(&thing("a", &["a1"], 1)).await.expect("set");
    // Read through the id only, past the first 400ms.
    for _ in 0..5 {
        tokio::time::sleep(ms(120)).await;
        assert!(get(&c, ThingIndex::Id, "a").await.is_some());
    }
    // The alias was extended along with the object.
    assert!(get(&c, ThingIndex::Alias, "a1").await.is_some());
    tokio::time::sleep(ms(600)).await;
    assert_eq!(get(&c, ThingIndex::Id, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, None);
    assert!(keys_under(&prefix).await.is_empty());
}

#[tokio::test]
async fn given_both_limits_when_read_often_then_max_age_still_ends_it() {
    let (c, prefix) = connector(Lifetimes::new(ms(600), ms(400)));
    c.set(&thing("a", &["a1"], 1)).await.expect("set");
    let ttl = pttl(&format!("{prefix}:things:o:a")).await;
    assert!(
        (1..=400).contains(&ttl),
        "the set's TTL is the shorter LastUsage, PTTL {ttl}"
    );
    tokio::time::sleep(ms(350)).await;
    assert!(get(&c, ThingIndex::Alias, "a1").await.is_some());
    // MaxAge leaves at most 250ms, less than a full LastUsage.
    let ttl = pttl(&format!("{prefix}:things:i:alias:a1")).await;
    assert!(
        (1..=250).contains(&ttl),
        "a hit extends to what MaxAge leaves, PTTL {ttl}"
    );
    tokio::time::sleep(ms(400)).await;
    assert_eq!(get(&c, ThingIndex::Id, "a").await, None);
    assert!(keys_under(&prefix).await.is_empty());
}

#[tokio::test]
async fn given_an_object_when_invalidated_through_a_secondary_index_then_it_is_gone_everywhere() {
    let (c, prefix) = connector(Lifetimes::default());
    c.set(&thing("a", &["a1", "a2"], 1)).await.expect("set a");
    let b = thing("b", &["b1"], 1);
    c.set(&b).await.expect("set b");
    c.invalidate(ThingIndex::Alias, &keys(&["a2", "unknown"]))
        .await
        .expect("invalidate");
    assert_eq!(get(&c, ThingIndex::Id, "a").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a2").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "b1").await, Some(b));
    let base = format!("{prefix}:things");
    assert_eq!(
        keys_under(&prefix).await,
        [
            format!("{base}:i:alias:b1"),
            format!("{base}:i:id:b"),
            format!("{base}:o:b")
        ]
    );
    c.invalidate(ThingIndex::Alias, &[])
        .await
        .expect("nothing to invalidate");
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_an_object_when_one_key_is_deleted_then_only_that_key_misses() {
    let (c, _prefix) = connector(Lifetimes::default());
    let a = thing("a", &["a1", "a2"], 1);
    c.set(&a).await.expect("set");
    c.delete(ThingIndex::Alias, &keys(&["a1"]))
        .await
        .expect("delete");
    assert_eq!(get(&c, ThingIndex::Alias, "a1").await, None);
    assert_eq!(get(&c, ThingIndex::Alias, "a2").await, Some(a.clone()));
    assert_eq!(get(&c, ThingIndex::Id, "a").await, Some(a));
    c.delete(ThingIndex::Alias, &[])
        .await
        .expect("nothing to delete");
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_two_caches_when_one_is_truncated_then_only_its_keys_are_gone() {
    let prefix = unique_prefix();
    let config = local_test_config(&prefix);
    let client = Arc::new(RedisClient::new(&config).expect("the test address parses"));
    let things: RedisConnector<Thing> = RedisConnector::new(
        client.clone(),
        "things",
        Lifetimes::default(),
        CacheLog::off(),
    );
    let others: RedisConnector<Thing> =
        RedisConnector::new(client, "things2", Lifetimes::default(), CacheLog::off());
    for i in 0..50 {
        things
            .set(&thing(&format!("t{i}"), &[&format!("alias{i}")], 1))
            .await
            .expect("set");
    }
    let other = thing("o", &["o1"], 1);
    others.set(&other).await.expect("set other");
    things.truncate().await.expect("truncate");
    assert_eq!(get(&things, ThingIndex::Id, "t0").await, None);
    assert_eq!(get(&things, ThingIndex::Alias, "alias49").await, None);
    assert_eq!(get(&others, ThingIndex::Alias, "o1").await, Some(other));
    assert_eq!(
        keys_under(&format!("{prefix}:things")).await,
        Vec::<String>::new()
    );
    assert_eq!(keys_under(&format!("{prefix}:things2")).await.len(), 3);
    assert_eq!(things.prune().await.expect("prune"), 0);
    others.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_a_database_number_when_set_then_the_keys_are_in_that_database() {
    let prefix = unique_prefix();
    let config = RedisConfig {
        db: 3,
        ..local_test_config(&prefix)
    };
    let c = connector_with(&config, Lifetimes::default());
    c.set(&thing("a", &[], 1)).await.expect("set");
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("{prefix}:things:o:a"))
        .query_async(&mut raw(3).await)
        .await
        .expect("EXISTS works");
    assert!(exists);
    assert!(
        keys_under(&prefix).await.is_empty(),
        "nothing in database 0"
    );
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_many_concurrent_requests_when_served_by_the_pool_then_all_succeed() {
    let (c, _prefix) = connector(Lifetimes::new(
        Duration::from_secs(60),
        Duration::from_secs(60),
    ));
    let c = Arc::new(c);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let t = thing(&format!("t{i}"), &[&format!("a{i}")], i);
            c.set(&t).await.expect("set");
            assert_eq!(get(&c, ThingIndex::Alias, &format!("a{i}")).await, Some(t));
        }));
    }
    for task in tasks {
        task.await.expect("no task panics");
    }
    assert_eq!(c.client.breaker_state(), BreakerState::Closed);
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_an_undecodable_record_when_got_then_it_is_a_decode_error() {
    let (c, prefix) = connector(Lifetimes::default());
    c.set(&thing("a", &[], 1)).await.expect("set");
    let _: () = redis::cmd("HSET")
        .arg(format!("{prefix}:things:o:a"))
        .arg("v")
        .arg("{not json")
        .query_async(&mut raw(0).await)
        .await
        .expect("HSET works");
    let result = c.get(ThingIndex::Id, "a").await;
    assert!(matches!(result, Err(CacheError::Decode(_))), "{result:?}");
    // A decode error is not Redis failing.
    assert_eq!(c.client.breaker_state(), BreakerState::Closed);
    c.truncate().await.expect("truncate");
}

#[tokio::test]
async fn given_no_redis_listening_when_requests_fail_then_the_breaker_opens_and_fails_fast() {
    let mut config = local_test_config(&unique_prefix());
    config.addr = "127.0.0.1:1".to_owned();
    config.circuit_breaker.max_consecutive_failures = 2;
    config.circuit_breaker.max_failure_ratio = crate::config::Ratio(0.0);
    config.circuit_breaker.timeout = ms(300);
    // Creating the client does not connect.
    let c = connector_with(&config, Lifetimes::default());
    assert_eq!(c.client.breaker_state(), BreakerState::Closed);
    for _ in 0..2 {
        let result = c.get(ThingIndex::Id, "a").await;
        assert!(
            matches!(&result, Err(CacheError::Redis(m)) if m.contains("127.0.0.1:1")),
            "{result:?}"
        );
    }
    assert_eq!(c.client.breaker_state(), BreakerState::Open);
    // Open: every operation fails at once, without connecting.
    let started = std::time::Instant::now();
    assert!(matches!(
        c.set(&thing("a", &[], 1)).await,
        Err(CacheError::BreakerOpen)
    ));
    assert!(matches!(
        c.get(ThingIndex::Id, "a").await,
        Err(CacheError::BreakerOpen)
    ));
    assert!(matches!(
        c.invalidate(ThingIndex::Id, &keys(&["a"])).await,
        Err(CacheError::BreakerOpen)
    ));
    assert!(matches!(
        c.delete(ThingIndex::Id, &keys(&["a"])).await,
        Err(CacheError::BreakerOpen)
    ));
    assert!(matches!(c.truncate().await, Err(CacheError::BreakerOpen)));
    assert!(started.elapsed() < ms(100));
    // After Timeout it half-opens; the probe fails, so it opens again.
    tokio::time::sleep(ms(350)).await;
    assert_eq!(c.client.breaker_state(), BreakerState::HalfOpen);
    assert!(matches!(
        c.get(ThingIndex::Id, "a").await,
        Err(CacheError::Redis(_))
    ));
    assert_eq!(c.client.breaker_state(), BreakerState::Open);
}

#[tokio::test]
async fn given_a_half_open_breaker_when_redis_answers_then_it_closes() {
    let prefix = unique_prefix();
    let mut config = local_test_config(&prefix);
    config.circuit_breaker.max_consecutive_failures = 1;
    config.circuit_breaker.timeout = ms(200);
    let c = connector_with(&config, Lifetimes::default());
    // A record of the wrong type makes the read script fail in Redis.
    let object = format!("{prefix}:things:o:a");
    let mut connection = raw(0).await;
    let _: () = redis::pipe()
        .cmd("SET")
        .arg(format!("{prefix}:things:i:id:a"))
        .arg("a")
        .cmd("RPUSH")
        .arg(&object)
        .arg("not a hash")
        .query_async(&mut connection)
        .await
        .expect("the test keys are written");
    let result = c.get(ThingIndex::Id, "a").await;
    assert!(
        matches!(&result, Err(CacheError::Redis(m)) if m.contains("WRONGTYPE")),
        "{result:?}"
    );
    assert_eq!(c.client.breaker_state(), BreakerState::Open);
    assert!(matches!(
        c.get(ThingIndex::Id, "a").await,
        Err(CacheError::BreakerOpen)
    ));
    // Repaired while open; after Timeout the probe succeeds and closes it.
    let _: () = redis::cmd("DEL")
        .arg(&object)
        .query_async(&mut connection)
        .await
        .expect("DEL works");
    tokio::time::sleep(ms(300)).await;
    assert_eq!(c.client.breaker_state(), BreakerState::HalfOpen);
    let a = thing("a", &[], 1);
    c.set(&a).await.expect("the probe succeeds");
    assert_eq!(c.client.breaker_state(), BreakerState::Closed);
    assert_eq!(get(&c, ThingIndex::Id, "a").await, Some(a));
    c.truncate().await.expect("truncate");
}

#[test]
fn given_addresses_when_parsed_then_only_host_and_port_are_accepted() {
    assert_eq!(
        parse_addr("localhost:6379"),
        Ok(("localhost".to_owned(), 6379))
    );
    assert_eq!(
        parse_addr("10.0.0.1:7000"),
        Ok(("10.0.0.1".to_owned(), 7000))
    );
    assert_eq!(parse_addr("[::1]:6379"), Ok(("::1".to_owned(), 6379)));
    for bad in [
        "localhost",
        "localhost:",
        ":6379",
        "localhost:abc",
        "localhost:70000",
        "::1:6379",
        "redis://x:1",
        "h:0",
    ] {
        let error = parse_addr(bad).expect_err(bad);
        assert!(error.contains("is not host:port"), "{error}");
    }
}

#[test]
fn given_a_bad_addr_when_the_client_is_made_then_it_is_refused_with_a_clear_message() {
    let mut config = local_test_config("x");
    config.addr = "localhost".to_owned();
    let error = RedisClient::new(&config).err().expect("refused");
    assert!(error.contains("\"localhost\" is not host:port"), "{error}");
}
