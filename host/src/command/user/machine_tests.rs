//! Given/when/then tests of machine users and their personal access
//! tokens, and of human-only commands on machines.

use chrono::{Duration, Utc};
use rampart_plugin_sdk::catalogue::{
    AccessTokenType, AddMachineUser, ChangeHumanEmail, ChangeHumanProfile, ChangeMachineUser,
    MachineUserAdded, MachineUserChanged, OrgDeactivated, OrgRemoved, PersonalAccessTokenAdded,
    PersonalAccessTokenRemoved, SetHumanPassword, UserDeactivated, UserLocked, UserRemoved,
};

use super::USERNAME_KIND;
use super::machine::{AddMachineUserCommand, ChangeMachineUserCommand};
use super::model::{UserKind, UserModel, UserState};
use super::password::SetPasswordCommand;
use super::pat::{AddPatCommand, RemovePatCommand};
use super::profile::{ChangeEmailCommand, ChangeProfileCommand};
use super::remove::RemoveUserCommand;
use super::state::{StateChange, UserStateCommand};
use crate::command::pipeline::{Decide, json};
use crate::command::testing::fixtures::{
    ada, instance_added, machine_added, org_added, org_ref, user_added, user_ref,
};
use crate::command::testing::{Given, INSTANCE, event, expected, given, stored};
use crate::command::write_model::{WriteModel as _, fold};
use crate::eventstore::{AggregateRef, NewEvent, UniqueOp};

/// The instance, org-1 and `more` events.
fn org(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(more);
    given(history)
}

/// Org-1 with machine user-1 "ci-bot" and `more` events.
fn bot_exists(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut events = vec![machine_added("user-1", "org-1", "ci-bot")];
    events.extend(more);
    org(events)
}

fn add_input() -> AddMachineUser {
    AddMachineUser {
        username: "  CI-Bot ".into(),
        name: " CI pipeline ".into(),
        description: Some("  ".into()),
        ..AddMachineUser::default()
    }
}

fn add() -> AddMachineUserCommand {
    AddMachineUserCommand::new("user-9".into(), "org-1", add_input()).unwrap()
}

fn change(name: &str, description: Option<&str>) -> ChangeMachineUserCommand {
    ChangeMachineUserCommand::new(
        "user-1",
        ChangeMachineUser {
            name: name.into(),
            description: description.map(str::to_owned),
            access_token_type: None,
        },
    )
    .unwrap()
}

fn in_a_year() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::days(365)
}

fn add_pat(token_id: &str) -> AddPatCommand {
    AddPatCommand::new(
        "user-1",
        token_id,
        "hash-of-secret",
        in_a_year(),
        Utc::now(),
    )
    .unwrap()
}

fn pat_added(token_id: &str) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &PersonalAccessTokenAdded {
            token_id: token_id.into(),
            token_hash: format!("hash-{token_id}"),
            expires_at: in_a_year(),
        },
    )
}

fn pat_removed(token_id: &str) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &PersonalAccessTokenRemoved {
            token_id: token_id.into(),
        },
    )
}

fn user_removed(username: &str) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &UserRemoved {
            username: username.into(),
        },
    )
}

#[tokio::test]
async fn given_an_active_org_when_adding_a_machine_then_added_lowercase_and_claimed_as_a_username()
{
    let decision = org(vec![])
        .when(add())
        .await
        .then(vec![expected(&MachineUserAdded {
            org_id: "org-1".into(),
            username: "ci-bot".into(),
            name: "CI pipeline".into(),
            description: None,
            access_token_type: AccessTokenType::Opaque,
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            USERNAME_KIND,
            "ci-bot",
            "the username ci-bot is already taken"
        )]
    );
}

#[tokio::test]
async fn given_no_org_or_an_inactive_one_when_adding_a_machine_then_refused() {
    given(instance_added("localhost"))
        .when(add())
        .await
        .then_error("NOT_FOUND", "org org-1 not found");
    org(vec![event(&org_ref("org-1"), &OrgDeactivated {})])
        .when(add())
        .await
        .then_error("FAILED_PRECONDITION", "the organization org-1 is inactive");
    org(vec![event(
        &org_ref("org-1"),
        &OrgRemoved {
            name: "ACME".into(),
        },
    )])
    .when(add())
    .await
    .then_error("NOT_FOUND", "org org-1 not found");
}

#[tokio::test]
async fn given_a_taken_id_when_adding_a_machine_then_already_exists() {
    let cmd = AddMachineUserCommand::new("user-1".into(), "org-1", add_input()).unwrap();
    org(vec![user_added("user-1", "org-1", "ada")])
        .when(cmd)
        .await
        .then_error("ALREADY_EXISTS", "user user-1 already exists");
}

#[test]
fn given_empty_fields_when_adding_or_changing_a_machine_then_invalid_argument() {
    let mut input = add_input();
    input.username = " ".into();
    let err = AddMachineUserCommand::new("u".into(), "org-1", input).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    assert!(err.to_string().contains("the username must not be empty"));
    let mut input = add_input();
    input.name = String::new();
    let err = AddMachineUserCommand::new("u".into(), "org-1", input).unwrap_err();
    assert!(err.to_string().contains("name must not be empty"), "{err}");
    let err = ChangeMachineUserCommand::new("user-1", ChangeMachineUser::default()).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}

#[tokio::test]
async fn given_a_machine_when_changed_then_changed_and_the_same_values_are_unchanged() {
    bot_exists(vec![])
        .when(change(" Deployer ", Some(" ships builds ")))
        .await
        .then(vec![expected(&MachineUserChanged {
            name: "Deployer".into(),
            description: Some("ships builds".into()),
            access_token_type: Some(AccessTokenType::Opaque),
        })]);
    bot_exists(vec![])
        .when(change("CI", Some(" ")))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
}

#[tokio::test]
async fn given_a_human_or_a_removed_machine_when_changed_as_a_machine_then_refused() {
    org(vec![user_added("user-1", "org-1", "ada")])
        .when(change("Ada", None))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "the user is a human user; only machine users have a name and a description",
        );
    bot_exists(vec![user_removed("ci-bot")])
        .when(change("Deployer", None))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}

#[tokio::test]
async fn given_a_machine_when_human_only_commands_run_then_failed_precondition() {
    let profile =
        ChangeProfileCommand::new("user-1", ChangeHumanProfile { profile: ada() }).unwrap();
    bot_exists(vec![]).when(profile).await.then_error(
        "FAILED_PRECONDITION",
        "the user is a machine user; only human users have a profile",
    );
    let email = ChangeEmailCommand::new(
        "user-1",
        ChangeHumanEmail {
            address: "bot@acme.example".into(),
            verified: true,
        },
    )
    .unwrap();
    bot_exists(vec![]).when(email).await.then_error(
        "FAILED_PRECONDITION",
        "only human users have an e-mail address",
    );
    let password = SetPasswordCommand::new(
        "user-1",
        SetHumanPassword {
            password: "Secret-Pass-1".into(),
        },
    )
    .unwrap();
    bot_exists(vec![])
        .when(password)
        .await
        .then_error("FAILED_PRECONDITION", "only human users have a password");
}

#[tokio::test]
async fn given_a_machine_when_state_commands_run_then_they_work_as_for_humans() {
    bot_exists(vec![])
        .when(UserStateCommand::new("user-1", StateChange::Lock))
        .await
        .then(vec![expected(&UserLocked {})]);
    bot_exists(vec![])
        .when(UserStateCommand::new("user-1", StateChange::Deactivate))
        .await
        .then(vec![expected(&UserDeactivated {})]);
    let decision = bot_exists(vec![])
        .when(RemoveUserCommand::new("user-1"))
        .await
        .then(vec![expected(&UserRemoved {
            username: "ci-bot".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(INSTANCE, USERNAME_KIND, "ci-bot")]
    );
}

#[tokio::test]
async fn given_a_machine_when_a_pat_is_added_then_its_hash_is_stored_but_validators_never_see_it() {
    let cmd = add_pat(" tok-1 ");
    let payload = cmd.payload();
    assert_eq!(payload["tokenId"], "tok-1");
    assert!(payload.get("tokenHash").is_none(), "{payload}");
    assert!(!format!("{cmd:?}").contains("hash-of-secret"));
    let expires_at = serde_json::from_value(payload["expiresAt"].clone()).unwrap();
    bot_exists(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&PersonalAccessTokenAdded {
            token_id: "tok-1".into(),
            token_hash: "hash-of-secret".into(),
            expires_at,
        })]);
}

#[tokio::test]
async fn given_an_inactive_or_locked_machine_when_a_pat_is_added_then_it_is() {
    for state in [
        event(&user_ref("user-1"), &UserDeactivated {}),
        event(&user_ref("user-1"), &UserLocked {}),
    ] {
        let decision = bot_exists(vec![state])
            .when(add_pat("tok-1"))
            .await
            .decision();
        assert_eq!(decision.events[0].event_type, "user.pat.added");
    }
}

#[tokio::test]
async fn given_a_human_or_a_removed_machine_when_a_pat_is_added_then_refused() {
    org(vec![user_added("user-1", "org-1", "ada")])
        .when(add_pat("tok-1"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "only machine users have personal access tokens",
        );
    bot_exists(vec![user_removed("ci-bot")])
        .when(add_pat("tok-1"))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
    org(vec![])
        .when(add_pat("tok-1"))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}

#[tokio::test]
async fn given_a_token_id_in_use_or_once_used_when_added_again_then_already_exists() {
    bot_exists(vec![pat_added("tok-1")])
        .when(add_pat("tok-1"))
        .await
        .then_error(
            "ALREADY_EXISTS",
            "the user already has a token with id tok-1",
        );
    bot_exists(vec![pat_added("tok-1"), pat_removed("tok-1")])
        .when(add_pat("tok-1"))
        .await
        .then_error("ALREADY_EXISTS", "tok-1");
}

#[test]
fn given_bad_pat_input_when_added_then_invalid_argument() {
    let now = Utc::now();
    let err = AddPatCommand::new("user-1", "tok-1", "h", now, now).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    assert!(err.to_string().contains("is not in the future"), "{err}");
    let past = now - Duration::seconds(1);
    assert!(AddPatCommand::new("user-1", "tok-1", "h", past, now).is_err());
    let err = AddPatCommand::new("user-1", " ", "h", in_a_year(), now).unwrap_err();
    assert!(err.to_string().contains("the token id must not be empty"));
    let err = AddPatCommand::new("user-1", "tok-1", "", in_a_year(), now).unwrap_err();
    assert!(err.to_string().contains("the token hash must not be empty"));
}

#[tokio::test]
async fn given_a_pat_when_removed_then_removed_but_not_twice_nor_an_unknown_one() {
    bot_exists(vec![pat_added("tok-1")])
        .when(RemovePatCommand::new("user-1", "tok-1"))
        .await
        .then(vec![expected(&PersonalAccessTokenRemoved {
            token_id: "tok-1".into(),
        })]);
    bot_exists(vec![pat_added("tok-1"), pat_removed("tok-1")])
        .when(RemovePatCommand::new("user-1", "tok-1"))
        .await
        .then_error("NOT_FOUND", "personal_access_token tok-1 not found");
    bot_exists(vec![pat_added("tok-1")])
        .when(RemovePatCommand::new("user-1", "tok-2"))
        .await
        .then_error("NOT_FOUND", "personal_access_token tok-2 not found");
    bot_exists(vec![pat_added("tok-1"), user_removed("ci-bot")])
        .when(RemovePatCommand::new("user-1", "tok-1"))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}

#[test]
fn given_machine_events_when_folded_then_the_model_has_kind_name_and_pats_without_hashes() {
    let history = stored(vec![
        machine_added("user-1", "org-1", "ci-bot"),
        event(
            &user_ref("user-1"),
            &MachineUserChanged {
                name: "Deployer".into(),
                description: Some("ships".into()),
                access_token_type: None,
            },
        ),
        pat_added("tok-1"),
        pat_added("tok-2"),
        pat_removed("tok-1"),
    ]);
    let model: UserModel = fold(&history).model;
    assert_eq!(model.kind, UserKind::Machine);
    assert_eq!(model.state, UserState::Active);
    assert!(model.exists());
    assert_eq!(
        (model.org_id.as_str(), model.username.as_str()),
        ("org-1", "ci-bot")
    );
    assert_eq!(model.name.as_deref(), Some("Deployer"));
    assert_eq!(model.description.as_deref(), Some("ships"));
    assert!(model.active_pat("tok-1").is_none());
    assert_eq!(model.active_pat("tok-2").unwrap().hash, "hash-tok-2");
    assert_eq!(model.pats.len(), 2);
    let state = json(&model);
    assert_eq!(state["kind"], "machine");
    assert_eq!(state["pats"]["tok-1"]["removed"], true);
    let text = state.to_string();
    assert!(!text.contains("hash-tok"), "{text}");
}

#[test]
fn given_a_human_when_folded_then_its_validator_state_gains_only_the_kind() {
    let model: UserModel = fold(&stored(vec![user_added("user-1", "org-1", "ada")])).model;
    let state = json(&model);
    assert_eq!(state["kind"], "human");
    for absent in ["name", "description", "pats"] {
        assert!(state.get(absent).is_none(), "{state}");
    }
}
