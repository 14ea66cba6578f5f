//! Given/when/then tests of codes (e-mail verification, password reset) and
//! password checks with lockout.

use std::time::Duration;

use chrono::Utc;
use rampart_plugin_sdk::catalogue::{
    AddPasswordCode, CheckPassword, EmailCodeAdded, EmailCodeFailed, EventPayload,
    HumanEmailChanged, HumanEmailVerified, HumanPasswordChanged, HumanPasswordRehashed,
    HumanPhoneChanged, HumanPhoneVerified, InstanceSettingsSet, LockoutSettings, OrgSettingsSet,
    PasswordCheckFailed, PasswordCheckSucceeded, PasswordCodeAdded, PhoneCodeAdded, ResetPassword,
    SettingsValue, UserLocked, UserUnlocked,
};

use super::check::CheckPasswordCommand;
use super::model::UserModel;
use super::reset::{AddPasswordCodeCommand, ResetPasswordCommand};
use super::verification::{AddCodeCommand, Contact, VerifyCommand};
use crate::command::password::{PasswordHasher, verify};
use crate::command::testing::fixtures::{
    instance_added, instance_ref, org_added, org_ref, user_added, user_ref,
};
use crate::command::testing::{Given, cheap_hasher, event, expected, given};
use crate::command::write_model::WriteModel;
use crate::config::{CodesConfig, PasswordHashConfig};
use crate::eventstore::{AggregateRef, Event, NewEvent};

const CODES: CodesConfig = CodesConfig {
    lifetime: Duration::from_secs(3600),
    max_attempts: 5,
};

/// Org-1 with user-1 "ada" and `more` events.
fn ada(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.extend(more);
    given(history)
}

/// A pending e-mail code `code` (expired when `expired`), and `failures`
/// wrong tries of it.
async fn email_code(code: &str, expired: bool, failures: usize) -> Vec<(AggregateRef, NewEvent)> {
    let hours = if expired { -1 } else { 1 };
    let mut events = vec![event(
        &user_ref("user-1"),
        &EmailCodeAdded {
            code_hash: cheap_hasher().hash(code).await.unwrap(),
            expires_at: Utc::now() + chrono::Duration::hours(hours),
        },
    )];
    events.extend((0..failures).map(|_| event(&user_ref("user-1"), &EmailCodeFailed {})));
    events
}

/// Ada's password set to `password`.
async fn password(password: &str) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &HumanPasswordChanged {
            password_hash: cheap_hasher().hash(password).await.unwrap(),
        },
    )
}

fn verify_email(code: &str) -> VerifyCommand {
    VerifyCommand::new("user-1", Contact::Email, code.into(), CODES)
}

#[tokio::test]
async fn given_a_user_when_adding_an_email_code_then_only_its_hash_is_stored_with_an_expiry() {
    let cmd = AddCodeCommand::new("user-1", Contact::Email, false, CODES);
    let decision = ada(vec![]).when(cmd.clone()).await.decision();
    assert_eq!(decision.events.len(), 1);
    let added: EmailCodeAdded = serde_json::from_value(decision.events[0].payload.clone()).unwrap();
    assert_eq!(decision.events[0].event_type, EmailCodeAdded::TYPE);
    assert!(!added.code_hash.contains(cmd.code()));
    assert!(verify(&added.code_hash, cmd.code()));
    let lifetime = added.expires_at - Utc::now();
    assert!(lifetime > chrono::Duration::minutes(59) && lifetime <= chrono::Duration::hours(1));
}

#[tokio::test]
async fn given_a_pending_code_when_the_right_code_is_typed_loosely_then_the_email_is_verified() {
    ada(email_code("ABCD2345", false, 0).await)
        .when(verify_email(" abcd-2345 "))
        .await
        .then(vec![expected(&HumanEmailVerified {})]);
}

#[tokio::test]
async fn given_a_pending_code_when_a_wrong_code_is_tried_then_the_failure_is_stored_and_refused() {
    let decision = ada(email_code("ABCD2345", false, 1).await)
        .when(verify_email("WRONG234"))
        .await
        .then(vec![expected(&EmailCodeFailed {})]);
    assert_eq!(
        decision.mismatch,
        Some((
            "CODE_INVALID",
            "the code is not valid (3 attempts left)".into()
        ))
    );
}

#[tokio::test]
async fn given_a_code_tried_too_often_when_even_the_right_one_is_typed_then_a_new_one_is_needed() {
    ada(email_code("ABCD2345", false, 5).await)
        .when(verify_email("ABCD2345"))
        .await
        .then_error("FAILED_PRECONDITION", "tried too often: request a new one");
}

#[tokio::test]
async fn given_an_expired_code_when_typed_then_it_expired() {
    ada(email_code("ABCD2345", true, 0).await)
        .when(verify_email("ABCD2345"))
        .await
        .then_error("FAILED_PRECONDITION", "expired: request a new one");
}

#[tokio::test]
async fn given_no_code_when_verifying_then_one_must_be_requested_first() {
    ada(vec![]).when(verify_email("ABCD2345")).await.then_error(
        "FAILED_PRECONDITION",
        "no e-mail address verification code is pending",
    );
}

#[tokio::test]
async fn given_a_code_when_the_address_changes_then_the_code_is_void() {
    let mut history = email_code("ABCD2345", false, 0).await;
    history.push(event(
        &user_ref("user-1"),
        &HumanEmailChanged {
            address: "ada@new.example".into(),
            verified: false,
        },
    ));
    ada(history)
        .when(verify_email("ABCD2345"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "no e-mail address verification code is pending",
        );
}

#[tokio::test]
async fn given_a_reset_code_when_reset_with_it_then_the_new_password_is_stored_and_the_code_used() {
    let cmd = AddPasswordCodeCommand::new("user-1", AddPasswordCode::default(), CODES);
    let decision = ada(vec![]).when(cmd.clone()).await.decision();
    assert_eq!(decision.events[0].event_type, PasswordCodeAdded::TYPE);
    let added = (user_ref("user-1"), decision.events[0].clone());

    let reset = ResetPasswordCommand::new(
        "user-1",
        ResetPassword {
            code: cmd.code().into(),
            password: "N3w-Password".into(),
        },
        CODES,
    )
    .unwrap();
    let decision = ada(vec![added.clone()]).when(reset).await.decision();
    let changed: HumanPasswordChanged =
        serde_json::from_value(decision.events[0].payload.clone()).unwrap();
    assert!(verify(&changed.password_hash, "N3w-Password"));

    let mut model = UserModel::default();
    for e in [user_added("user-1", "org-1", "ada"), added] {
        model.apply(&stored(e));
    }
    assert!(model.password_code.is_some());
    model.apply(&stored((user_ref("user-1"), decision.events[0].clone())));
    assert!(model.password_code.is_none(), "the code is used up");
}

fn check(password: &str) -> CheckPasswordCommand {
    CheckPasswordCommand::new(
        "user-1",
        CheckPassword {
            password: password.into(),
        },
    )
}

fn lockout(attempts: u32) -> SettingsValue {
    SettingsValue::Lockout(LockoutSettings {
        max_password_attempts: attempts,
        ..LockoutSettings::default()
    })
}

#[tokio::test]
async fn given_a_password_when_checked_right_then_it_succeeds_and_wrong_then_the_failure_counts() {
    let history = vec![password("Secret-1").await];
    ada(history.clone())
        .when(check("Secret-1"))
        .await
        .then(vec![expected(&PasswordCheckSucceeded {})]);
    let decision = ada(history)
        .when(check("secret-1"))
        .await
        .then(vec![expected(&PasswordCheckFailed {})]);
    assert_eq!(
        decision.mismatch,
        Some(("PASSWORD_INVALID", "the password is wrong".into()))
    );
}

#[tokio::test]
async fn given_a_hash_made_with_other_parameters_when_the_password_is_proven_then_it_is_hashed_anew()
 {
    let stronger = PasswordHasher::new(&PasswordHashConfig {
        memory: bytesize::ByteSize::kib(16),
        iterations: 2,
        parallelism: 1,
        max_concurrent: 0,
    })
    .unwrap();
    let old = event(
        &user_ref("user-1"),
        &HumanPasswordChanged {
            password_hash: stronger.hash("Secret-1").await.unwrap(),
        },
    );
    let decision = ada(vec![old]).when(check("Secret-1")).await.decision();
    assert_eq!(decision.events.len(), 2, "{:?}", decision.events);
    assert_eq!(decision.events[0], expected(&PasswordCheckSucceeded {}));
    assert_eq!(decision.events[1].event_type, HumanPasswordRehashed::TYPE);
    let rehashed: HumanPasswordRehashed =
        serde_json::from_value(decision.events[1].payload.clone()).unwrap();
    assert!(verify(&rehashed.password_hash, "Secret-1"));
    assert!(!cheap_hasher().outdated(&rehashed.password_hash));
    assert!(cheap_hasher().outdated(&stronger.hash("x").await.unwrap()));

    // Once rehashed, the model holds the new hash and a proof adds nothing.
    let mut model = UserModel::default();
    for e in [
        user_added("user-1", "org-1", "ada"),
        (user_ref("user-1"), decision.events[1].clone()),
    ] {
        model.apply(&stored(e));
    }
    assert_eq!(model.password_hash, Some(rehashed.password_hash));
    ada(vec![password("Secret-1").await])
        .when(check("Secret-1"))
        .await
        .then(vec![expected(&PasswordCheckSucceeded {})]);
}

#[tokio::test]
async fn given_a_lockout_of_three_when_the_third_check_in_a_row_fails_then_the_user_is_locked() {
    let failed = || event(&user_ref("user-1"), &PasswordCheckFailed {});
    let history = vec![
        event(&instance_ref(), &InstanceSettingsSet(lockout(10))),
        event(&org_ref("org-1"), &OrgSettingsSet(lockout(3))),
        password("Secret-1").await,
        failed(),
    ];
    let decision = ada(history.clone())
        .when(check("nope"))
        .await
        .then(vec![expected(&PasswordCheckFailed {})]);
    assert_eq!(
        decision.mismatch.unwrap().1,
        "the password is wrong (1 attempts left)"
    );
    let mut locked = history;
    locked.push(failed());
    let decision = ada(locked).when(check("nope")).await.then(vec![
        expected(&PasswordCheckFailed {}),
        expected(&UserLocked {}),
    ]);
    assert_eq!(
        decision.mismatch.unwrap().1,
        "the password is wrong; the user is now locked"
    );
}

#[tokio::test]
async fn given_failures_when_a_check_succeeds_or_the_user_is_unlocked_then_counting_starts_over() {
    let failed = || event(&user_ref("user-1"), &PasswordCheckFailed {});
    let mut model = UserModel::default();
    for e in [user_added("user-1", "org-1", "ada"), failed(), failed()] {
        model.apply(&stored(e));
    }
    assert_eq!(model.password_failures, 2);
    model.apply(&stored(event(
        &user_ref("user-1"),
        &PasswordCheckSucceeded {},
    )));
    assert_eq!(model.password_failures, 0);
    model.apply(&stored(failed()));
    model.apply(&stored(event(&user_ref("user-1"), &UserUnlocked {})));
    assert_eq!(model.password_failures, 0);
}

#[tokio::test]
async fn given_a_locked_user_when_the_right_password_is_checked_then_it_is_refused() {
    ada(vec![
        password("Secret-1").await,
        event(&user_ref("user-1"), &UserLocked {}),
    ])
    .when(check("Secret-1"))
    .await
    .then_error("FAILED_PRECONDITION", "the user is locked");
}

/// `e` as the store would return it.
fn stored((aggregate, e): (AggregateRef, NewEvent)) -> Event {
    Event {
        position: crate::eventstore::Position::ZERO,
        aggregate,
        sequence: 1,
        event_type: e.event_type,
        revision: e.revision,
        payload: e.payload,
        creator: e.creator,
        created_at: Utc::now(),
    }
}

#[tokio::test]
async fn given_a_phone_when_its_code_is_added_and_typed_then_the_phone_is_verified() {
    let phone = event(
        &user_ref("user-1"),
        &HumanPhoneChanged {
            phone: "+41791234567".into(),
            verified: false,
        },
    );
    let cmd = AddCodeCommand::new("user-1", Contact::Phone, false, CODES);
    let decision = ada(vec![phone.clone()]).when(cmd.clone()).await.decision();
    assert_eq!(decision.events[0].event_type, PhoneCodeAdded::TYPE);
    let added = (user_ref("user-1"), decision.events[0].clone());
    ada(vec![phone, added])
        .when(VerifyCommand::new(
            "user-1",
            Contact::Phone,
            cmd.code().to_owned(),
            CODES,
        ))
        .await
        .then(vec![expected(&HumanPhoneVerified {})]);
}

#[tokio::test]
async fn given_no_phone_when_a_phone_code_is_asked_then_there_is_no_number() {
    ada(vec![])
        .when(AddCodeCommand::new("user-1", Contact::Phone, false, CODES))
        .await
        .then_error("FAILED_PRECONDITION", "the user has no phone number");
}
