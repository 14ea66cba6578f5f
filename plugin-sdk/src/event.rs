//! # Events
//!
//! What a projection sees: a stored [`Event`] with its envelope and a JSON
//! payload. Decode the payload into the structs of [`crate::catalogue`] with
//! [`Event::payload`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::DateTime;
use crate::catalogue::EventPayload;

/// The global position of an event: transaction, then index inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The transaction that stored the event.
    pub transaction: u64,
    /// The event's index inside that transaction.
    pub index: u32,
}

/// A stored event, as projections see it.
///
/// The builder methods (`with_*`) exist for tests:
///
/// ```
/// # use rampart_plugin_sdk::prelude::*;
/// # use rampart_plugin_sdk::catalogue::OrgAdded;
/// let event = Event::from_payload(&OrgAdded { name: "ACME".into() }).with_sequence(1);
/// assert_eq!(event.event_type, "org.added");
/// assert_eq!(event.payload::<OrgAdded>().unwrap().name, "ACME");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The instance (tenant) the event belongs to.
    pub instance_id: String,
    /// Type of the aggregate, e.g. `"user"`.
    pub aggregate_type: String,
    /// Id of the aggregate.
    pub aggregate_id: String,
    /// Per-aggregate sequence, starting at 1.
    pub sequence: u64,
    /// Global position.
    pub position: Position,
    /// Event type, e.g. `"user.human.added"`.
    pub event_type: String,
    /// Payload schema revision of this event type.
    pub revision: u16,
    /// Who caused the event.
    pub creator: String,
    /// When the event was stored.
    pub created_at: DateTime,
    /// The payload as JSON text.
    pub payload: String,
}

impl Event {
    /// An event of type `event_type` with an empty payload (`{}`), for tests.
    ///
    /// Placeholders: instance `"instance-1"`, aggregate id `"aggregate-1"`,
    /// aggregate type the type's first segment, sequence 1, position (1, 0),
    /// revision 1, creator `"actor-1"`, created at the Unix epoch.
    pub fn new(event_type: impl Into<String>) -> Self {
        let event_type = event_type.into();
        let aggregate_type = event_type.split('.').next().unwrap_or_default().to_owned();
        Self {
            instance_id: "instance-1".to_owned(),
            aggregate_type,
            aggregate_id: "aggregate-1".to_owned(),
            sequence: 1,
            position: Position {
                transaction: 1,
                index: 0,
            },
            event_type,
            revision: 1,
            creator: "actor-1".to_owned(),
            created_at: DateTime::UNIX_EPOCH,
            payload: "{}".to_owned(),
        }
    }

    /// An event of type `T::TYPE` carrying `payload`, for tests.
    pub fn from_payload<T: EventPayload>(payload: &T) -> Self {
        Self::new(T::TYPE).with_payload(payload)
    }

    /// Replaces the payload with `payload` serialized to JSON.
    ///
    /// # Panics
    ///
    /// If `payload` cannot be serialized to JSON.
    #[must_use]
    pub fn with_payload<T: Serialize + ?Sized>(mut self, payload: &T) -> Self {
        self.payload = serde_json::to_string(payload).expect("event payload serializes to JSON");
        self
    }

    /// Replaces the payload with raw JSON text.
    #[must_use]
    pub fn with_raw_payload(mut self, payload: impl Into<String>) -> Self {
        self.payload = payload.into();
        self
    }

    /// Sets the instance id.
    #[must_use]
    pub fn in_instance(mut self, instance_id: impl Into<String>) -> Self {
        self.instance_id = instance_id.into();
        self
    }

    /// Sets the aggregate.
    #[must_use]
    pub fn on(
        mut self,
        aggregate_type: impl Into<String>,
        aggregate_id: impl Into<String>,
    ) -> Self {
        self.aggregate_type = aggregate_type.into();
        self.aggregate_id = aggregate_id.into();
        self
    }

    /// Sets the per-aggregate sequence.
    #[must_use]
    pub fn with_sequence(mut self, sequence: u64) -> Self {
        self.sequence = sequence;
        self
    }

    /// Sets the global position.
    #[must_use]
    pub fn with_position(mut self, transaction: u64, index: u32) -> Self {
        self.position = Position { transaction, index };
        self
    }

    /// Sets the creation time.
    #[must_use]
    pub fn with_created_at(mut self, created_at: DateTime) -> Self {
        self.created_at = created_at;
        self
    }

    /// Sets the creator.
    #[must_use]
    pub fn by(mut self, creator: impl Into<String>) -> Self {
        self.creator = creator.into();
        self
    }

    /// Whether this event is the one `T` describes.
    pub fn is<T: EventPayload>(&self) -> bool {
        self.event_type == T::TYPE
    }

    /// The sequence as an `integer` column value (columns are signed).
    ///
    /// # Errors
    ///
    /// A message naming the event when the sequence exceeds `i64::MAX`.
    pub fn sequence_value(&self) -> Result<i64, String> {
        i64::try_from(self.sequence).map_err(|_| {
            format!(
                "event {} of {} {} at sequence {}: the sequence exceeds an integer column",
                self.event_type, self.aggregate_type, self.aggregate_id, self.sequence
            )
        })
    }

    /// Decodes the payload.
    ///
    /// # Errors
    ///
    /// A message naming the event type and sequence when the payload does
    /// not match `T`; a projection can return it as its error.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(&self.payload).map_err(|error| {
            format!(
                "invalid payload for event {} of {} {} at sequence {}: {error}",
                self.event_type, self.aggregate_type, self.aggregate_id, self.sequence
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{OrgAdded, OrgRemoved};

    #[test]
    fn given_a_catalogue_payload_when_an_event_is_built_then_type_and_payload_follow() {
        let event = Event::from_payload(&OrgAdded {
            name: "ACME".into(),
        })
        .on("org", "o-1")
        .with_sequence(4)
        .with_position(10, 2);
        assert!(event.is::<OrgAdded>());
        assert_eq!(event.payload::<OrgAdded>().unwrap().name, "ACME");
        assert_eq!(
            event.position,
            Position {
                transaction: 10,
                index: 2
            }
        );
    }

    #[test]
    fn given_a_payload_of_another_shape_when_decoded_then_the_error_names_the_event() {
        let event = Event::new("org.removed")
            .on("org", "o-1")
            .with_raw_payload("[]");
        let error = event.payload::<OrgRemoved>().unwrap_err();
        assert!(
            error.starts_with("invalid payload for event org.removed of org o-1 at sequence 1: "),
            "{error}"
        );
    }
}
