//! Stored events as projection plugins see them (the WIT `event` record).

use chrono::{DateTime, Utc};

use crate::eventstore::{Event, EventQuery};
use crate::plugins::types;

/// The WIT envelope of a stored event; the payload travels as JSON text.
pub fn envelope(event: &Event) -> types::Event {
    types::Event {
        instance_id: event.aggregate.instance_id.clone(),
        aggregate_type: event.aggregate.aggregate_type.clone(),
        aggregate_id: event.aggregate.aggregate_id.clone(),
        sequence: event.sequence,
        position: types::Position {
            transaction: event.position.tx as u64,
            index: event.position.index as u32,
        },
        event_type: event.event_type.clone(),
        revision: event.revision,
        creator: event.creator.clone(),
        created_at: datetime(event.created_at),
        payload: event.payload.to_string(),
    }
}

/// A UTC time as the WIT `datetime`.
pub(crate) fn datetime(at: DateTime<Utc>) -> types::Datetime {
    types::Datetime {
        seconds: at.timestamp(),
        nanoseconds: at.timestamp_subsec_nanos(),
    }
}

/// The narrowest event filter that still holds every event a projection
/// handles. By convention an event type starts with its aggregate type
/// (`user.human.added` belongs to `user`), so handles like `user.*` or
/// `org.domain.added` narrow the read to those aggregate types; a bare `*`
/// (or any pattern without a dot) reads everything.
pub(crate) fn filter_for(handles: &[String]) -> EventQuery {
    let mut types: Vec<String> = Vec::new();
    for pattern in handles {
        match pattern.split_once('.') {
            Some((aggregate, _)) if !aggregate.is_empty() && !aggregate.contains('*') => {
                if !types.iter().any(|t| t == aggregate) {
                    types.push(aggregate.to_owned());
                }
            }
            _ => return EventQuery::new(),
        }
    }
    if types.is_empty() {
        // Handles nothing: read nothing rather than everything.
        return EventQuery::new().aggregate_type("");
    }
    types
        .into_iter()
        .fold(EventQuery::new(), |q, t| q.aggregate_type(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn given_aggregate_prefixed_handles_when_filtered_then_only_those_types_are_read() {
        let q = filter_for(&handles(&["user.*", "org.removed", "user.human.added"]));
        assert_eq!(q.aggregate_types, ["user", "org"]);
    }

    #[test]
    fn given_a_catch_all_pattern_when_filtered_then_everything_is_read() {
        assert!(
            filter_for(&handles(&["user.*", "*"]))
                .aggregate_types
                .is_empty()
        );
        assert!(filter_for(&handles(&["test*"])).aggregate_types.is_empty());
    }
}
