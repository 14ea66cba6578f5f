//! The Redis connector: objects in one Redis server (simple mode, no
//! cluster or sentinel), shared by every node, expiring natively, behind a
//! [circuit breaker](breaker) shared by all caches on the server.
//!
//! ## Keys
//!
//! With `base` = `{KeyPrefix}:{cache}` (just `{cache}` when the prefix is
//! empty):
//!
//! - `{base}:o:{id}`: the object, a hash of `v` (its JSON), `t` (when it was
//!   set, in milliseconds of the Redis server's clock) and `k` (the JSON
//!   list of its index keys);
//! - `{base}:i:{index}:{key}`: for each key of each index (the identity
//!   included), the object's id.
//!
//! Setting, reading and invalidating are each one Lua script, so they are
//! atomic: a set writes the object and all its index keys and removes the
//! index keys of its previous version that the new one lacks; an
//! invalidation through any index key removes the object and all its index
//! keys. An index key is only removed on an object's behalf while it still
//! points at that object (another object may have taken it over since).
//! The scripts reach keys they did not declare (found in the records),
//! which Redis allows in simple mode.
//!
//! ## Expiry
//!
//! Every key of an object expires (`PEXPIRE`) after
//! [`Lifetimes::remaining`]: at a set, the shorter of `MaxAge` and
//! `LastUsage`; at each hit with `LastUsage`, the read script extends the
//! object and its index keys to the shorter of a full `LastUsage` and what
//! `MaxAge` leaves since `t` (both measured on the server's `TIME`, so
//! nodes' clocks do not matter). Without either limit nothing expires.
//! Hence [`Connector::prune`] has nothing to do.
//!
//! ## Connections
//!
//! [`RedisClient`] connects lazily: a Redis down at start-up only fails (and
//! soon opens the breaker for) the requests that try it. It keeps
//! `PoolSize` multiplexed connections, used in turn; a connection that
//! failed at the transport level (or timed out) is dropped and the next
//! request on its slot reconnects. `DialTimeout` bounds connecting
//! (handshake included), `ReadTimeout` each answer; `0s` means no limit.

mod breaker;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, IntoConnectionInfo, RedisConnectionInfo, RedisError, Script};

use super::{CacheError, CacheLog, Connector, Index, Lifetimes, Object};
use crate::config::RedisConfig;
pub use breaker::BreakerState;
use breaker::{Outcome, SharedBreaker, Ticket};

/// Keys asked for per `SCAN` step of a truncation.
const SCAN_COUNT: u32 = 1000;

/// Stores an object. KEYS[1]: its object key; KEYS[2..]: all its index
/// keys. ARGV[1]: its id; ARGV[2]: its JSON; ARGV[3]: the TTL in ms (0: none).
const SET: &str = r"
local id, ttl = ARGV[1], tonumber(ARGV[3])
local keep, keys = {}, {}
for i = 2, #KEYS do
  keep[KEYS[i]] = true
  keys[#keys + 1] = KEYS[i]
end
local old = redis.call('HGET', KEYS[1], 'k')
if old then
  for _, key in ipairs(cjson.decode(old)) do
    if not keep[key] and redis.call('GET', key) == id then
      redis.call('DEL', key)
    end
  end
end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 't', now_ms, 'k', cjson.encode(keys))
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
for i = 2, #KEYS do
  if ttl > 0 then
    redis.call('SET', KEYS[i], id, 'PX', ttl)
  else
    redis.call('SET', KEYS[i], id)
  end
end
return 1
";

/// Reads an object, and counts the read as a use. KEYS[1]: the index key.
/// ARGV[1]: the object keys' prefix (`{base}:o:`); ARGV[2]: `MaxAge` in ms
/// (0: none); ARGV[3]: `LastUsage` in ms (0: none). Returns the JSON or nil.
const GET: &str = r"
local id = redis.call('GET', KEYS[1])
if not id then
  return false
end
local object = ARGV[1] .. id
local record = redis.call('HMGET', object, 'v', 't', 'k')
if not record[1] then
  -- The key outlived its object: it points nowhere.
  redis.call('DEL', KEYS[1])
  return false
end
local max_age, last_usage = tonumber(ARGV[2]), tonumber(ARGV[3])
if last_usage > 0 then
  local ttl = last_usage
  if max_age > 0 then
    local now = redis.call('TIME')
    local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
    local left = max_age - (now_ms - tonumber(record[2]))
    if left <= 0 then
      return false
    end
    if left < ttl then
      ttl = left
    end
  end
  redis.call('PEXPIRE', object, ttl)
  for _, key in ipairs(cjson.decode(record[3])) do
    if redis.call('GET', key) == id then
      redis.call('PEXPIRE', key, ttl)
    end
  end
end
return record[1]
";

/// Removes the objects found under index keys, with all their index keys.
/// KEYS: the index keys; ARGV[1]: the object keys' prefix. Returns how
/// many objects it removed.
const INVALIDATE: &str = r"
local removed = 0
for i = 1, #KEYS do
  local id = redis.call('GET', KEYS[i])
  if id then
    local object = ARGV[1] .. id
    local keys = redis.call('HGET', object, 'k')
    if keys then
      for _, key in ipairs(cjson.decode(keys)) do
        if redis.call('GET', key) == id then
          redis.call('DEL', key)
        end
      end
    end
    removed = removed + redis.call('DEL', object)
    redis.call('DEL', KEYS[i])
  end
end
return removed
";

/// The scripts, hashed once.
struct Scripts {
    set: Script,
    get: Script,
    invalidate: Script,
}

static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    set: Script::new(SET),
    get: Script::new(GET),
    invalidate: Script::new(INVALIDATE),
});

/// One pooled connection, made on first use and remade after a failure.
struct Slot {
    /// The connection and its number (so a failure only drops the
    /// connection it happened on, not a newer one).
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// Held while connecting, so a slot makes one connection at a time.
    connecting: tokio::sync::Mutex<()>,
}

/// The connections to the one Redis server and its circuit breaker, shared
/// by every cache that uses Redis.
pub struct RedisClient {
    client: redis::Client,
    connection: AsyncConnectionConfig,
    addr: String,
    key_prefix: String,
    read_timeout: Option<Duration>,
    slots: Box<[Slot]>,
    /// The slot the next request uses.
    next_slot: AtomicUsize,
    /// Numbers the connections made.
    connections_made: AtomicU64,
    breaker: SharedBreaker,
}

impl RedisClient {
    /// A client for `config`. It does not connect: the first request does,
    /// so a Redis that is down at start-up does not stop the server.
    ///
    /// # Errors
    /// A message when `Addr` is not `host:port`.
    pub fn new(config: &RedisConfig) -> Result<Self, String> {
        let (host, port) = parse_addr(&config.addr)?;
        let mut redis = RedisConnectionInfo::default().set_db(config.db);
        if !config.username.is_empty() {
            redis = redis.set_username(&config.username);
        }
        if !config.password.is_empty() {
            redis = redis.set_password(&config.password);
        }
        let info = (host, port)
            .into_connection_info()
            .map_err(|e| format!("Addr {:?}: {e}", config.addr))?
            .set_redis_settings(redis);
        let client =
            redis::Client::open(info).map_err(|e| format!("Addr {:?}: {e}", config.addr))?;
        let limit = |d: Duration| (!d.is_zero()).then_some(d);
        let read_timeout = limit(config.read_timeout);
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(limit(config.dial_timeout))
            .set_response_timeout(read_timeout);
        let slots = (0..config.pool_size.max(1))
            .map(|_| Slot {
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
            })
            .collect();
        Ok(Self {
            client,
            connection,
            addr: config.addr.clone(),
            key_prefix: config.key_prefix.clone(),
            read_timeout,
            slots,
            next_slot: AtomicUsize::new(0),
            connections_made: AtomicU64::new(0),
            breaker: SharedBreaker::new(&config.circuit_breaker),
        })
    }

    /// Where the circuit breaker stands now.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// The start of every key of cache `cache`: `{KeyPrefix}:{cache}`.
    fn base(&self, cache: &str) -> String {
        if self.key_prefix.is_empty() {
            cache.to_owned()
        } else {
            format!("{}:{cache}", self.key_prefix)
        }
    }

    /// Runs `operation` on a pooled connection, through the breaker: fails
    /// fast while it is open, and counts the outcome.
    async fn run<T, F, Fut>(&self, operation: F) -> Result<T, CacheError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let ticket = self.breaker.admit().ok_or(CacheError::BreakerOpen)?;
        let attempt = Attempt {
            breaker: &self.breaker,
            ticket: Some(ticket),
        };
        let slot = &self.slots[self.next_slot.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let (number, connection) = match self.connection(slot).await {
            Ok(connection) => connection,
            Err(error) => {
                attempt.finish(Outcome::Failure);
                return Err(CacheError::Redis(format!(
                    "connecting to {}: {error}",
                    self.addr
                )));
            }
        };
        match operation(connection).await {
            Ok(value) => {
                attempt.finish(Outcome::Success);
                Ok(value)
            }
            Err(error) => {
                if broken(&error) {
                    let mut current = slot.current.lock().unwrap_or_else(PoisonError::into_inner);
                    if current.as_ref().is_some_and(|(n, _)| *n == number) {
                        *current = None;
                    }
                }
                attempt.finish(Outcome::Failure);
                Err(self.failure(&error))
            }
        }
    }

    /// The slot's connection, made now if it has none.
    async fn connection(&self, slot: &Slot) -> Result<(u64, MultiplexedConnection), RedisError> {
        let cached = || {
            slot.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        if let Some(connection) = cached() {
            return Ok(connection);
        }
        let _connecting = slot.connecting.lock().await;
        // Another request may have connected while this one waited.
        if let Some(connection) = cached() {
            return Ok(connection);
        }
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&self.connection)
            .await?;
        let number = self.connections_made.fetch_add(1, Ordering::Relaxed);
        let made = (number, connection);
        *slot.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(made.clone());
        Ok(made)
    }

    /// `error` of a request, as the caches report it.
    fn failure(&self, error: &RedisError) -> CacheError {
        match self.read_timeout {
            Some(limit) if error.is_timeout() => {
                CacheError::Redis(format!("no answer within ReadTimeout ({limit:?}): {error}"))
            }
            _ => CacheError::Redis(error.to_string()),
        }
    }
}

/// A configuration for tests against the Redis on `127.0.0.1:6379` (start
/// one with `redis-server --daemonize yes`), with every key under
/// `key_prefix`: a unique prefix per test lets tests run in parallel.
#[cfg(test)]
pub(crate) fn local_test_config(key_prefix: &str) -> RedisConfig {
    use crate::config::{CircuitBreakerConfig, Ratio};
    RedisConfig {
        enabled: true,
        addr: "127.0.0.1:6379".to_owned(),
        username: String::new(),
        password: String::new(),
        db: 0,
        key_prefix: key_prefix.to_owned(),
        pool_size: 2,
        dial_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_secs(2),
        circuit_breaker: CircuitBreakerConfig {
            interval: Duration::ZERO,
            max_consecutive_failures: 5,
            max_failure_ratio: Ratio(0.1),
            timeout: Duration::from_secs(60),
            max_retry_requests: 1,
        },
    }
}

/// Whether `error` leaves its connection unusable (transport failure or
/// timeout): it is dropped, and the slot reconnects on its next use.
fn broken(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
}

/// A request let through by the breaker; if dropped before it finished (its
/// caller gave up), it is recorded as abandoned.
struct Attempt<'a> {
    breaker: &'a SharedBreaker,
    ticket: Option<Ticket>,
}

impl Attempt<'_> {
    fn finish(mut self, outcome: Outcome) {
        if let Some(ticket) = self.ticket.take() {
            self.breaker.record(ticket, outcome);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.breaker.record(ticket, Outcome::Abandoned);
        }
    }
}

/// `Addr` as host and port: `host:port`, or `[ipv6]:port`.
fn parse_addr(addr: &str) -> Result<(String, u16), String> {
    let invalid = |why: &str| {
        format!("Addr {addr:?} is not host:port (such as localhost:6379 or [::1]:6379): {why}")
    };
    let (host, port) = addr
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| invalid("no port"))?;
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed
            .strip_suffix(']')
            .ok_or_else(|| invalid("an unclosed '['"))?,
        None if host.contains(':') => return Err(invalid("write an IPv6 address in brackets")),
        None => host,
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    if host.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err(invalid("the host is not a name or an address"));
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid("the port is not a number from 1 to 65535"))?;
    Ok((host.to_owned(), port))
}

/// `text` with the glob characters of `SCAN MATCH` escaped.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A duration in whole milliseconds for Redis, at least 1 (0 would mean
/// "no limit" to the scripts).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Objects of one cache in Redis.
pub struct RedisConnector<V> {
    client: Arc<RedisClient>,
    cache: &'static str,
    lifetimes: Lifetimes,
    log: CacheLog,
    /// `{KeyPrefix}:{cache}`.
    base: String,
    _object: PhantomData<fn() -> V>,
}

impl<V: Object> RedisConnector<V> {
    /// The cache `name` on `client`'s Redis, keeping objects for
    /// `lifetimes`; `log` is the cache's own log.
    pub fn new(
        client: Arc<RedisClient>,
        name: &'static str,
        lifetimes: Lifetimes,
        log: CacheLog,
    ) -> Self {
        let base = client.base(name);
        Self {
            client,
            cache: name,
            lifetimes,
            log,
            base,
            _object: PhantomData,
        }
    }

    fn object_prefix(&self) -> String {
        format!("{}:o:", self.base)
    }

    fn index_key(&self, index: V::Index, key: &str) -> String {
        format!("{}:i:{}:{key}", self.base, index.name())
    }
}

#[async_trait]
impl<V: Object> Connector<V> for RedisConnector<V> {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, index: V::Index, key: &str) -> Result<Option<V>, CacheError> {
        let index_key = self.index_key(index, key);
        let object_prefix = self.object_prefix();
        let ms = |limit: Option<Duration>| limit.map_or(0, millis);
        let (max_age, last_usage) = (ms(self.lifetimes.max_age), ms(self.lifetimes.last_usage));
        let found: Option<String> = self
            .client
            .run(|mut connection| async move {
                SCRIPTS
                    .get
                    .key(index_key)
                    .arg(object_prefix)
                    .arg(max_age)
                    .arg(last_usage)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        found
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(CacheError::from)
    }

    async fn set(&self, value: &V) -> Result<(), CacheError> {
        let id = value.id();
        let json = serde_json::to_string(value)?;
        let object_key = format!("{}{id}", self.object_prefix());
        let mut index_keys = Vec::new();
        for index in V::Index::ALL {
            for key in value.keys(*index) {
                index_keys.push(self.index_key(*index, &key));
            }
        }
        let ttl = self.lifetimes.remaining(Duration::ZERO).map_or(0, millis);
        self.client
            .run(|mut connection| async move {
                SCRIPTS
                    .set
                    .key(object_key)
                    .key(index_keys)
                    .arg(id)
                    .arg(json)
                    .arg(ttl)
                    .invoke_async::<()>(&mut connection)
                    .await
            })
            .await
    }

    async fn invalidate(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let index_keys: Vec<String> = keys.iter().map(|k| self.index_key(index, k)).collect();
        let object_prefix = self.object_prefix();
        let removed: u64 = self
            .client
            .run(|mut connection| async move {
                SCRIPTS
                    .invalidate
                    .key(index_keys)
                    .arg(object_prefix)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        self.log.trace(self.cache, || {
            format!("redis: invalidation removed {removed} object(s)")
        });
        Ok(())
    }

    async fn delete(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let index_keys: Vec<String> = keys.iter().map(|k| self.index_key(index, k)).collect();
        self.client
            .run(|mut connection| async move {
                redis::cmd("UNLINK")
                    .arg(index_keys)
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await
    }

    async fn truncate(&self) -> Result<(), CacheError> {
        let pattern = format!("{}:*", glob_escape(&self.base));
        let removed = self
            .client
            .run(|mut connection| async move {
                let mut cursor: u64 = 0;
                let mut removed: u64 = 0;
                loop {
                    let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT)
                        .query_async(&mut connection)
                        .await?;
                    if !keys.is_empty() {
                        let unlinked: u64 = redis::cmd("UNLINK")
                            .arg(keys)
                            .query_async(&mut connection)
                            .await?;
                        removed += unlinked;
                    }
                    if next == 0 {
                        return Ok(removed);
                    }
                    cursor = next;
                }
            })
            .await?;
        self.log.debug(self.cache, || {
            format!("redis: truncation removed {removed} key(s)")
        });
        Ok(())
    }

    async fn prune(&self) -> Result<u64, CacheError> {
        // Keys expire natively.
        Ok(0)
    }
}
