//! The audit trail: the events of one aggregate, as stored, with secrets
//! left out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::QueryError;
use crate::eventstore::{AggregateRef, Event, EventQuery, EventStore, Position};

/// Payload keys never shown in an audit trail.
const SECRET_KEYS: &[&str] = &[
    "passwordHash",
    "password",
    "secret",
    "clientSecret",
    "tokenHash",
];

/// One event of the trail.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// The aggregate's sequence number of the event.
    pub sequence: u64,
    /// The event type, e.g. `user.human.email.changed`.
    pub event_type: String,
    /// Who caused it.
    pub creator: String,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Its place in the global order.
    pub position: Position,
    /// Payload schema revision.
    pub revision: u16,
    /// The payload, secrets replaced by `"<redacted>"`.
    pub payload: serde_json::Value,
}

/// A page of the trail.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// The events, oldest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `afterSequence` for the next page; absent on the last page.
    pub next_after_sequence: Option<u64>,
}

/// Reads the events of `aggregate` after `after_sequence`, at most `limit`.
pub(super) async fn page(
    store: &dyn EventStore,
    aggregate: &AggregateRef,
    after_sequence: u64,
    limit: u32,
) -> Result<AuditPage, QueryError> {
    if limit == 0 || limit > 1000 {
        return Err(QueryError::InvalidArgument(format!(
            "limit must be between 1 and 1000, got {limit}"
        )));
    }
    // An aggregate's events are few (they are all folded for every command),
    // so one read serves any page.
    let events = store.query(&EventQuery::aggregate(aggregate)).await?;
    let mut page = events
        .into_iter()
        .filter(|e| e.sequence > after_sequence)
        .take(limit as usize + 1)
        .map(audit)
        .collect::<Vec<_>>();
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok(AuditPage {
        next_after_sequence: more.then(|| page.last().map(|e| e.sequence)).flatten(),
        events: page,
    })
}

fn audit(event: Event) -> AuditEvent {
    let mut payload = event.payload;
    redact(&mut payload);
    AuditEvent {
        sequence: event.sequence,
        event_type: event.event_type,
        creator: event.creator,
        created_at: event.created_at,
        position: event.position,
        revision: event.revision,
        payload,
    }
}

pub(crate) fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *inner = serde_json::Value::String("<redacted>".into());
                } else {
                    redact(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_payload_with_a_password_hash_when_redacted_then_the_hash_is_gone() {
        let mut payload = serde_json::json!({
            "username": "ada", "passwordHash": "$argon2id$v=19$...",
            "nested": [{"secret": "x"}, {"tokenId": "t-1", "tokenHash": "h"}]
        });
        redact(&mut payload);
        assert_eq!(
            payload,
            serde_json::json!({
                "username": "ada", "passwordHash": "<redacted>",
                "nested": [{"secret": "<redacted>"}, {"tokenId": "t-1", "tokenHash": "<redacted>"}]
            })
        );
    }
}
