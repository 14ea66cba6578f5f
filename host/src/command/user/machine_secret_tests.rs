//! Given/when/then tests of machine users' client secrets and access token
//! types.

use rampart_plugin_sdk::catalogue::{
    AccessTokenType, AddMachineUser, ChangeMachineUser, MachineSecretRemoved, MachineSecretSet,
    MachineUserAdded, MachineUserChanged, UserDeactivated, UserLocked, UserRemoved,
};

use super::machine::{AddMachineUserCommand, ChangeMachineUserCommand};
use super::machine_secret::{GenerateMachineSecretCommand, RemoveMachineSecretCommand};
use super::model::UserModel;
use crate::auth::token::{NewSecret, digest, new_secret};
use crate::command::pipeline::{Decide, json};
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, event, expected, given, stored};
use crate::command::write_model::{WriteModel as _, fold};
use crate::eventstore::{AggregateRef, NewEvent};

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

/// A secret of known value.
fn secret(plain: &str) -> NewSecret {
    NewSecret {
        plain: plain.into(),
        hash: digest(plain),
    }
}

fn generate(user_id: &str, plain: &str) -> GenerateMachineSecretCommand {
    GenerateMachineSecretCommand::new(user_id, secret(plain))
}

fn secret_set(plain: &str) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &MachineSecretSet {
            secret_hash: digest(plain),
        },
    )
}

#[tokio::test]
async fn given_a_machine_when_generating_a_secret_then_only_its_hash_is_stored() {
    let cmd = generate("user-1", "first-secret");
    assert_eq!(
        cmd.payload(),
        serde_json::json!({}),
        "validators see nothing"
    );
    assert!(!format!("{cmd:?}").contains("first-secret"));
    let decision = users(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&MachineSecretSet {
            secret_hash: digest("first-secret"),
        })]);
    assert!(decision.unique.is_empty());
    let stored = decision.events[0].payload.to_string();
    assert!(!stored.contains("first-secret"), "{stored}");
}

#[tokio::test]
async fn given_a_secret_when_generating_again_then_the_new_hash_replaces_it() {
    users(vec![secret_set("first-secret")])
        .when(generate("user-1", "second-secret"))
        .await
        .then(vec![expected(&MachineSecretSet {
            secret_hash: digest("second-secret"),
        })]);
}

#[tokio::test]
async fn given_an_inactive_or_locked_machine_when_generating_a_secret_then_it_is() {
    for state in [
        event(&user_ref("user-1"), &UserDeactivated {}),
        event(&user_ref("user-1"), &UserLocked {}),
    ] {
        let decision = users(vec![state])
            .when(generate("user-1", "s"))
            .await
            .decision();
        assert_eq!(decision.events[0].event_type, "user.machine.secret.set");
    }
}

#[tokio::test]
async fn given_a_human_when_generating_or_removing_a_secret_then_failed_precondition() {
    users(vec![])
        .when(generate("user-2", "s"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "the user is a human user; only machine users have client secrets",
        );
    users(vec![])
        .when(RemoveMachineSecretCommand::new("user-2"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "only machine users have client secrets",
        );
}

#[tokio::test]
async fn given_an_unknown_or_removed_user_when_generating_a_secret_then_not_found() {
    users(vec![])
        .when(generate("user-9", "s"))
        .await
        .then_error("NOT_FOUND", "user-9");
    let removed = event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ci-bot".into(),
        },
    );
    users(vec![removed.clone()])
        .when(generate("user-1", "s"))
        .await
        .then_error("NOT_FOUND", "user-1");
    users(vec![secret_set("s"), removed])
        .when(RemoveMachineSecretCommand::new("user-1"))
        .await
        .then_error("NOT_FOUND", "user-1");
}

#[tokio::test]
async fn given_a_secret_when_removing_it_then_removed_and_a_second_removal_is_refused() {
    users(vec![secret_set("s")])
        .when(RemoveMachineSecretCommand::new("user-1"))
        .await
        .then(vec![expected(&MachineSecretRemoved {})]);
    let removed = event(&user_ref("user-1"), &MachineSecretRemoved {});
    users(vec![secret_set("s"), removed])
        .when(RemoveMachineSecretCommand::new("user-1"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "the machine user has no client secret",
        );
    users(vec![])
        .when(RemoveMachineSecretCommand::new("user-1"))
        .await
        .then_error("FAILED_PRECONDITION", "no client secret");
}

#[test]
fn given_secret_events_when_folded_then_the_model_holds_the_latest_hash_and_validators_see_no_hash()
{
    let model: UserModel = fold(&stored(vec![
        machine_added("user-1", "org-1", "ci-bot"),
        secret_set("first"),
        secret_set("second"),
    ]))
    .model;
    let secret = model.secret.as_ref().expect("a secret");
    assert_eq!(secret.hash, digest("second"));
    let state = json(&model);
    assert!(state["secret"]["setAt"].is_string(), "{state}");
    let text = state.to_string();
    assert!(!text.contains(&digest("second")), "{text}");
    assert!(!text.contains(&digest("first")), "{text}");

    let model: UserModel = fold(&stored(vec![
        machine_added("user-1", "org-1", "ci-bot"),
        secret_set("first"),
        event(&user_ref("user-1"), &MachineSecretRemoved {}),
    ]))
    .model;
    assert!(model.secret.is_none());
    assert!(json(&model).get("secret").is_none());
}

#[test]
fn given_a_new_secret_per_command_then_generated_secrets_differ() {
    let (a, b) = (new_secret(), new_secret());
    assert_ne!(a.plain, b.plain);
    assert_eq!(a.plain.len(), 64);
}

fn change(name: &str, access_token_type: Option<AccessTokenType>) -> ChangeMachineUserCommand {
    ChangeMachineUserCommand::new(
        "user-1",
        ChangeMachineUser {
            name: name.into(),
            description: None,
            access_token_type,
        },
    )
    .unwrap()
}

#[tokio::test]
async fn given_an_add_naming_jwt_then_the_event_records_it_and_the_default_is_opaque() {
    let history = || {
        let mut h = instance_added("localhost");
        h.extend(org_added("org-1", "ACME", "acme.example"));
        given(h)
    };
    let add = |access_token_type| {
        let input = AddMachineUser {
            username: "ci-bot".into(),
            name: "CI".into(),
            description: None,
            access_token_type,
        };
        AddMachineUserCommand::new("user-9".into(), "org-1", input).unwrap()
    };
    let jwt = add(AccessTokenType::Jwt);
    assert_eq!(jwt.payload()["accessTokenType"], "jwt");
    history()
        .when(jwt)
        .await
        .then(vec![expected(&MachineUserAdded {
            org_id: "org-1".into(),
            username: "ci-bot".into(),
            name: "CI".into(),
            description: None,
            access_token_type: AccessTokenType::Jwt,
        })]);
    let decision = history().when(add(AccessTokenType::default())).await;
    let events = decision.decision().events;
    assert_eq!(events[0].payload["accessTokenType"], "opaque");
}

#[tokio::test]
async fn given_a_machine_when_changing_its_access_token_type_then_it_changes_and_none_keeps_it() {
    users(vec![])
        .when(change("CI", Some(AccessTokenType::Jwt)))
        .await
        .then(vec![expected(&MachineUserChanged {
            name: "CI".into(),
            description: None,
            access_token_type: Some(AccessTokenType::Jwt),
        })]);
    // Only the name changes: the event states the type kept.
    users(vec![])
        .when(change("Deployer", None))
        .await
        .then(vec![expected(&MachineUserChanged {
            name: "Deployer".into(),
            description: None,
            access_token_type: Some(AccessTokenType::Opaque),
        })]);
    for unchanged in [None, Some(AccessTokenType::Opaque)] {
        users(vec![])
            .when(change("CI", unchanged))
            .await
            .then_error("FAILED_PRECONDITION", "unchanged");
    }
    let to_jwt = event(
        &user_ref("user-1"),
        &MachineUserChanged {
            name: "CI".into(),
            description: None,
            access_token_type: Some(AccessTokenType::Jwt),
        },
    );
    users(vec![to_jwt])
        .when(change("CI", Some(AccessTokenType::Jwt)))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
}

#[test]
fn given_machine_events_when_folded_then_the_access_token_type_follows_and_old_changes_keep_it() {
    let jwt = MachineUserChanged {
        name: "CI".into(),
        description: None,
        access_token_type: Some(AccessTokenType::Jwt),
    };
    let old_change = MachineUserChanged {
        name: "Renamed".into(),
        description: None,
        access_token_type: None,
    };
    let model: UserModel = fold(&stored(vec![
        machine_added("user-1", "org-1", "ci-bot"),
        event(&user_ref("user-1"), &jwt),
        event(&user_ref("user-1"), &old_change),
    ]))
    .model;
    assert_eq!(model.access_token_type, Some(AccessTokenType::Jwt));
    assert_eq!(model.name.as_deref(), Some("Renamed"));
    assert!(model.exists());
    let human: UserModel = fold(&stored(vec![user_added("user-2", "org-1", "ada")])).model;
    assert_eq!(human.access_token_type, None);
    assert!(json(&human).get("accessTokenType").is_none());
}
