//! Reading events back: filters, order, paging.

use std::sync::Arc;

use chrono::{Duration, Utc};
use rampart::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Position, Push,
};
use serde_json::json;

super::conformance!(
    every_filter_narrows_the_result,
    position_bounds_and_descending_order,
    paging_visits_every_event_once_in_both_orders,
    time_range_filters_by_creation_time,
    positions_are_those_of_the_events_the_query_selects,
);

/// Two instances, users and orgs, two creators, several event types.
async fn given_a_mixed_history(store: &Arc<dyn EventStore>) {
    for (instance, kind, id, event_type, creator) in [
        ("i1", "user", "u1", "user.added", "admin"),
        ("i1", "user", "u1", "user.renamed", "u1"),
        ("i1", "user", "u2", "user.added", "admin"),
        ("i1", "org", "o1", "org.added", "admin"),
        ("i2", "user", "u1", "user.added", "root"),
    ] {
        let a = AggregateRef::new(instance, kind, id);
        let seq = store.latest_sequence(&a).await.unwrap();
        let e = NewEvent::new(event_type, json!({}), creator);
        store
            .push(Push::new(a, ExpectedSequence::Exact(seq), vec![e]))
            .await
            .unwrap();
    }
}

fn ids(events: &[rampart::eventstore::Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}/{}#{}",
                e.aggregate.instance_id, e.aggregate.aggregate_id, e.sequence
            )
        })
        .collect()
}

pub async fn every_filter_narrows_the_result(store: Arc<dyn EventStore>) {
    given_a_mixed_history(&store).await;
    let q = |q: EventQuery| {
        let store = store.clone();
        async move { ids(&store.query(&q).await.unwrap()) }
    };
    assert_eq!(q(EventQuery::new()).await.len(), 5);
    assert_eq!(q(EventQuery::new().instance("i2")).await, ["i2/u1#1"]);
    assert_eq!(
        q(EventQuery::new().instance("i1").aggregate_type("org")).await,
        ["i1/o1#1"]
    );
    assert_eq!(
        q(EventQuery::new().instance("i1").aggregate_id("u1")).await,
        ["i1/u1#1", "i1/u1#2"]
    );
    assert_eq!(
        q(EventQuery::new()
            .event_type("user.renamed")
            .event_type("org.added"))
        .await,
        ["i1/u1#2", "i1/o1#1"]
    );
    assert_eq!(q(EventQuery::new().creator("root")).await, ["i2/u1#1"]);
    let u1 = AggregateRef::new("i1", "user", "u1");
    assert_eq!(
        q(EventQuery::aggregate(&u1).after_sequence(1)).await,
        ["i1/u1#2"]
    );
    assert!(
        q(EventQuery::aggregate(&u1).after_sequence(2))
            .await
            .is_empty()
    );
    assert_eq!(
        q(EventQuery::new().instance("i1").limit(2)).await,
        ["i1/u1#1", "i1/u1#2"]
    );
    assert!(q(EventQuery::new().instance("nope")).await.is_empty());
}

pub async fn position_bounds_and_descending_order(store: Arc<dyn EventStore>) {
    given_a_mixed_history(&store).await;
    let all = store.query(&EventQuery::new()).await.unwrap();
    let (second, fourth) = (all[1].position, all[3].position);
    let between = store
        .query(&EventQuery::new().after(second).before(fourth))
        .await
        .unwrap();
    assert_eq!(between, all[2..3]);
    let newest_first = store.query(&EventQuery::new().descending()).await.unwrap();
    assert_eq!(newest_first, all.iter().rev().cloned().collect::<Vec<_>>());
    let after_last = store
        .query(&EventQuery::new().after(all[4].position))
        .await
        .unwrap();
    assert!(after_last.is_empty());
    let from_zero = store
        .query(&EventQuery::new().after(Position::ZERO))
        .await
        .unwrap();
    assert_eq!(from_zero, all);
}

pub async fn paging_visits_every_event_once_in_both_orders(store: Arc<dyn EventStore>) {
    given_a_mixed_history(&store).await;
    let all = store.query(&EventQuery::new()).await.unwrap();
    for first in [
        EventQuery::new().limit(2),
        EventQuery::new().descending().limit(2),
    ] {
        let mut seen = Vec::new();
        let mut page = first.clone();
        loop {
            let events = store.query(&page).await.unwrap();
            let Some(last) = events.last() else { break };
            page = page.next_page(last);
            seen.extend(events);
        }
        if first.order == rampart::eventstore::Order::Descending {
            seen.reverse();
        }
        assert_eq!(seen, all);
    }
}

pub async fn time_range_filters_by_creation_time(store: Arc<dyn EventStore>) {
    given_a_mixed_history(&store).await;
    let all = store.query(&EventQuery::new()).await.unwrap();
    let first = all[0].created_at;
    let last = all[4].created_at;
    let everything =
        EventQuery::new().created_between(Some(first), Some(last + Duration::seconds(1)));
    assert_eq!(store.query(&everything).await.unwrap().len(), 5);
    let future = EventQuery::new().created_between(Some(Utc::now() + Duration::hours(1)), None);
    assert!(store.query(&future).await.unwrap().is_empty());
    let past = EventQuery::new().created_between(None, Some(first));
    assert!(store.query(&past).await.unwrap().is_empty());
}

/// `positions` answers what `query` would, without the events: for one
/// aggregate (ordered by sequence, the read-your-writes check), a type, an
/// instance and everything, in both orders, with and without a limit.
async fn positions_are_those_of_the_events_the_query_selects(store: Arc<dyn EventStore>) {
    given_a_mixed_history(&store).await;
    let u1 = AggregateRef::new("i1", "user", "u1");
    for q in [
        EventQuery::aggregate(&u1),
        EventQuery::aggregate(&u1).descending().limit(1),
        EventQuery::new().aggregate_type("user").descending(),
        EventQuery::new().instance("i1").limit(2),
        EventQuery::new(),
        EventQuery::aggregate(&AggregateRef::new("i1", "user", "nobody")),
    ] {
        let expected: Vec<Position> = store
            .query(&q)
            .await
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        assert_eq!(store.positions(&q).await.unwrap(), expected, "{q:?}");
    }
    let newest = store
        .positions(&EventQuery::aggregate(&u1).descending().limit(1))
        .await
        .unwrap();
    let all = store.query(&EventQuery::aggregate(&u1)).await.unwrap();
    assert_eq!(newest, [all[1].position], "the aggregate's newest event");
}
