//! Given/when/then tests of machine users' keys.

use chrono::{DateTime, Duration, Utc};
use rampart_plugin_sdk::catalogue::{KeyType, MachineKeyAdded, MachineKeyRemoved, UserRemoved};

use super::machine_key::{AddMachineKeyCommand, RemoveMachineKeyCommand};
use super::model::UserModel;
use crate::command::key_pair::{KeyPair, test_pair};
use crate::command::pipeline::json;
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, event, expected, given};
use crate::command::write_model::{WriteModel as _, fold};
use crate::eventstore::{AggregateRef, NewEvent, Position};

/// Org-1 with machine user-1 "ci-bot", human user-2 "ada" and `more`
/// events.
fn users(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(machine_added("user-1", "org-1", "ci-bot"));
    history.push(user_added("user-2", "org-1", "ada"));
    history.extend(more);
    given(history)
}

fn in_a_month() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() + 30 * 24 * 3600, 0).unwrap()
}

async fn add(user_id: &str, key_id: &str, at: DateTime<Utc>) -> (AddMachineKeyCommand, KeyPair) {
    let pair = test_pair().await;
    let cmd = AddMachineKeyCommand::new(user_id, key_id, Some(at), Utc::now(), Some(pair.clone()))
        .unwrap();
    (cmd, pair)
}

fn key_added(key_id: &str, public_key: &str, at: DateTime<Utc>) -> MachineKeyAdded {
    MachineKeyAdded {
        key_id: key_id.into(),
        key_type: KeyType::Json,
        public_key: public_key.into(),
        expires_at: at,
    }
}

#[tokio::test]
async fn given_a_machine_when_adding_a_key_then_only_its_public_half_is_stored() {
    let at = in_a_month();
    let (cmd, pair) = add("user-1", "k-1", at).await;
    let decision =
        users(vec![])
            .when(cmd)
            .await
            .then(vec![expected(&key_added("k-1", &pair.public_pem, at))]);
    let stored = decision.events[0].payload.to_string();
    assert!(stored.contains("BEGIN PUBLIC KEY"), "{stored}");
    assert!(!stored.contains("PRIVATE"), "{stored}");
}

#[tokio::test]
async fn given_a_human_when_adding_a_key_then_failed_precondition() {
    let (cmd, _) = add("user-2", "k-1", in_a_month()).await;
    users(vec![])
        .when(cmd)
        .await
        .then_error("FAILED_PRECONDITION", "only machine users have keys");
}

#[tokio::test]
async fn given_an_unknown_or_removed_user_when_adding_a_key_then_not_found() {
    let (cmd, _) = add("user-9", "k-1", in_a_month()).await;
    users(vec![])
        .when(cmd)
        .await
        .then_error("NOT_FOUND", "user-9");
    let removed = event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ci-bot".into(),
        },
    );
    let (cmd, _) = add("user-1", "k-1", in_a_month()).await;
    users(vec![removed])
        .when(cmd)
        .await
        .then_error("NOT_FOUND", "user-1");
}

#[tokio::test]
async fn given_a_key_id_in_use_even_removed_when_adding_it_again_then_already_exists() {
    let at = in_a_month();
    let had = vec![
        event(&user_ref("user-1"), &key_added("k-1", "pem", at)),
        event(
            &user_ref("user-1"),
            &MachineKeyRemoved {
                key_id: "k-1".into(),
            },
        ),
    ];
    let (cmd, _) = add("user-1", "k-1", at).await;
    users(had)
        .when(cmd)
        .await
        .then_error("ALREADY_EXISTS", "k-1");
}

#[test]
fn given_an_expiry_in_the_past_or_too_far_when_adding_a_key_then_invalid_argument() {
    let now = Utc::now();
    for at in [now - Duration::seconds(1), now + Duration::days(3700)] {
        let err = AddMachineKeyCommand::new("user-1", "k-1", Some(at), now, None).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT", "{err}");
    }
    let default = AddMachineKeyCommand::new("user-1", "k-1", None, now, None).unwrap();
    let payload = crate::command::pipeline::Decide::payload(&default);
    let expires: DateTime<Utc> = serde_json::from_value(payload["expiresAt"].clone()).unwrap();
    assert_eq!(expires, now + Duration::days(365));
}

#[tokio::test]
async fn given_a_key_when_removing_it_then_removed_and_a_second_removal_is_not_found() {
    let added = event(&user_ref("user-1"), &key_added("k-1", "pem", in_a_month()));
    let removed = MachineKeyRemoved {
        key_id: "k-1".into(),
    };
    users(vec![added.clone()])
        .when(RemoveMachineKeyCommand::new("user-1", " k-1 "))
        .await
        .then(vec![expected(&removed)]);
    users(vec![added, event(&user_ref("user-1"), &removed)])
        .when(RemoveMachineKeyCommand::new("user-1", "k-1"))
        .await
        .then_error("NOT_FOUND", "k-1");
    users(vec![])
        .when(RemoveMachineKeyCommand::new("user-1", "k-2"))
        .await
        .then_error("NOT_FOUND", "k-2");
}

#[test]
fn given_keys_when_folded_then_validators_see_dates_but_never_the_public_key() {
    let at = in_a_month();
    let events: Vec<crate::eventstore::Event> = [
        machine_added("user-1", "org-1", "ci-bot"),
        event(&user_ref("user-1"), &key_added("k-1", "PEM-ONE", at)),
        event(&user_ref("user-1"), &key_added("k-2", "PEM-TWO", at)),
        event(
            &user_ref("user-1"),
            &MachineKeyRemoved {
                key_id: "k-2".into(),
            },
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (aggregate, new))| crate::eventstore::Event {
        position: Position::new(i as i64 + 1, 0),
        aggregate,
        sequence: i as u64 + 1,
        event_type: new.event_type,
        revision: new.revision,
        payload: new.payload,
        creator: new.creator,
        created_at: Utc::now(),
    })
    .collect();
    let model: UserModel = fold(&events).model;
    assert_eq!(model.active_key("k-1").unwrap().public_key, "PEM-ONE");
    assert!(model.active_key("k-2").is_none());
    assert!(model.machine_keys["k-2"].removed);
    assert!(model.exists());
    let state = json(&model).to_string();
    assert!(
        state.contains("k-1") && state.contains("expiresAt"),
        "{state}"
    );
    assert!(!state.contains("PEM-"), "{state}");
}
