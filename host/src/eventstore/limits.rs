//! Input limits every push is checked against before it reaches a backend.

use super::error::StoreError;
use super::push::{Push, UniqueOp};
use crate::config::EventstoreConfig;

/// Bounds on what one push may carry (`Eventstore:` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of one event, as serialized JSON, in bytes.
    pub max_payload_bytes: usize,
    /// Most events in one push.
    pub max_events_per_push: usize,
}

impl From<&EventstoreConfig> for Limits {
    fn from(es: &EventstoreConfig) -> Self {
        Self {
            max_payload_bytes: es.max_payload_bytes,
            max_events_per_push: es.max_events_per_push,
        }
    }
}

impl Limits {
    /// Checks `push` and serializes its payloads (each once) for the backend.
    ///
    /// # Errors
    /// [`StoreError::InvalidPush`] or [`StoreError::PayloadTooLarge`].
    pub(crate) fn check(&self, push: &Push) -> Result<Vec<String>, StoreError> {
        let invalid = |m: String| Err(StoreError::InvalidPush(m));
        for (i, a) in push.aggregates.iter().enumerate() {
            let r = &a.aggregate;
            if r.instance_id.is_empty() || r.aggregate_type.is_empty() || r.aggregate_id.is_empty()
            {
                return invalid(format!(
                    "aggregate {r} needs an instance id, a type and an id"
                ));
            }
            if push.aggregates[..i]
                .iter()
                .any(|b| b.aggregate == a.aggregate)
            {
                return invalid(format!(
                    "aggregate {r} appears twice; put all its events in one entry"
                ));
            }
            if a.events.is_empty() {
                return invalid(format!("aggregate {r} has no events"));
            }
        }
        let count = push.event_count();
        if count == 0 && push.unique.is_empty() {
            return invalid("a push needs at least one event or unique-value operation".into());
        }
        if count > self.max_events_per_push {
            return invalid(format!(
                "{count} events in one push, over the limit of {} (Eventstore.MaxEventsPerPush)",
                self.max_events_per_push
            ));
        }
        for op in &push.unique {
            let (instance, names) = match op {
                UniqueOp::Claim {
                    instance_id,
                    kind,
                    value,
                    ..
                }
                | UniqueOp::Release {
                    instance_id,
                    kind,
                    value,
                } => (instance_id, [kind, value]),
                UniqueOp::ReleaseInstance { instance_id } => {
                    (instance_id, [instance_id, instance_id])
                }
            };
            if instance.is_empty() || names.iter().any(|n| n.is_empty()) {
                return invalid(format!(
                    "unique-value operation {op:?} has an empty instance, kind or value"
                ));
            }
        }
        let mut payloads = Vec::with_capacity(count);
        for (_, e) in push.events() {
            if e.event_type.is_empty() {
                return invalid("an event needs a type".into());
            }
            let json = serde_json::to_string(&e.payload).map_err(|err| {
                StoreError::InvalidPush(format!("payload of {}: {err}", e.event_type))
            })?;
            if json.contains("\\u0000") {
                return invalid(format!(
                    "payload of {} contains a NUL character (\\u0000), which the store cannot keep",
                    e.event_type
                ));
            }
            if json.len() > self.max_payload_bytes {
                return Err(StoreError::PayloadTooLarge {
                    event_type: e.event_type.clone(),
                    size: json.len(),
                    limit: self.max_payload_bytes,
                });
            }
            payloads.push(json);
        }
        Ok(payloads)
    }
}
