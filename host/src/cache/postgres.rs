//! The PostgreSQL connector: objects in the unlogged tables of the `cache`
//! schema (`migrations/postgres/0005_cache.sql`), shared by every node and
//! reusing the database's pool. Unlogged tables skip the WAL; a database
//! crash empties them, which a cache can afford. Expired objects are read as
//! misses and removed by the pruner.

use std::marker::PhantomData;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::types::Json;

use super::{CacheError, Connector, Index, Lifetimes, Object};

/// Objects of one cache in PostgreSQL.
pub struct PgConnector<V> {
    pool: PgPool,
    cache: &'static str,
    /// `MaxAge` and `LastUsage` in seconds, as the queries compare them.
    max_age: Option<f64>,
    last_usage: Option<f64>,
    /// The statement of [`Connector::get`], built once.
    get_sql: String,
    _object: PhantomData<fn() -> V>,
}

impl<V: Object> PgConnector<V> {
    /// The cache `cache` in the `cache` schema reached through `pool`.
    pub fn new(pool: PgPool, cache: &'static str, lifetimes: Lifetimes) -> Self {
        Self {
            pool,
            cache,
            max_age: lifetimes.max_age.map(|d| d.as_secs_f64()),
            last_usage: lifetimes.last_usage.map(|d| d.as_secs_f64()),
            get_sql: get_sql(),
            _object: PhantomData,
        }
    }
}

/// The freshness condition on `o` (an alias of `cache.objects`), with
/// `MaxAge` in parameter `$max_age` and `LastUsage` in `$last_usage`
/// (seconds, NULL for no limit).
fn fresh(max_age: u8, last_usage: u8) -> String {
    format!(
        "(${max_age}::float8 IS NULL OR o.set_at > now() - make_interval(secs => ${max_age})) \
         AND (${last_usage}::float8 IS NULL \
              OR o.used_at > now() - make_interval(secs => ${last_usage}))"
    )
}

/// One read by key: the object if fresh (`$1` cache, `$2` index, `$3` key,
/// `$4` MaxAge, `$5` LastUsage). A read is a use: it moves `used_at` when
/// `LastUsage` is set, at most every tenth of it, so most hits write
/// nothing.
fn get_sql() -> String {
    format!(
        "WITH hit AS ( \
             SELECT o.id, o.payload, o.used_at FROM cache.keys k JOIN cache.objects o \
             ON o.cache = k.cache AND o.id = k.object_id \
             WHERE k.cache = $1 AND k.index_name = $2 AND k.key = $3 AND {} \
         ), touched AS ( \
             UPDATE cache.objects o SET used_at = now() FROM hit \
             WHERE $5::float8 IS NOT NULL AND o.cache = $1 AND o.id = hit.id \
             AND hit.used_at < now() - make_interval(secs => $5 / 10) \
         ) \
         SELECT payload::text FROM hit",
        fresh(4, 5)
    )
}

#[async_trait]
impl<V: Object> Connector<V> for PgConnector<V> {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn get(&self, index: V::Index, key: &str) -> Result<Option<V>, CacheError> {
        let row: Option<(String,)> = sqlx::query_as(&self.get_sql)
            .bind(self.cache)
            .bind(index.name())
            .bind(key)
            .bind(self.max_age)
            .bind(self.last_usage)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(text,)| serde_json::from_str(&text)).transpose()?)
    }

    async fn set(&self, value: &V) -> Result<(), CacheError> {
        let id = value.id();
        let (mut indexes, mut keys) = (Vec::new(), Vec::new());
        for index in V::Index::ALL {
            for key in value.keys(*index) {
                indexes.push(index.name());
                keys.push(key);
            }
        }
        // One statement: the object, its keys (taken over from whatever they
        // pointed at), and none of its previous version's other keys.
        sqlx::query(
            "WITH object AS ( \
                 INSERT INTO cache.objects (cache, id, payload, set_at, used_at) \
                 VALUES ($1, $2, $3, now(), now()) \
                 ON CONFLICT (cache, id) DO UPDATE \
                 SET payload = EXCLUDED.payload, set_at = now(), used_at = now() \
                 RETURNING id \
             ), new_keys AS ( \
                 SELECT * FROM unnest($4::text[], $5::text[]) AS t(index_name, key) \
             ), old_keys AS ( \
                 DELETE FROM cache.keys k WHERE k.cache = $1 AND k.object_id = $2 \
                 AND (k.index_name, k.key) NOT IN (SELECT index_name, key FROM new_keys) \
             ) \
             INSERT INTO cache.keys (cache, index_name, key, object_id) \
             SELECT $1, n.index_name, n.key, (SELECT id FROM object) FROM new_keys n \
             ON CONFLICT (cache, index_name, key) DO UPDATE SET object_id = EXCLUDED.object_id",
        )
        .bind(self.cache)
        .bind(&id)
        .bind(Json(value))
        .bind(&indexes)
        .bind(&keys)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invalidate(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        sqlx::query(
            "DELETE FROM cache.objects o USING cache.keys k \
             WHERE k.cache = $1 AND k.index_name = $2 AND k.key = ANY($3) \
             AND o.cache = k.cache AND o.id = k.object_id",
        )
        .bind(self.cache)
        .bind(index.name())
        .bind(keys)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete(&self, index: V::Index, keys: &[String]) -> Result<(), CacheError> {
        sqlx::query(
            "DELETE FROM cache.keys WHERE cache = $1 AND index_name = $2 AND key = ANY($3)",
        )
        .bind(self.cache)
        .bind(index.name())
        .bind(keys)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn truncate(&self) -> Result<(), CacheError> {
        sqlx::query("DELETE FROM cache.objects WHERE cache = $1")
            .bind(self.cache)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prune(&self) -> Result<u64, CacheError> {
        if self.max_age.is_none() && self.last_usage.is_none() {
            return Ok(0);
        }
        let done = sqlx::query(&format!(
            "DELETE FROM cache.objects o WHERE o.cache = $1 AND NOT ({})",
            fresh(2, 3)
        ))
        .bind(self.cache)
        .bind(self.max_age)
        .bind(self.last_usage)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
