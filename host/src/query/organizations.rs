//! Organizations by id and by domain, through the Organization cache.

use super::{ORG_DOMAINS, Queries, QueryError};
use crate::cache::objects::CachedOrg;
use crate::command::write_model::StoreSource;

impl Queries {
    /// Organization `id` of `instance_id`; `None` when it does not exist (or
    /// was removed). A miss folds its events, so the answer is never behind
    /// a write; a hit is at most the notification delay behind another
    /// node's write, and never behind this node's.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn org(&self, instance_id: &str, id: &str) -> Result<Option<CachedOrg>, QueryError> {
        let source = StoreSource(self.store.as_ref());
        Ok(self.caches.org(&source, instance_id, id).await?)
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
        if let Some(org) = self
            .caches
            .org_by_primary_domain(instance_id, &domain)
            .await
        {
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
}
