//! The cached objects, and how each is loaded when the cache misses: from
//! its events (the write model), so a loaded object is never behind the
//! eventstore, whatever the projections are doing.

mod instance;
mod organization;

pub use instance::{CachedInstance, InstanceIndex};
pub use organization::{CachedOrg, OrgIndex, org_key};

/// Serde for [`crate::eventstore::Position`] inside cached objects: `[tx, index]`.
pub(crate) mod position {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::eventstore::Position;

    /// Writes `[tx, index]`.
    pub(crate) fn serialize<S: Serializer>(p: &Position, s: S) -> Result<S::Ok, S::Error> {
        (p.tx, p.index).serialize(s)
    }

    /// Reads `[tx, index]`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Position, D::Error> {
        let (tx, index) = <(i64, i32)>::deserialize(d)?;
        Ok(Position::new(tx, index))
    }
}
