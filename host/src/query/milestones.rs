//! An instance's milestones, through the Milestones cache.

use super::{Queries, QueryError};
use crate::command::write_model::StoreSource;
use crate::milestone::{self, MilestoneState};

impl Queries {
    /// The milestones `instance_id` reached. Never behind this node's
    /// writes; at most the notification delay behind another node's.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn milestones(&self, instance_id: &str) -> Result<MilestoneState, QueryError> {
        let source = StoreSource(self.store.as_ref());
        Ok(milestone::read(&self.caches.milestones, &source, instance_id).await?)
    }
}
