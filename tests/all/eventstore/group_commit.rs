//! Group commit on PostgreSQL: concurrent pushes share transactions, and
//! each still gets exactly its own outcome, also when a push fails in the
//! middle of its group or the connection is terminated during the commit.
//!
//! The stores here have one commit slot, so that 32 concurrent writers
//! certainly share transactions (the test checks that they did). Every push
//! claims a unique value: pushes of one aggregate without unique values are
//! stored alone, by one plain statement, which is cheaper.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rampart::config::Config;
use rampart::eventstore::postgres::PostgresStore;
use rampart::eventstore::{
    Event, EventQuery, EventStore, ExpectedSequence, Follower, NewEvent, Position, Push, StoreError,
};
use serde_json::json;
use sqlx::Executor;
use tokio::sync::Barrier;

use super::agg;
use crate::support::TestDb;

const WRITERS: usize = 32;
const ROUNDS: usize = 20;

/// A store on `db` whose pushes all go through one commit slot.
async fn one_slot_store(db: &TestDb) -> Arc<PostgresStore> {
    let mut cfg = db.config();
    cfg.commit_slots = 1;
    cfg.group_commit_max = 32;
    let store = PostgresStore::connect(&cfg, &Config::defaults().eventstore)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    Arc::new(store)
}

/// How many pushes shared a transaction.
fn batched(store: &PostgresStore) -> u64 {
    store
        .group_commit_stats()
        .expect("group commit is on")
        .batched_pushes
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// What one writer's push was meant to do.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// Appends to the one aggregate every writer of this role contends on.
    Contend,
    /// Claims the round's one username, which only one writer can get.
    Claim,
    /// Creates an aggregate of its own: nothing can stop it.
    Own,
}

fn role(writer: usize) -> Role {
    match writer % 4 {
        0 => Role::Contend,
        1 => Role::Claim,
        _ => Role::Own,
    }
}

fn event(writer: usize, round: usize) -> NewEvent {
    NewEvent::new(
        "thing.happened",
        json!({ "writer": writer, "round": round }),
        "actor",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_push_of_a_shared_transaction_gets_exactly_its_own_outcome() {
    // given: one commit slot, a follower from the start, and 32 writers
    let db = TestDb::create().await;
    let store = one_slot_store(&db).await;
    let dyn_store: Arc<dyn EventStore> = store.clone();
    let shared = agg("counter", "shared");
    let start = Arc::new(Barrier::new(WRITERS));

    // when: every round, each writer pushes once, all at the same moment
    let writers = (0..WRITERS).map(|w| {
        let (store, shared, start) = (dyn_store.clone(), shared.clone(), start.clone());
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..ROUNDS {
                let push = match role(w) {
                    Role::Contend => {
                        let seen = store.latest_sequence(&shared).await.unwrap();
                        Push::new(
                            shared.clone(),
                            ExpectedSequence::Exact(seen),
                            vec![event(w, round)],
                        )
                        .claim(
                            "inst-1",
                            "tag",
                            format!("contend-{w}-{round}"),
                            "taken",
                        )
                    }
                    Role::Claim => Push::new(
                        agg("user", &format!("claimer-{w}-{round}")),
                        ExpectedSequence::Exact(0),
                        vec![event(w, round)],
                    )
                    .claim(
                        "inst-1",
                        "username",
                        format!("name-{round}"),
                        "taken",
                    ),
                    Role::Own => Push::new(
                        agg("user", &format!("own-{w}-{round}")),
                        ExpectedSequence::Exact(0),
                        vec![event(w, round), event(w, round)],
                    )
                    .claim(
                        "inst-1",
                        "tag",
                        format!("own-{w}-{round}"),
                        "taken",
                    ),
                };
                start.wait().await;
                outcomes.push((round, store.push(push).await));
            }
            (w, outcomes)
        })
    });
    let results: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(|r| r.expect("writer"))
        .collect();

    // then: pushes did share transactions
    assert!(batched(&store) > 0, "no push shared a transaction");
    // and each outcome is the push's own
    let mut acknowledged: Vec<Event> = Vec::new();
    let mut claim_winners: HashMap<usize, usize> = HashMap::new();
    for (w, outcomes) in &results {
        for (round, outcome) in outcomes {
            match (role(*w), outcome) {
                (Role::Own, Ok(events)) => {
                    assert_eq!(events.len(), 2);
                    assert_eq!(events[0].sequence, 1);
                    assert_eq!(events[1].sequence, 2);
                }
                (Role::Own, Err(e)) => panic!("an independent push failed: {e}"),
                (Role::Contend, Ok(events)) => assert_eq!(events[0].aggregate, shared),
                (Role::Contend, Err(StoreError::Conflict { aggregate, .. })) => {
                    assert_eq!(aggregate, &shared)
                }
                (Role::Claim, Ok(_)) => *claim_winners.entry(*round).or_default() += 1,
                (Role::Claim, Err(StoreError::UniqueTaken { value, .. })) => {
                    assert_eq!(value, &format!("name-{round}"))
                }
                (role, Err(e)) => panic!("{role:?} push failed with {e}"),
            }
            if let Ok(events) = outcome {
                for e in events {
                    assert_eq!(
                        e.payload,
                        json!({ "writer": w, "round": round }),
                        "a push was answered with another push's events"
                    );
                }
                acknowledged.extend(events.iter().cloned());
            }
        }
    }
    for round in 0..ROUNDS {
        assert_eq!(
            claim_winners.get(&round),
            Some(&1),
            "round {round}: exactly one writer gets the username"
        );
    }
    // and the contended aggregate holds exactly the acknowledged appends, gap-free
    let history = dyn_store
        .query(&EventQuery::aggregate(&shared))
        .await
        .unwrap();
    let acknowledged_on_shared = acknowledged
        .iter()
        .filter(|e| e.aggregate == shared)
        .count();
    assert_eq!(history.len(), acknowledged_on_shared);
    assert!(
        history
            .iter()
            .enumerate()
            .all(|(i, e)| e.sequence == i as u64 + 1)
    );
    // and a conflicting push's claim went back with it: every claim of a
    // contending writer whose push failed can be taken now
    for (w, outcomes) in results.iter().filter(|(w, _)| role(*w) == Role::Contend) {
        for (round, outcome) in outcomes {
            let probe = Push::new(
                agg("probe", &format!("{w}-{round}")),
                ExpectedSequence::Exact(0),
                vec![event(*w, *round)],
            )
            .claim("inst-1", "tag", format!("contend-{w}-{round}"), "taken");
            let claimed = dyn_store.push(probe).await;
            assert_eq!(
                claimed.is_ok(),
                outcome.is_err(),
                "writer {w} round {round}: a claim outlived its failed push, or was lost with its stored one"
            );
            if let Ok(events) = claimed {
                acknowledged.extend(events);
            }
        }
    }
    // and nothing unacknowledged is stored, nothing acknowledged is missing
    let stored = dyn_store.query(&EventQuery::new()).await.unwrap();
    let key = |e: &Event| (e.position, e.aggregate.to_string(), e.sequence);
    let stored_keys: BTreeSet<_> = stored.iter().map(key).collect();
    let acknowledged_keys: BTreeSet<_> = acknowledged.iter().map(key).collect();
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "events stored vs acknowledged"
    );
    assert_eq!(stored_keys, acknowledged_keys);
    // and a follower sees every event once, in position order
    let mut follower = Follower::new(
        dyn_store.clone(),
        EventQuery::new(),
        Position::ZERO,
        1000,
        Duration::from_millis(50),
    );
    let mut followed = Vec::new();
    while followed.len() < stored.len() {
        let batch = tokio::time::timeout(Duration::from_secs(10), follower.next_batch())
            .await
            .expect("the follower keeps up")
            .unwrap();
        followed.extend(batch);
    }
    assert_eq!(followed.len(), stored.len());
    assert!(followed.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(
        followed.iter().map(key).collect::<BTreeSet<_>>(),
        acknowledged_keys
    );
    store.close().await;
    drop(db);
}

/// 32 concurrent pushes of new aggregates; the one at `poisoned` carries
/// `{"poison": <kind>}`. Returns each push's result, by writer.
async fn pushes_with_one_poisoned(
    store: &Arc<PostgresStore>,
    poisoned: usize,
    kind: &str,
) -> Vec<Result<Vec<Event>, StoreError>> {
    let start = Arc::new(Barrier::new(WRITERS));
    let pushes = (0..WRITERS).map(|w| {
        let store: Arc<dyn EventStore> = store.clone();
        let start = start.clone();
        let payload = if w == poisoned {
            json!({ "poison": kind })
        } else {
            json!({ "writer": w })
        };
        tokio::spawn(async move {
            start.wait().await;
            store
                .push(
                    Push::new(
                        agg("user", &format!("u{w}")),
                        ExpectedSequence::Exact(0),
                        vec![NewEvent::new("thing.happened", payload, "actor")],
                    )
                    .claim("inst-1", "username", format!("u{w}"), "taken"),
                )
                .await
        })
    });
    futures::future::join_all(pushes)
        .await
        .into_iter()
        .map(|r| r.expect("pusher"))
        .collect()
}

/// Checks that exactly the acknowledged pushes are stored, and that only
/// the poisoned one failed.
async fn only_the_poisoned_push_failed(
    store: &Arc<PostgresStore>,
    results: &[Result<Vec<Event>, StoreError>],
    poisoned: usize,
) {
    for (w, result) in results.iter().enumerate() {
        if w == poisoned {
            assert!(result.is_err(), "the poisoned push was acknowledged");
        } else {
            let events = result
                .as_ref()
                .unwrap_or_else(|e| panic!("push {w} failed because of its neighbour: {e}"));
            assert_eq!(events[0].payload, json!({ "writer": w }));
        }
    }
    let stored = store.query(&EventQuery::new()).await.unwrap();
    let stored_ids: BTreeSet<_> = stored
        .iter()
        .map(|e| e.aggregate.aggregate_id.clone())
        .collect();
    let acknowledged: BTreeSet<_> = (0..WRITERS)
        .filter(|w| *w != poisoned)
        .map(|w| format!("u{w}"))
        .collect();
    assert_eq!(stored.len(), WRITERS - 1);
    assert_eq!(stored_ids, acknowledged, "stored = acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_failing_in_the_middle_of_a_shared_transaction_fails_alone() {
    // given: a trigger that makes any push carrying a poisoned event fail
    let db = TestDb::create().await;
    let store = one_slot_store(&db).await;
    let mut conn = db.connect().await;
    conn.execute(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           RAISE EXCEPTION 'poisoned event'; END $$; \
         CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW \
           WHEN (NEW.payload->>'poison' = 'insert') EXECUTE FUNCTION poison();",
    )
    .await
    .unwrap();

    // when: 32 pushes at once, the 17th poisoned
    let before = batched(&store);
    let results = pushes_with_one_poisoned(&store, 16, "insert").await;

    // then: they shared transactions, and only the poisoned push failed
    assert!(batched(&store) > before, "no push shared a transaction");
    let err = results[16].as_ref().unwrap_err();
    assert!(err.to_string().contains("poisoned event"), "{err}");
    only_the_poisoned_push_failed(&store, &results, 16).await;
    store.close().await;
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_terminated_during_the_commit_loses_no_acknowledged_push() {
    // given: a deferred trigger that, at commit, terminates the connection
    // of any transaction holding a poisoned event
    let db = TestDb::create().await;
    let store = one_slot_store(&db).await;
    let mut conn = db.connect().await;
    conn.execute(
        "CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           PERFORM pg_terminate_backend(pg_backend_pid()); \
           PERFORM pg_sleep(5); \
           RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON events \
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
           WHEN (NEW.payload->>'poison' = 'commit') EXECUTE FUNCTION die_at_commit();",
    )
    .await
    .unwrap();

    // when: 32 pushes at once, the 6th poisoned
    let before = batched(&store);
    let results = pushes_with_one_poisoned(&store, 5, "commit").await;

    // then: the transactions it was part of were lost at commit; every
    // other push was stored and acknowledged, the poisoned one reported
    // failed and not stored
    assert!(batched(&store) > before, "no push shared a transaction");
    let err = results[5].as_ref().unwrap_err();
    assert!(
        matches!(err, StoreError::Unavailable(_)),
        "the poisoned push: {err:?}"
    );
    only_the_poisoned_push_failed(&store, &results, 5).await;
    store.close().await;
    drop(db);
}
