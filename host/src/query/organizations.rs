//! Organizations by id and by domain, through the Organization cache.

use super::{ORG_DOMAINS, Queries, QueryError};
use crate::cache::objects::{CachedOrg, OrgIndex, org_key};
use crate::command::write_model::StoreSource;
use crate::eventstore::AggregateRef;

/// The aggregate type of organizations.
const ORG: &str = "org";

impl Queries {
    /// Organization `id` of `instance_id`; `None` when it does not exist (or
    /// was removed). A miss folds its events, so the answer is never behind
    /// a write; a hit is at most the notification delay behind another
    /// node's write, and never behind this node's.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn org(&self, instance_id: &str, id: &str) -> Result<Option<CachedOrg>, QueryError> {
        let key = org_key(instance_id, id);
        if let Some(org) = self.fresh_org(OrgIndex::Id, &key).await {
            return Ok(Some(org));
        }
        let org = CachedOrg::load(&StoreSource(self.store.as_ref()), instance_id, id).await?;
        if let Some(org) = &org {
            self.caches.organization.set(org).await;
        }
        Ok(org)
    }

    /// The organization owning `domain` in the instance, if any: a primary
    /// domain is found in the cache, any other through the `org_domains`
    /// read model.
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn org_by_domain(
        &self,
        instance_id: &str,
        domain: &str,
    ) -> Result<Option<CachedOrg>, QueryError> {
        let domain = domain.trim().to_lowercase();
        let key = org_key(instance_id, &domain);
        if let Some(org) = self.fresh_org(OrgIndex::PrimaryDomain, &key).await {
            return Ok(Some(org));
        }
        let Some(row) = self
            .find(&ORG_DOMAINS, Some(instance_id), "domain", &domain)
            .await?
        else {
            return Ok(None);
        };
        match row.get("orgId").and_then(|v| v.as_str()) {
            Some(org_id) => self.org(instance_id, org_id).await,
            None => Ok(None),
        }
    }

    /// A cached organization that no event seen since has changed.
    async fn fresh_org(&self, index: OrgIndex, key: &str) -> Option<CachedOrg> {
        let org = self.caches.organization.get(index, key).await?;
        let aggregate = AggregateRef::new(&org.instance_id, ORG, &org.id);
        (!self.caches.is_stale(&aggregate, org.position)).then_some(org)
    }
}
