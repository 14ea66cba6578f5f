//! Given two nodes on one PostgreSQL, each deciding on its own write-model
//! cache, when both lock and unlock the same users at once, then every
//! acknowledged command is in the users' histories, no transition was
//! decided on stale state (a user is never locked twice in a row), and a
//! command refused on one node is refused because of the store's state,
//! not because of what that node had cached.

use std::collections::HashMap;

use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::{AggregateRef, EventQuery, EventStore};
use serde_json::json;

use crate::cqrs::{Api, Backend, TwoNodes, two_nodes};

const USERS: usize = 4;
const ROUNDS: usize = 15;
const LOCK: &str = "rampart.user.v1.UserService/LockUser";
const UNLOCK: &str = "rampart.user.v1.UserService/UnlockUser";

#[tokio::test]
async fn two_nodes_changing_the_same_users_never_decide_on_stale_state() {
    // given: two nodes, and users both nodes have cached (each changed them once)
    let TwoNodes {
        backend,
        a: _node_a,
        b: node_b,
        api_a: a,
        api_b: b,
        dirs: _dirs,
    } = two_nodes().await;
    let org = a.add_org("Contended").await;
    let mut users = Vec::new();
    for i in 0..USERS {
        let user = a.add_user(&org, &format!("contended-{i}"), None).await;
        a.ok(LOCK, json!({ "userId": user })).await;
        b.ok(UNLOCK, json!({ "userId": user })).await;
        users.push(user);
    }

    // when: each node, for every user, alternately locks and unlocks, both
    // nodes at once, so each decides on state the other just changed
    let run = |api: Api, first: &'static str| {
        let users = users.clone();
        tokio::spawn(async move {
            let mut acknowledged: HashMap<(String, &'static str), usize> = HashMap::new();
            for round in 0..ROUNDS {
                for user in &users {
                    let method = if round % 2 == 0 {
                        first
                    } else if first == LOCK {
                        UNLOCK
                    } else {
                        LOCK
                    };
                    let (status, answer) = api.call(method, json!({ "userId": user })).await;
                    match status.as_u16() {
                        200 => *acknowledged.entry((user.clone(), method)).or_default() += 1,
                        // Already locked / not locked: refused on the store's state.
                        400 if answer["code"] == "failed_precondition" => {}
                        409 if answer["code"] == "aborted" => {}
                        _ => panic!("{method} answered {status} {answer}"),
                    }
                }
            }
            acknowledged
        })
    };
    let on_a = run(a.clone(), LOCK);
    let on_b = run(b.clone(), LOCK);
    let (on_a, on_b) = (on_a.await.unwrap(), on_b.await.unwrap());

    // then: each user's history alternates locked/unlocked, and holds
    // exactly the acknowledged commands
    let store = history_reader(&backend).await;
    let instance = a
        .ok(
            "rampart.instance.v1.InstanceService/GetMyInstance",
            json!({}),
        )
        .await["instance"]["id"]
        .as_str()
        .expect("instance id")
        .to_owned();
    for user in &users {
        let events = store
            .query(&EventQuery::aggregate(&AggregateRef::new(
                &instance, "user", user,
            )))
            .await
            .unwrap();
        let toggles: Vec<&str> = events
            .iter()
            .map(|e| e.event_type.as_str())
            .filter(|t| matches!(*t, "user.locked" | "user.unlocked"))
            .collect();
        assert!(
            toggles.windows(2).all(|w| w[0] != w[1]),
            "user {user} changed twice the same way: {toggles:?}"
        );
        for (method, event) in [(LOCK, "user.locked"), (UNLOCK, "user.unlocked")] {
            let acknowledged = on_a.get(&(user.clone(), method)).copied().unwrap_or(0)
                + on_b.get(&(user.clone(), method)).copied().unwrap_or(0);
            // The set-up locked and unlocked each user once.
            let stored = toggles.iter().filter(|t| **t == event).count() - 1;
            assert_eq!(
                stored, acknowledged,
                "{user}: {event} stored vs acknowledged"
            );
        }
    }
    // and a refusal is decided on the store's state: node B caches the user
    // unlocked (refused or not, its cache is then up to date), node A locks
    // it, and B's unlock succeeds though B's cache still says unlocked
    let user = &users[0];
    let _ = b.call(UNLOCK, json!({ "userId": user })).await;
    let (status, answer) = a.call(LOCK, json!({ "userId": user })).await;
    assert_eq!(status.as_u16(), 200, "{answer}");
    let (status, answer) = b.call(UNLOCK, json!({ "userId": user })).await;
    assert_eq!(
        status.as_u16(),
        200,
        "node B refused on its stale cache: {answer}"
    );
    // and node B decided on its cache
    let metrics = reqwest::get(format!("{}/debug/metrics", node_b.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hits = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rampart_write_model_cache_reads_total{result=\"hit\"}"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(
        hits > 0.0,
        "node B never read its write-model cache:\n{metrics}"
    );
    store.close().await;
}

/// A store on the nodes' database, to read the histories.
async fn history_reader(backend: &Backend) -> PostgresStore {
    let Backend::Postgres(db) = backend else {
        panic!("the nodes share a PostgreSQL database")
    };
    crate::support::postgres_store_on(db).await
}
