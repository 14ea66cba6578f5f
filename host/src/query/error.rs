//! Why a query failed, typed so the API edge maps each case to one status.

use crate::eventstore::StoreError;
use crate::readmodel::ReadModelError;
use crate::spooler::CatchUpError;

/// A query failure.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A filter, sort or paging parameter is wrong. API edge: 400.
    #[error("{0}")]
    InvalidArgument(String),
    /// The projection is not loaded or cannot serve right now. API edge: 503.
    #[error("{0}")]
    Unavailable(String),
    /// The projection did not catch up in time. API edge: 503.
    #[error(transparent)]
    CatchUp(#[from] CatchUpError),
    /// The read model failed. API edge: 400 for an unknown column or a bad
    /// filter value, else 500/503.
    #[error(transparent)]
    ReadModel(#[from] ReadModelError),
    /// The eventstore failed. API edge: as the store's error.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl QueryError {
    /// What the command side reports when a read it needs (`doing`) fails:
    /// the store's own error, an outage as the store being unavailable,
    /// anything else internal.
    pub fn into_command_error(self, doing: &str) -> crate::command::CommandError {
        use crate::command::CommandError;
        match self {
            QueryError::Store(error) => CommandError::Store(error),
            QueryError::Unavailable(message) => {
                CommandError::Store(StoreError::Unavailable(message))
            }
            other => CommandError::Internal(format!("{doing}: {other}")),
        }
    }
}
