//! Instances by host name, through the Instance cache: every API request
//! resolves one (seed 004, "Instance").

use super::{Queries, QueryError};
use crate::cache::objects::CachedInstance;
use crate::command::write_model::StoreSource;

/// The aggregate type of instances.
const INSTANCE: &str = "instance";

impl Queries {
    /// The instance serving host name `host`, if any.
    ///
    /// A cached instance is used only while no newer event of it was seen
    /// (every node follows instance events, see `cache::invalidate`). A
    /// `write` also asks the eventstore for the newest instance event and
    /// skips the cache unless this node's invalidation has followed it: no
    /// node ever stores a command under a host name's previous owner once
    /// the move is committed.
    ///
    /// Unknown host names are not cached, so a domain added a moment ago
    /// resolves on the next request.
    ///
    /// # Errors
    /// [`QueryError`] when the read model or the eventstore cannot answer.
    pub async fn instance_by_host(
        &self,
        host: &str,
        write: bool,
    ) -> Result<Option<CachedInstance>, QueryError> {
        let trusted = !write
            || self
                .newest_position(INSTANCE)
                .await?
                .is_none_or(|newest| newest <= self.caches.followed());
        if trusted && let Some(instance) = self.caches.instance_by_host(host).await {
            return Ok(Some(instance));
        }
        // The read model waits until it applied the newest instance event.
        let Some(id) = self.instance_by_domain(host).await? else {
            return Ok(None);
        };
        let source = StoreSource(self.store.as_ref());
        let Some(instance) = CachedInstance::load(&source, &id).await? else {
            return Ok(None);
        };
        if !instance.domains.iter().any(|d| d == host) {
            // Moved away between the two reads: the next request sees where.
            return Ok(None);
        }
        self.caches.instance.set(&instance).await;
        Ok(Some(instance))
    }
}
