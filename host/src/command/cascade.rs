//! Cascades: what a command takes along when it removes or narrows
//! something others point to (an org's users and projects, a project's
//! authorizations). The dependents are found by the event that tied them
//! (its payload names the owner), loaded with their write models, and
//! changed in the same push, each expected at its loaded sequence.
//!
//! Finding them reads every tying event of the instance (one indexed query
//! by event type), so a cascade costs in proportion to the instance's
//! dependents of that kind; pushes are bounded by
//! `Eventstore.MaxEventsPerPush`, past which the command is refused.

use std::collections::{HashMap, HashSet};

use super::CommandError;
use super::pipeline::{Decision, Env};
use super::write_model::{Loaded, WriteModel, fold};
use crate::eventstore::{
    AggregatePush, AggregateRef, Event, EventQuery, ExpectedSequence, NewEvent,
};

/// How many aggregates' events one query loads.
const AGGREGATES_PER_QUERY: usize = 200;

/// The aggregates of `M`'s type in the command's instance that one of
/// `event_types` tied to `org_id` by its payload's `key`, with their write
/// models, in the order they were first tied; `keep` picks which of them
/// still matter (exists and still belongs to the org).
pub(crate) async fn tied_to<M: WriteModel>(
    env: &Env<'_>,
    event_types: &[&str],
    key: &str,
    org_id: &str,
    keep: impl Fn(&M) -> bool,
) -> Result<Vec<(AggregateRef, Loaded<M>)>, CommandError> {
    let instance = &env.ctx.instance_id;
    let mut query = EventQuery::new()
        .instance(instance.clone())
        .aggregate_type(M::AGGREGATE_TYPE);
    for event_type in event_types {
        query = query.event_type(*event_type);
    }
    let mut seen = HashSet::new();
    let ids: Vec<String> = env
        .events(&query)
        .await?
        .into_iter()
        .filter(|e| e.payload.get(key).and_then(|v| v.as_str()) == Some(org_id))
        .map(|e| e.aggregate.aggregate_id)
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(AGGREGATES_PER_QUERY) {
        let mut query = EventQuery::new()
            .instance(instance.clone())
            .aggregate_type(M::AGGREGATE_TYPE);
        query.aggregate_ids = chunk.to_vec();
        let mut by_id: HashMap<String, Vec<Event>> = HashMap::new();
        for event in env.events(&query).await? {
            by_id
                .entry(event.aggregate.aggregate_id.clone())
                .or_default()
                .push(event);
        }
        for id in chunk {
            let loaded: Loaded<M> = fold(by_id.get(id).map_or(&[][..], Vec::as_slice));
            if loaded.model.exists() && keep(&loaded.model) {
                let aggregate = AggregateRef::new(instance, M::AGGREGATE_TYPE, id);
                found.push((aggregate, loaded));
            }
        }
    }
    Ok(found)
}

/// Appends to `decision` a push of `events` to `aggregate`, expected at the
/// sequence it was loaded at.
pub(crate) fn take_along<M>(
    decision: &mut Decision,
    aggregate: AggregateRef,
    loaded: &Loaded<M>,
    events: Vec<NewEvent>,
) {
    decision.others.push(AggregatePush {
        aggregate,
        expected: ExpectedSequence::Exact(loaded.sequence),
        events,
    });
}
