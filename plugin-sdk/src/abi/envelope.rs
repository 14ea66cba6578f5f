//! Conversions of the envelope records: time, manifest, command, state,
//! rejection, event.

use crate::bindings::types;
use crate::{Command, DateTime, Event, Kind, Manifest, Position, Rejection, State};

/// A WIT datetime as chrono's; out-of-range values become the Unix epoch.
pub(crate) fn datetime_from_wit(datetime: types::Datetime) -> DateTime {
    DateTime::from_timestamp(datetime.seconds, datetime.nanoseconds).unwrap_or_default()
}

/// A chrono datetime as WIT's.
pub(crate) fn datetime_to_wit(datetime: DateTime) -> types::Datetime {
    types::Datetime {
        seconds: datetime.timestamp(),
        nanoseconds: datetime.timestamp_subsec_nanos(),
    }
}

pub(crate) fn manifest_to_wit(manifest: Manifest, kind: Kind) -> types::Manifest {
    types::Manifest {
        name: manifest.name,
        version: manifest.version,
        kind: match kind {
            Kind::Validator => types::PluginKind::Validator,
            Kind::Projection => types::PluginKind::Projection,
            Kind::LoginFlow => types::PluginKind::LoginFlow,
        },
        description: manifest.description,
        handles: manifest.handles,
        capabilities: manifest
            .capabilities
            .iter()
            .map(|capability| capability.as_str().to_owned())
            .collect(),
    }
}

pub(crate) fn command_from_wit(command: types::Command) -> Command {
    Command {
        name: command.name,
        instance_id: command.instance_id,
        org_id: command.org_id,
        actor: command.actor,
        aggregate_type: command.aggregate_type,
        aggregate_id: command.aggregate_id,
        payload: command.payload,
    }
}

/// The aggregate state; `"null"` or empty text is `Value::Null`.
pub(crate) fn state_from_wit(state: types::AggregateState) -> Result<State, Rejection> {
    let text = state.state.trim();
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(text).map_err(|error| {
            Rejection::new(
                "INVALID_STATE",
                format!("the host sent an aggregate state that is not JSON: {error}"),
            )
        })?
    };
    Ok(State::existing(state.sequence, value))
}

pub(crate) fn rejection_to_wit(rejection: Rejection) -> types::Rejection {
    types::Rejection {
        code: rejection.code,
        message: rejection.message,
    }
}

pub(crate) fn event_from_wit(event: types::Event) -> Event {
    Event {
        instance_id: event.instance_id,
        aggregate_type: event.aggregate_type,
        aggregate_id: event.aggregate_id,
        sequence: event.sequence,
        position: Position {
            transaction: event.position.transaction,
            index: event.position.index,
        },
        event_type: event.event_type,
        revision: event.revision,
        creator: event.creator,
        created_at: datetime_from_wit(event.created_at),
        payload: event.payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Capability;

    #[test]
    fn given_a_datetime_when_round_tripped_through_wit_then_it_is_unchanged() {
        let now = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(datetime_from_wit(datetime_to_wit(now)), now);
    }

    #[test]
    fn given_an_out_of_range_wit_datetime_when_converted_then_it_is_the_epoch() {
        let wit = types::Datetime {
            seconds: i64::MAX,
            nanoseconds: 0,
        };
        assert_eq!(datetime_from_wit(wit), DateTime::UNIX_EPOCH);
    }

    #[test]
    fn given_a_manifest_when_exported_then_kind_and_capability_names_are_filled_in() {
        let manifest = Manifest::new("p", "1.0.0")
            .handles(["org.add"])
            .capabilities([Capability::Log, "network".into()]);
        let wit = manifest_to_wit(manifest, Kind::LoginFlow);
        assert_eq!(wit.kind, types::PluginKind::LoginFlow);
        assert_eq!(wit.capabilities, ["log", "network"]);
        assert_eq!(wit.handles, ["org.add"]);
    }

    #[test]
    fn given_a_null_state_when_imported_then_the_aggregate_is_new() {
        let state = state_from_wit(types::AggregateState {
            sequence: 0,
            state: "null".into(),
        })
        .unwrap();
        assert!(state.is_new());
        assert_eq!(state.state, serde_json::Value::Null);
    }

    #[test]
    fn given_a_state_that_is_not_json_when_imported_then_it_is_rejected() {
        let rejection = state_from_wit(types::AggregateState {
            sequence: 3,
            state: "{".into(),
        })
        .unwrap_err();
        assert_eq!(rejection.code, "INVALID_STATE");
    }
}
