//! Generations: a projection's sets of physical tables, their lifecycle
//! (building → serving → retired) and their positions.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{ColumnIndex, Decode, Executor, Row, Type};

use super::ReadStore;
use super::error::ReadModelError;
use super::schema::{self, Dialect};
use crate::eventstore::Position;
use crate::plugins::types::Table;

/// Where a generation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GenerationStatus {
    /// Being rebuilt from position 0 while an older generation serves.
    Building,
    /// What queries read. At most one per projection.
    Serving,
    /// Switched away from; its tables are dropped, its row kept for history.
    Retired,
}

impl GenerationStatus {
    /// The status as stored.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            GenerationStatus::Building => "building",
            GenerationStatus::Serving => "serving",
            GenerationStatus::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Result<Self, sqlx::Error> {
        match s {
            "building" => Ok(GenerationStatus::Building),
            "serving" => Ok(GenerationStatus::Serving),
            "retired" => Ok(GenerationStatus::Retired),
            other => Err(sqlx::Error::Decode(
                format!("unknown generation status {other:?}").into(),
            )),
        }
    }
}

/// One set of physical tables of a projection, built by one plugin version
/// from one table declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generation {
    /// The projection (plugin) name.
    pub projection: String,
    /// Counts up per projection from 1; never reused.
    pub number: i64,
    /// The plugin version building it.
    pub version: String,
    /// sha256 of the declaration's JSON.
    pub schema_hash: String,
    /// Where it stands (as loaded; the store may have moved on).
    pub status: GenerationStatus,
    /// The declaration its tables were created from; statements and queries
    /// are checked against it.
    pub tables: Vec<Table>,
    /// Events applied so far (skipped ones not counted; as loaded).
    pub events_applied: u64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it started serving, if it did.
    pub switched_at: Option<DateTime<Utc>>,
}

impl Generation {
    /// The database identifier of the logical table `table`:
    /// `rm_<projection with '-'→'_'>_<number>_<table>`.
    pub fn physical(&self, table: &str) -> String {
        schema::physical(&self.projection, self.number, table)
    }

    /// The declaration of the logical table `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// Columns of `projection_generations` that [`from_row`] decodes.
const SELECT: &str = "SELECT projection, generation, version, schema_hash, status, tables, \
     events_applied, created_at, switched_at FROM projection_generations";

/// The ones still in use (not retired), by number.
const SELECT_LIVE: &str = "SELECT projection, generation, version, schema_hash, status, tables, \
     events_applied, created_at, switched_at FROM projection_generations \
     WHERE projection = $1 AND status <> 'retired' ORDER BY generation";

/// Serializes generation changes of one projection across PostgreSQL nodes.
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('rampart.projection.' || $1))";

/// Which generations a switch to generation `$2` retires: the serving one,
/// and older ones still building (superseded by the newer version).
const SUPERSEDED: &str = "projection = $1 AND generation <> $2 \
     AND (status = 'serving' OR (status = 'building' AND generation < $2))";

impl ReadStore {
    /// The projection's generations still in use (building or serving), by
    /// number ascending.
    ///
    /// # Errors
    /// [`ReadModelError::Unavailable`] / [`ReadModelError::Database`].
    pub async fn generations(&self, projection: &str) -> Result<Vec<Generation>, ReadModelError> {
        on_pool!(self, reader, |pool, _dialect| {
            let rows = sqlx::query(SELECT_LIVE)
                .bind(projection)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
        })
    }

    /// The generation queries of `projection` read, if any.
    ///
    /// # Errors
    /// As [`ReadStore::generations`].
    pub async fn serving(&self, projection: &str) -> Result<Option<Generation>, ReadModelError> {
        let live = self.generations(projection).await?;
        Ok(live
            .into_iter()
            .find(|g| g.status == GenerationStatus::Serving))
    }

    /// The live generation of `projection` built by `version` from this very
    /// declaration, or a new one: the next number, its tables and indexes
    /// created, its position 0, serving when nothing of the projection serves
    /// yet and building otherwise. Safe when several nodes call it at once
    /// (PostgreSQL: a transaction-scoped advisory lock per projection; SQLite:
    /// the single writer).
    ///
    /// # Errors
    /// [`ReadModelError::NameTooLong`] when a physical table name would not
    /// fit PostgreSQL's identifiers; database errors.
    pub async fn begin_generation(
        &self,
        projection: &str,
        version: &str,
        tables: &[Table],
    ) -> Result<Generation, ReadModelError> {
        let hash = schema::schema_hash(tables);
        on_pool!(self, writer, |pool, dialect| {
            let mut tx = pool.begin().await?;
            if dialect == Dialect::Postgres {
                sqlx::query(PG_LOCK)
                    .bind(projection)
                    .execute(&mut *tx)
                    .await?;
            }
            let existing = sqlx::query(&format!(
                "{SELECT} WHERE projection = $1 AND status <> 'retired' \
                 AND version = $2 AND schema_hash = $3 ORDER BY generation DESC LIMIT 1"
            ))
            .bind(projection)
            .bind(version)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                let generation = from_row(&row)?;
                tx.commit().await?;
                return Ok(generation);
            }
            let (number, serving): (i64, bool) = sqlx::query_as(
                "SELECT COALESCE(MAX(generation), 0) + 1, \
                 EXISTS (SELECT 1 FROM projection_generations \
                         WHERE projection = $1 AND status = 'serving') \
                 FROM projection_generations WHERE projection = $1",
            )
            .bind(projection)
            .fetch_one(&mut *tx)
            .await?;
            schema::check_names(projection, number, tables)?;
            let now = Utc::now().trunc_subsecs(6);
            let generation = Generation {
                projection: projection.to_owned(),
                number,
                version: version.to_owned(),
                schema_hash: hash,
                status: if serving {
                    GenerationStatus::Building
                } else {
                    GenerationStatus::Serving
                },
                tables: tables.to_vec(),
                events_applied: 0,
                created_at: now,
                switched_at: (!serving).then_some(now),
            };
            let ddl = schema::create_tables(dialect, projection, number, tables);
            if !ddl.is_empty() {
                (&mut *tx).execute(sqlx::raw_sql(&ddl)).await?;
            }
            sqlx::query(
                "INSERT INTO projection_generations (projection, generation, version, \
                 schema_hash, status, tables, position_tx, position_index, events_applied, \
                 created_at, updated_at, switched_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $7, $8)",
            )
            .bind(projection)
            .bind(number)
            .bind(version)
            .bind(&generation.schema_hash)
            .bind(generation.status.as_str())
            .bind(Json(tables))
            .bind(now)
            .bind(generation.switched_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(generation)
        })
    }

    /// Makes `generation` the serving one: in one transaction it becomes
    /// serving and the previously serving one (and any older generation still
    /// building, now superseded) becomes retired. Then drops the retired
    /// generations' tables, best effort (a failure is logged; the tables are
    /// no longer read). Switching the serving generation again does nothing.
    ///
    /// # Errors
    /// [`ReadModelError::NotLive`] when `generation` is retired or unknown;
    /// database errors (nothing switched).
    pub async fn switch(&self, generation: &Generation) -> Result<(), ReadModelError> {
        let not_live = || ReadModelError::NotLive {
            projection: generation.projection.clone(),
            generation: generation.number,
        };
        let retired: Vec<(i64, Json<Vec<Table>>)> = on_pool!(self, writer, |pool, dialect| {
            let mut tx = pool.begin().await?;
            if dialect == Dialect::Postgres {
                sqlx::query(PG_LOCK)
                    .bind(&generation.projection)
                    .execute(&mut *tx)
                    .await?;
            }
            let status: Option<String> = sqlx::query_scalar(
                "SELECT status FROM projection_generations WHERE projection = $1 AND generation = $2",
            )
            .bind(&generation.projection)
            .bind(generation.number)
            .fetch_optional(&mut *tx)
            .await?;
            match status.as_deref() {
                None | Some("retired") => return Err(not_live()),
                Some("serving") => return Ok(()),
                _ => {}
            }
            let retired = sqlx::query_as(&format!(
                "SELECT generation, tables FROM projection_generations WHERE {SUPERSEDED}"
            ))
            .bind(&generation.projection)
            .bind(generation.number)
            .fetch_all(&mut *tx)
            .await?;
            let now = Utc::now();
            sqlx::query(&format!(
                "UPDATE projection_generations SET status = 'retired', updated_at = $3 \
                 WHERE {SUPERSEDED}"
            ))
            .bind(&generation.projection)
            .bind(generation.number)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE projection_generations SET status = 'serving', switched_at = $3, \
                 updated_at = $3 WHERE projection = $1 AND generation = $2",
            )
            .bind(&generation.projection)
            .bind(generation.number)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            retired
        });
        for (number, Json(tables)) in retired {
            self.drop_tables(&generation.projection, number, &tables)
                .await;
        }
        Ok(())
    }

    /// Drops a retired generation's tables; logs instead of failing.
    async fn drop_tables(&self, projection: &str, number: i64, tables: &[Table]) {
        let ddl = schema::drop_tables(projection, number, tables);
        if ddl.is_empty() {
            return;
        }
        let dropped: Result<(), sqlx::Error> = on_pool!(self, writer, |pool, _dialect| {
            pool.execute(sqlx::raw_sql(&ddl)).await.map(drop)
        });
        match dropped {
            Ok(()) => tracing::info!(
                projection,
                generation = number,
                "dropped the retired read-model tables"
            ),
            Err(error) => tracing::warn!(
                projection, generation = number, %error,
                "cannot drop the retired read-model tables; drop them by hand"
            ),
        }
    }

    /// The position of the last event `generation` applied (or skipped);
    /// [`Position::ZERO`] before the first.
    ///
    /// # Errors
    /// [`ReadModelError::NotLive`] when the generation does not exist;
    /// database errors.
    pub async fn position(&self, generation: &Generation) -> Result<Position, ReadModelError> {
        let found: Option<(i64, i32)> = on_pool!(self, reader, |pool, _dialect| {
            sqlx::query_as(
                "SELECT position_tx, position_index FROM projection_generations \
                 WHERE projection = $1 AND generation = $2",
            )
            .bind(&generation.projection)
            .bind(generation.number)
            .fetch_optional(pool)
            .await?
        });
        found
            .map(|(tx, index)| Position::new(tx, index))
            .ok_or_else(|| ReadModelError::NotLive {
                projection: generation.projection.clone(),
                generation: generation.number,
            })
    }
}

/// Decodes a row of [`SELECT`].
fn from_row<'r, R>(row: &'r R) -> Result<Generation, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Json<Vec<Table>>: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    let Json(tables) = row.try_get("tables")?;
    let events_applied: i64 = row.try_get("events_applied")?;
    Ok(Generation {
        projection: row.try_get("projection")?,
        number: row.try_get("generation")?,
        version: row.try_get("version")?,
        schema_hash: row.try_get("schema_hash")?,
        status: GenerationStatus::parse(&status)?,
        tables,
        events_applied: events_applied as u64,
        created_at: row.try_get("created_at")?,
        switched_at: row.try_get("switched_at")?,
    })
}
