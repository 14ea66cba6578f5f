//! Bodies of the plugin dry runs (`POST /admin/v1/plugins/{name}/validate`
//! and `.../project`): the WIT records in their snake_case JSON form, with
//! unknown fields refused. The generated WIT types stay tolerant; these are
//! the edge's strict copies.

use serde::Deserialize;

use crate::plugins::types::{AggregateState, Command, Datetime, Event, Position};

/// Body of a validator dry run.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ValidateRequest {
    command: CommandBody,
    /// Defaults to a new aggregate.
    #[serde(default)]
    state: Option<StateBody>,
}

impl ValidateRequest {
    /// The command, and the aggregate's state (a new one when absent).
    pub(super) fn into_parts(self) -> (Command, AggregateState) {
        let state = self.state.map_or(
            AggregateState {
                sequence: 0,
                state: "null".to_owned(),
            },
            |s| AggregateState {
                sequence: s.sequence,
                state: s.state,
            },
        );
        (self.command.into(), state)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandBody {
    name: String,
    instance_id: String,
    #[serde(default)]
    org_id: Option<String>,
    actor: String,
    aggregate_type: String,
    aggregate_id: String,
    payload: String,
}

impl From<CommandBody> for Command {
    fn from(c: CommandBody) -> Self {
        Command {
            name: c.name,
            instance_id: c.instance_id,
            org_id: c.org_id,
            actor: c.actor,
            aggregate_type: c.aggregate_type,
            aggregate_id: c.aggregate_id,
            payload: c.payload,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    sequence: u64,
    state: String,
}

/// Body of a projection dry run: one stored event.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventBody {
    instance_id: String,
    aggregate_type: String,
    aggregate_id: String,
    sequence: u64,
    position: PositionBody,
    event_type: String,
    revision: u16,
    creator: String,
    created_at: DatetimeBody,
    payload: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionBody {
    transaction: u64,
    index: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatetimeBody {
    seconds: i64,
    nanoseconds: u32,
}

impl From<EventBody> for Event {
    fn from(e: EventBody) -> Self {
        Event {
            instance_id: e.instance_id,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            position: Position {
                transaction: e.position.transaction,
                index: e.position.index,
            },
            event_type: e.event_type,
            revision: e.revision,
            creator: e.creator,
            created_at: Datetime {
                seconds: e.created_at.seconds,
                nanoseconds: e.created_at.nanoseconds,
            },
            payload: e.payload,
        }
    }
}
