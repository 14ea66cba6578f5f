//! Reading through the caches, as the query and the command side both do:
//! a hit that no newer event has made stale, or the object folded from its
//! events and set.

use super::Caches;
use super::objects::{CachedInstance, CachedOrg, InstanceIndex, OrgIndex, org_key};
use crate::command::instance::model::InstanceModel;
use crate::command::org::model::OrgModel;
use crate::command::write_model::EventSource;
use crate::eventstore::{AggregateRef, StoreError};

/// The aggregate type of organizations.
const ORG: &str = "org";
/// The aggregate type of instances.
const INSTANCE: &str = "instance";

impl Caches {
    /// Organization `id` of `instance_id`: cached, or loaded through the
    /// write-model cache (up to date with `source`) and cached; `None` when
    /// it does not exist (or was removed).
    ///
    /// # Errors
    /// The store's error on a miss.
    pub(crate) async fn org(
        &self,
        source: &dyn EventSource,
        instance_id: &str,
        id: &str,
    ) -> Result<Option<CachedOrg>, StoreError> {
        if let Some(org) = self
            .cached_org(OrgIndex::Id, &org_key(instance_id, id))
            .await
        {
            return Ok(Some(org));
        }
        let aggregate = AggregateRef::new(instance_id, ORG, id);
        let loaded = self
            .write_models
            .load::<OrgModel>(source, &aggregate)
            .await?;
        let org = CachedOrg::from_state(instance_id, id, &loaded);
        if let Some(org) = &org {
            self.organization.set(org).await;
        }
        Ok(org)
    }

    /// Instance `id`: cached, or loaded through the write-model cache (up to
    /// date with `source`) and cached; `None` when it does not exist (or was
    /// removed).
    ///
    /// # Errors
    /// The store's error on a miss.
    pub(crate) async fn instance(
        &self,
        source: &dyn EventSource,
        id: &str,
    ) -> Result<Option<CachedInstance>, StoreError> {
        let aggregate = AggregateRef::new(id, INSTANCE, id);
        if let Some(instance) = self.instance.get(InstanceIndex::Id, id).await
            && !self.is_stale(&aggregate, instance.position)
        {
            return Ok(Some(instance));
        }
        let loaded = self
            .write_models
            .load::<InstanceModel>(source, &aggregate)
            .await?;
        let instance = CachedInstance::from_state(id, &loaded);
        if let Some(instance) = &instance {
            self.instance.set(instance).await;
        }
        Ok(instance)
    }

    /// The cached organization whose primary domain is `domain` in
    /// `instance_id`, if it is cached and current.
    pub(crate) async fn org_by_primary_domain(
        &self,
        instance_id: &str,
        domain: &str,
    ) -> Option<CachedOrg> {
        self.cached_org(OrgIndex::PrimaryDomain, &org_key(instance_id, domain))
            .await
    }

    /// The cached instance serving `host`, if it is cached and current.
    pub(crate) async fn instance_by_host(&self, host: &str) -> Option<CachedInstance> {
        let instance = self.instance.get(InstanceIndex::Host, host).await?;
        let aggregate = AggregateRef::new(&instance.id, INSTANCE, &instance.id);
        (!self.is_stale(&aggregate, instance.position)).then_some(instance)
    }

    async fn cached_org(&self, index: OrgIndex, key: &str) -> Option<CachedOrg> {
        let org = self.organization.get(index, key).await?;
        let aggregate = AggregateRef::new(&org.instance_id, ORG, &org.id);
        (!self.is_stale(&aggregate, org.position)).then_some(org)
    }
}
