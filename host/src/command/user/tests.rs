//! Given/when/then tests of the user commands.

use rampart_plugin_sdk::catalogue::{
    AddHumanUser, ChangeHumanEmail, ChangeHumanProfile, Email, HumanEmailChanged,
    HumanPasswordChanged, HumanProfileChanged, HumanUserAdded, OrgDeactivated, Profile,
    SetHumanPassword, UserDeactivated, UserLocked, UserReactivated, UserRemoved, UserUnlocked,
};

use super::USERNAME_KIND;
use super::add::AddHumanUserCommand;
use super::password::SetPasswordCommand;
use super::profile::{ChangeEmailCommand, ChangeProfileCommand};
use super::remove::RemoveUserCommand;
use super::state::{StateChange, UserStateCommand};
use crate::command::password::verify;
use crate::command::testing::fixtures::{
    ada, instance_added, org_added, org_ref, user_added, user_ref,
};
use crate::command::testing::{Given, INSTANCE, event, expected, given};
use crate::eventstore::{AggregateRef, NewEvent, UniqueOp};

/// The instance, org-1 and `more` events.
fn org(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(more);
    given(history)
}

/// Org-1 with user-1 "ada" and `more` events.
fn ada_exists(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut events = vec![user_added("user-1", "org-1", "ada")];
    events.extend(more);
    org(events)
}

fn add_input(password: Option<&str>) -> AddHumanUser {
    AddHumanUser {
        username: "  Ada.Lovelace ".into(),
        profile: Profile {
            given_name: " Ada ".into(),
            family_name: "Lovelace".into(),
            display_name: None,
            preferred_language: Some("en".into()),
        },
        email: Email {
            address: "ada@example.com".into(),
            verified: true,
        },
        password: password.map(str::to_owned),
    }
}

fn add(password: Option<&str>) -> AddHumanUserCommand {
    AddHumanUserCommand::new("user-9".into(), "org-1", add_input(password)).unwrap()
}

fn state(change: StateChange) -> UserStateCommand {
    UserStateCommand::new("user-1", change)
}

#[tokio::test]
async fn given_an_active_org_when_adding_a_user_then_added_with_lowercase_name_and_claimed() {
    let decision = org(vec![])
        .when(add(None))
        .await
        .then(vec![expected(&HumanUserAdded {
            username: "ada.lovelace".into(),
            profile: Profile {
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                display_name: Some("Ada Lovelace".into()),
                preferred_language: Some("en".into()),
            },
            email: "ada@example.com".into(),
            email_verified: true,
            password_hash: None,
            org_id: "org-1".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            USERNAME_KIND,
            "ada.lovelace",
            "the username ada.lovelace is already taken"
        )]
    );
}

#[tokio::test]
async fn given_a_password_when_adding_a_user_then_only_its_argon2id_hash_is_stored() {
    let decision = org(vec![])
        .when(add(Some("Secret-Pass-1")))
        .await
        .decision();
    let payload = decision.events[0].payload.to_string();
    assert!(!payload.contains("Secret-Pass-1"), "{payload}");
    let added: HumanUserAdded = serde_json::from_value(decision.events[0].payload.clone()).unwrap();
    let hash = added.password_hash.expect("a hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(verify(&hash, "Secret-Pass-1"));
}

#[tokio::test]
async fn given_no_org_when_adding_a_user_then_not_found() {
    given(instance_added("localhost"))
        .when(add(None))
        .await
        .then_error("NOT_FOUND", "org org-1 not found");
}

#[tokio::test]
async fn given_an_inactive_org_when_adding_a_user_then_failed_precondition() {
    org(vec![event(&org_ref("org-1"), &OrgDeactivated {})])
        .when(add(None))
        .await
        .then_error("FAILED_PRECONDITION", "the organization org-1 is inactive");
}

#[test]
fn given_empty_fields_when_adding_a_user_then_invalid_argument() {
    let mut input = add_input(None);
    input.username = "  ".into();
    let err = AddHumanUserCommand::new("u".into(), "org-1", input).unwrap_err();
    assert!(
        err.to_string().contains("the username must not be empty"),
        "{err}"
    );
    let mut input = add_input(None);
    input.profile.family_name = String::new();
    assert!(AddHumanUserCommand::new("u".into(), "org-1", input).is_err());
    let err = AddHumanUserCommand::new("u".into(), "org-1", add_input(Some(""))).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}

#[tokio::test]
async fn given_a_user_when_the_profile_changes_then_profile_changed_with_a_display_name() {
    let change = ChangeProfileCommand::new(
        "user-1",
        ChangeHumanProfile {
            profile: Profile {
                given_name: "Ada".into(),
                family_name: "King".into(),
                ..Profile::default()
            },
        },
    )
    .unwrap();
    ada_exists(vec![])
        .when(change)
        .await
        .then(vec![expected(&HumanProfileChanged {
            profile: Profile {
                given_name: "Ada".into(),
                family_name: "King".into(),
                display_name: Some("Ada King".into()),
                preferred_language: None,
            },
        })]);
}

#[tokio::test]
async fn given_a_user_when_the_same_profile_is_set_then_unchanged() {
    let mut same = ada();
    same.display_name = None;
    let change = ChangeProfileCommand::new("user-1", ChangeHumanProfile { profile: same }).unwrap();
    ada_exists(vec![])
        .when(change)
        .await
        .then_error("FAILED_PRECONDITION", "the profile is unchanged");
}

#[tokio::test]
async fn given_a_user_when_the_email_changes_then_email_changed_and_same_email_is_unchanged() {
    let change = |address: &str, verified| {
        ChangeEmailCommand::new(
            "user-1",
            ChangeHumanEmail {
                address: address.into(),
                verified,
            },
        )
        .unwrap()
    };
    ada_exists(vec![])
        .when(change(" ada@acme.example ", false))
        .await
        .then(vec![expected(&HumanEmailChanged {
            address: "ada@acme.example".into(),
            verified: false,
        })]);
    ada_exists(vec![])
        .when(change("ada@example.com", false))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
    ada_exists(vec![])
        .when(change("ada@example.com", true))
        .await
        .then(vec![expected(&HumanEmailChanged {
            address: "ada@example.com".into(),
            verified: true,
        })]);
}

#[tokio::test]
async fn given_a_user_when_a_password_is_set_then_its_hash_is_stored() {
    let set = SetPasswordCommand::new(
        "user-1",
        SetHumanPassword {
            password: "New-Secret-2".into(),
        },
    )
    .unwrap();
    let decision = ada_exists(vec![]).when(set).await.decision();
    let changed: HumanPasswordChanged =
        serde_json::from_value(decision.events[0].payload.clone()).unwrap();
    assert_eq!(decision.events[0].event_type, "user.human.password.changed");
    assert!(verify(&changed.password_hash, "New-Secret-2"));
}

#[tokio::test]
async fn given_no_user_when_a_password_is_set_then_not_found() {
    let set = SetPasswordCommand::new(
        "user-1",
        SetHumanPassword {
            password: "New-Secret-2".into(),
        },
    )
    .unwrap();
    org(vec![])
        .when(set)
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}

#[tokio::test]
async fn given_an_active_user_when_locked_or_deactivated_then_it_happens() {
    ada_exists(vec![])
        .when(state(StateChange::Lock))
        .await
        .then(vec![expected(&UserLocked {})]);
    ada_exists(vec![])
        .when(state(StateChange::Deactivate))
        .await
        .then(vec![expected(&UserDeactivated {})]);
}

#[tokio::test]
async fn given_an_active_user_when_reactivated_or_unlocked_then_the_state_is_named() {
    ada_exists(vec![])
        .when(state(StateChange::Reactivate))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "the user is active; only inactive users can be reactivated",
        );
    ada_exists(vec![])
        .when(state(StateChange::Unlock))
        .await
        .then_error("FAILED_PRECONDITION", "the user is active");
}

#[tokio::test]
async fn given_a_locked_user_when_unlocked_or_deactivated_then_it_happens_but_not_locked_again() {
    let locked = || ada_exists(vec![event(&user_ref("user-1"), &UserLocked {})]);
    locked()
        .when(state(StateChange::Unlock))
        .await
        .then(vec![expected(&UserUnlocked {})]);
    locked()
        .when(state(StateChange::Deactivate))
        .await
        .then(vec![expected(&UserDeactivated {})]);
    locked()
        .when(state(StateChange::Lock))
        .await
        .then_error("FAILED_PRECONDITION", "the user is locked");
}

#[tokio::test]
async fn given_an_inactive_user_when_reactivated_then_it_happens_but_not_locked() {
    let inactive = || ada_exists(vec![event(&user_ref("user-1"), &UserDeactivated {})]);
    inactive()
        .when(state(StateChange::Reactivate))
        .await
        .then(vec![expected(&UserReactivated {})]);
    inactive()
        .when(state(StateChange::Lock))
        .await
        .then_error("FAILED_PRECONDITION", "the user is inactive");
    inactive()
        .when(state(StateChange::Deactivate))
        .await
        .then_error("FAILED_PRECONDITION", "the user is inactive");
}

#[tokio::test]
async fn given_a_user_when_removed_then_removed_and_username_released() {
    let decision = ada_exists(vec![])
        .when(RemoveUserCommand::new("user-1"))
        .await
        .then(vec![expected(&UserRemoved {
            username: "ada".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(INSTANCE, USERNAME_KIND, "ada")]
    );
}

#[tokio::test]
async fn given_a_removed_user_when_changed_then_not_found() {
    let removed = event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ada".into(),
        },
    );
    ada_exists(vec![removed.clone()])
        .when(RemoveUserCommand::new("user-1"))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
    ada_exists(vec![removed])
        .when(state(StateChange::Lock))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}
