//! # Query side
//!
//! Reads the read models the projection plugins fill, never the events
//! (except for the audit trail and the authorization reads below). Before reading, a query brings the
//! projection up to the newest event it depends on (seed 000, "Query Side"):
//!
//! - a read **by id** waits for the aggregate's latest event, so a client
//!   always reads its own writes;
//! - a **list** waits for the newest event of that aggregate type in the
//!   instance, so a list right after a write includes it too;
//! - both also wait for the newest events of the other aggregate types
//!   whose events change the table (`Resource::also_follows`: a project
//!   deactivated, a user removed, for authorizations).
//!
//! Where the newest events must be asked of the database (PostgreSQL), a
//! node that leads the projection reads the rows while it asks, and keeps
//! them when its spooler had already applied those events: one round trip
//! instead of two (`read_ahead`).
//!
//! Rows come back as JSON objects with camelCase keys, one key per column the
//! projection declared; filters and sorting accept any declared column.
//!
//! Authorization reads fold events instead, so they never lag behind a
//! write: members and memberships (`members`), personal access tokens
//! (`credentials`), OAuth clients (`clients`: applications, and machine
//! users by username, which the users read model resolves first), machine
//! and application keys (`keys`). So do instances (`instances`) and organizations
//! (`organizations`), read through their caches (seed 004): a miss folds
//! the aggregate's events, which are never behind; and the settings in
//! effect (`settings`), which live on them.

pub(crate) mod audit;
mod authorizations;
mod clients;
mod credentials;
mod error;
mod instances;
mod keys;
mod list;
mod members;
mod milestones;
mod organizations;
mod resource;
mod sessions;
mod settings;

#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod machine_client_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use audit::{AuditEvent, AuditPage};
pub use clients::{Client, MachineClient};
pub use credentials::{PatInfo, PatOwner, Subject};
pub use error::QueryError;
pub use keys::{KeyInfo, PublicKeyInfo};
pub use list::{ListParams, ListResult};
pub use members::{Member, Memberships};
pub use resource::{
    AUTHORIZATIONS, INSTANCE_DOMAINS, INSTANCES, ORG_DOMAINS, ORGS, PROJECT_APPS, PROJECT_GRANTS,
    PROJECT_ROLES, PROJECTS, Resource, SESSIONS, USER_METADATA, USERS,
};
pub use sessions::{SessionPage, SessionView};

use crate::cache::Caches;
use crate::eventstore::{AggregateRef, EventQuery, EventStore};
use crate::plugins::types::Value;
use crate::readmodel::{Filter, FilterOp, Generation, ListQuery, Page, Row};
use crate::spooler::Spoolers;

/// The query handlers.
#[derive(Clone)]
pub struct Queries {
    store: Arc<dyn EventStore>,
    spoolers: Arc<Spoolers>,
    caches: Arc<Caches>,
}

impl Queries {
    /// Queries over the read models `spoolers` keep, and `store` for the
    /// consistency checks and audit trails; every cache disabled.
    pub fn new(store: Arc<dyn EventStore>, spoolers: Arc<Spoolers>) -> Self {
        Self {
            store,
            spoolers,
            caches: Arc::new(Caches::disabled()),
        }
    }

    /// The same queries, reading instances and organizations through `caches`.
    pub fn with_caches(mut self, caches: Arc<Caches>) -> Self {
        self.caches = caches;
        self
    }

    /// The row of `resource` with `id` in `instance_id`, after its projection
    /// applied the aggregate's latest event. `None` when it does not exist
    /// (or was removed).
    ///
    /// # Errors
    /// [`QueryError`].
    pub async fn get(
        &self,
        resource: &Resource,
        instance_id: &str,
        id: &str,
    ) -> Result<Option<Row>, QueryError> {
        let aggregate = AggregateRef::new(instance_id, resource.aggregate_type, id);
        let latest = EventQuery::aggregate(&aggregate).descending().limit(1);
        let mut key = vec![("instance_id", Value::Text(instance_id.to_owned()))];
        if resource.id_column != "instance_id" {
            key.push((resource.id_column, Value::Text(id.to_owned())));
        }
        let readstore = self.spoolers.readstore();
        let mut newest = vec![latest.clone()];
        if !resource.also_follows.is_empty() {
            newest.push(Self::newest_of(resource.also_follows, Some(instance_id)));
        }
        let ahead = self.read_ahead(resource, &newest, |generation| {
            let key = &key;
            async move { Ok(readstore.get_row(&generation, resource.table, key).await?) }
        });
        if let Some(row) = ahead.await {
            return Ok(row.map(camel_case));
        }
        let Some(mut generation) = self.fresh(resource, latest).await? else {
            return Ok(None);
        };
        if let Some(also) = newest.get(1).cloned()
            && let Some(later) = self.fresh(resource, also).await?
        {
            generation = later;
        }
        let row = match readstore.get_row(&generation, resource.table, &key).await {
            Err(error) => match self.switched(resource, &generation).await {
                Some(current) => readstore.get_row(&current, resource.table, &key).await?,
                None => return Err(error.into()),
            },
            ok => ok?,
        };
        Ok(row.map(camel_case))
    }

    /// A page of `resource` rows in `instance_id` (every instance when
    /// `None`), filtered, sorted and paged by `params`.
    ///
    /// # Errors
    /// [`QueryError::InvalidArgument`] for an unknown filter or sort column,
    /// else as [`Queries::get`].
    pub async fn list(
        &self,
        resource: &Resource,
        instance_id: Option<&str>,
        params: &ListParams,
    ) -> Result<ListResult, QueryError> {
        let mut types = vec![resource.aggregate_type];
        types.extend(resource.also_follows);
        let newest = Self::newest_of(&types, instance_id);
        let readstore = self.spoolers.readstore();
        let ahead = self.read_ahead(resource, std::slice::from_ref(&newest), |generation| {
            let query = Self::list_query(resource, &generation, instance_id, params);
            async move {
                let query = query?;
                let page = readstore
                    .list_rows(&generation, resource.table, &query)
                    .await?;
                Ok(list_result(page, &query))
            }
        });
        match ahead.await {
            Some(result) => Ok(result),
            None => self.list_fresh(resource, newest, instance_id, params).await,
        }
    }

    /// The list query of `params` on `generation`'s table of `resource`,
    /// limited to `instance_id` when given.
    fn list_query(
        resource: &Resource,
        generation: &Generation,
        instance_id: Option<&str>,
        params: &ListParams,
    ) -> Result<ListQuery, QueryError> {
        let table = generation.table(resource.table).ok_or_else(|| {
            QueryError::Unavailable(format!(
                "the projection {} no longer declares the table {}",
                resource.projection, resource.table
            ))
        })?;
        let mut query: ListQuery = params.to_query(table)?;
        if let Some(instance) = instance_id {
            query.filters.push(Filter {
                column: "instance_id".into(),
                op: FilterOp::Eq,
                value: Value::Text(instance.to_owned()),
            });
        }
        Ok(query)
    }

    /// [`Queries::list`] the careful way: waits for the projection to apply
    /// `newest`, then reads (again on the generation serving now if another
    /// node switched away from the one read).
    async fn list_fresh(
        &self,
        resource: &Resource,
        newest: EventQuery,
        instance_id: Option<&str>,
        params: &ListParams,
    ) -> Result<ListResult, QueryError> {
        let generation = match self.fresh(resource, newest).await? {
            Some(generation) => generation,
            None => self.serving(resource)?,
        };
        let query = Self::list_query(resource, &generation, instance_id, params)?;
        let readstore = self.spoolers.readstore();
        let page = match readstore
            .list_rows(&generation, resource.table, &query)
            .await
        {
            Err(error) => match self.switched(resource, &generation).await {
                Some(current) => {
                    readstore
                        .list_rows(&current, resource.table, &query)
                        .await?
                }
                None => return Err(error.into()),
            },
            ok => ok?,
        };
        Ok(list_result(page, &query))
    }

    /// The first row of `resource` where `column` equals `value`.
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn find(
        &self,
        resource: &Resource,
        instance_id: Option<&str>,
        column: &str,
        value: &str,
    ) -> Result<Option<Row>, QueryError> {
        let params = ListParams::equal(column, value);
        let mut page = self.list(resource, instance_id, &params).await?;
        Ok(page.result.drain(..).next())
    }

    /// The instance a host name (without port) belongs to, if any.
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn instance_by_domain(&self, domain: &str) -> Result<Option<String>, QueryError> {
        let row = self.find(&INSTANCE_DOMAINS, None, "domain", domain).await?;
        Ok(row.and_then(|r| r.get("instanceId")?.as_str().map(str::to_owned)))
    }

    /// Where the newest event of `aggregate_type` (in any instance) landed,
    /// if there is one: what a cache of that type's read model must have
    /// seen to still be current.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn newest_position(
        &self,
        aggregate_type: &str,
    ) -> Result<Option<crate::eventstore::Position>, QueryError> {
        let newest = EventQuery::new()
            .aggregate_type(aggregate_type)
            .descending()
            .limit(1);
        Ok(self.store.positions(&newest).await?.pop())
    }

    /// The events of one aggregate, oldest first, a page at a time.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn audit(
        &self,
        aggregate: &AggregateRef,
        after_sequence: u64,
        limit: u32,
    ) -> Result<AuditPage, QueryError> {
        audit::page(self.store.as_ref(), aggregate, after_sequence, limit).await
    }

    /// Brings the projection of `resource` up to the newest event `newest`
    /// selects. `None` when no such event exists; on a single-node store,
    /// the serving generation at once when it has applied every committed
    /// event (the read then finds whatever exists).
    async fn fresh(
        &self,
        resource: &Resource,
        newest: EventQuery,
    ) -> Result<Option<Generation>, QueryError> {
        // A single-node store knows everything committed so far: when the
        // projection has applied all of it, no event can be missing.
        if let Some(horizon) = self.store.committed_horizon()
            && let Some(generation) = self.spoolers.caught_up(resource.projection, horizon)
        {
            return Ok(Some(generation));
        }
        let Some(position) = self.store.positions(&newest).await?.pop() else {
            return Ok(None);
        };
        Ok(Some(
            self.spoolers
                .wait_for(resource.projection, position)
                .await?,
        ))
    }

    /// Reads the serving generation with `read` while the newest events of
    /// `newest` are looked up, both at once: where the store must be asked
    /// for them (PostgreSQL), one round trip instead of two. The read stands
    /// when this node's spooler had applied every one of them before the
    /// read began, so it holds every write acknowledged before the query.
    /// `None` (the caller waits, then reads) when it had not, on any error,
    /// where the newest events are known without asking (SQLite), or when
    /// another node leads the projection.
    async fn read_ahead<T, F, Fut>(
        &self,
        resource: &Resource,
        newest: &[EventQuery],
        read: F,
    ) -> Option<T>
    where
        F: FnOnce(Generation) -> Fut,
        Fut: Future<Output = Result<T, QueryError>>,
    {
        if self.store.committed_horizon().is_some() {
            return None;
        }
        let (generation, applied) = self.spoolers.applied(resource.projection)?;
        let lookups =
            futures::future::try_join_all(newest.iter().map(|query| self.store.positions(query)));
        let (positions, read) = tokio::join!(lookups, read(generation));
        let fresh = positions
            .ok()?
            .iter()
            .flatten()
            .all(|position| *position <= applied);
        fresh.then_some(read.ok()?)
    }

    /// The query for the newest event of any of `aggregate_types` (in
    /// `instance_id`, or anywhere).
    fn newest_of(aggregate_types: &[&str], instance_id: Option<&str>) -> EventQuery {
        let mut newest = aggregate_types
            .iter()
            .fold(EventQuery::new(), |q, t| q.aggregate_type(*t))
            .descending()
            .limit(1);
        if let Some(instance) = instance_id {
            newest = newest.instance(instance);
        }
        newest
    }

    /// The generation serving now, if another node switched away from
    /// `read` (whose tables are then gone) since this node last looked.
    async fn switched(&self, resource: &Resource, read: &Generation) -> Option<Generation> {
        let current = self.spoolers.refresh(resource.projection).await.ok()??;
        (current.number != read.number).then_some(current)
    }

    fn serving(&self, resource: &Resource) -> Result<Generation, QueryError> {
        self.spoolers.serving(resource.projection).ok_or_else(|| {
            QueryError::Unavailable(format!(
                "the projection {} is not loaded",
                resource.projection
            ))
        })
    }
}

/// A page of rows as the API lists them.
fn list_result(page: Page, query: &ListQuery) -> ListResult {
    ListResult {
        result: page.rows.into_iter().map(camel_case).collect(),
        total: page.total,
        limit: query.limit,
        offset: query.offset,
    }
}

/// Re-keys a row from the declared snake_case columns to camelCase, the
/// casing of the JSON API.
fn camel_case(row: Row) -> Row {
    row.into_iter().map(|(k, v)| (list::camel(&k), v)).collect()
}
