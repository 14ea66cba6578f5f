//! The cached objects, and how each is loaded when the cache misses: from
//! its events (the write model), so a loaded object is never behind the
//! eventstore, whatever the projections are doing.

mod instance;
mod organization;

pub use instance::{CachedInstance, InstanceIndex};
pub use organization::{CachedOrg, OrgIndex, org_key};

use crate::eventstore::{Event, Position};

/// Where the newest of `events` landed and its sequence; what a cached
/// object remembers, so an entry set after a newer event was seen is known
/// to be stale (see [`super::invalidate`]).
pub(crate) fn last_seen(events: &[Event]) -> (u64, Position) {
    events
        .last()
        .map_or((0, Position::ZERO), |e| (e.sequence, e.position))
}

/// Serde for [`Position`] inside cached objects: `[tx, index]`.
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
