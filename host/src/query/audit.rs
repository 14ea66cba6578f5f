//! The audit trail: the events of one aggregate, as stored, with secrets
//! left out.

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::REDACTED;
use serde::Serialize;

use super::QueryError;
use crate::eventstore::{AggregateRef, Event, EventQuery, EventStore, Position};

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
    redact(&event.event_type, &mut payload);
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

/// Replaces the secret fields of an `event_type` payload, as the catalogue
/// marks them where each event is defined, with [`REDACTED`]. A payload of
/// a type the catalogue does not know is withheld whole: a secret field
/// nobody marked must not leak.
pub(crate) fn redact(event_type: &str, payload: &mut serde_json::Value) {
    match rampart_plugin_sdk::catalogue::event_secret_fields(event_type) {
        Some(secrets) => {
            if let Some(map) = payload.as_object_mut() {
                for (key, value) in map.iter_mut() {
                    if secrets.contains(&key.as_str()) {
                        *value = serde_json::Value::String(REDACTED.into());
                    }
                }
            }
        }
        None => *payload = serde_json::Value::String(REDACTED.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_an_event_with_marked_secrets_when_redacted_then_only_they_are_gone() {
        let mut payload = serde_json::json!({
            "username": "ada", "passwordHash": "$argon2id$v=19$...", "orgId": "o1"
        });
        redact("user.human.added", &mut payload);
        assert_eq!(
            payload,
            serde_json::json!({ "username": "ada", "passwordHash": REDACTED, "orgId": "o1" })
        );
        let mut pat = serde_json::json!({ "tokenId": "t-1", "tokenHash": "h" });
        redact("user.pat.added", &mut pat);
        assert_eq!(
            pat,
            serde_json::json!({ "tokenId": "t-1", "tokenHash": REDACTED })
        );
    }

    #[test]
    fn given_an_event_type_the_catalogue_does_not_know_when_redacted_then_all_is_withheld() {
        let mut payload = serde_json::json!({ "check": "v1:…", "salt": "00" });
        redact("system.masterkey.set", &mut payload);
        assert_eq!(payload, serde_json::json!(REDACTED));
    }
}
