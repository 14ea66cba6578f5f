//! Given/when/then tests of second factors: TOTP registration,
//! verification, removal and checks (replays refused, failures counted
//! toward `maxOtpAttempts`), and recovery codes.

use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use rampart_plugin_sdk::catalogue::{
    CheckTotp, InstanceSettingsSet, LockoutSettings, MachineUserAdded, RecoveryCodeCheckFailed,
    RecoveryCodeUsed, RecoveryCodesGenerated, SettingsValue, TotpAdded, TotpCheckFailed,
    TotpCheckSucceeded, TotpRemoved, TotpVerified, UserLocked, UserUnlocked, VerifyTotp,
};

use super::model::UserModel;
use super::recovery::{CheckRecoveryCodeCommand, GenerateRecoveryCodesCommand};
use super::totp::{
    CheckTotpCommand, RegisterTotpCommand, RemoveTotpCommand, TOTP_SECRET, VerifyTotpCommand,
};
use crate::auth::{recovery, totp};
use crate::command::testing::fixtures::{
    instance_added, instance_ref, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, event, expected, given, stored};
use crate::command::write_model::WriteModel;
use crate::eventstore::{AggregateRef, NewEvent};
use crate::masterkey::{Keyring, MasterKey};

/// The keyring every test seals and opens with.
static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let key = MasterKey::from_text("Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe", "test").unwrap();
    Keyring::derive(&key, &[], b"0123456789abcdef")
});

/// The secret of every registered TOTP.
const SECRET: [u8; totp::SECRET_BYTES] = *b"12345678901234567890";

/// When codes are checked.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap()
}

/// The step of [`now`].
fn step() -> u64 {
    totp::step_at(now().timestamp())
}

/// The code of [`SECRET`] at `step`.
fn code(step: u64) -> String {
    totp::code(&SECRET, step)
}

/// A code that is none of [`SECRET`]'s within the skew of [`now`].
fn wrong_code() -> String {
    let near: Vec<String> = (step() - 1..=step() + 1).map(code).collect();
    ["123456", "654321"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap()
        .to_owned()
}

/// Org-1 with user-1 "ada" and `more` events.
fn ada(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.extend(more);
    given(history)
}

/// Ada's TOTP of [`SECRET`], pending.
fn pending() -> Vec<(AggregateRef, NewEvent)> {
    let sealed = KEYRING.seal(TOTP_SECRET, "instance-1/user-1", &SECRET);
    vec![event(&user_ref("user-1"), &TotpAdded { secret: sealed })]
}

/// Ada's TOTP, verified with the code of `step`.
fn verified_at(step: u64) -> Vec<(AggregateRef, NewEvent)> {
    let mut events = pending();
    events.push(event(&user_ref("user-1"), &TotpVerified { step }));
    events
}

/// Ada's TOTP, verified a while ago.
fn verified() -> Vec<(AggregateRef, NewEvent)> {
    verified_at(step() - 10)
}

fn check(code: String) -> CheckTotpCommand {
    CheckTotpCommand::new("user-1", CheckTotp { code }, KEYRING.clone(), now())
}

fn lockout(attempts: u32) -> SettingsValue {
    SettingsValue::Lockout(LockoutSettings {
        max_otp_attempts: attempts,
        ..LockoutSettings::default()
    })
}

#[tokio::test]
async fn given_a_user_when_registering_then_the_secret_is_stored_sealed_and_shown_once() {
    let secret = totp::new_secret();
    let sealed = KEYRING.seal(TOTP_SECRET, "instance-1/user-1", &secret);
    let cmd = RegisterTotpCommand::new("user-1", secret, sealed.clone());
    assert!(!format!("{cmd:?}").contains(&totp::base32(&secret)));
    let decision = ada(vec![])
        .when_ref(&cmd)
        .await
        .then(vec![expected(&TotpAdded {
            secret: sealed.clone(),
        })]);
    assert!(
        !decision.events[0]
            .payload
            .to_string()
            .contains(&totp::base32(&secret))
    );
    let opened = KEYRING
        .open(TOTP_SECRET, "instance-1/user-1", &sealed)
        .unwrap();
    assert_eq!(opened, secret);
    let (uri, shown) = cmd.shown().unwrap();
    assert_eq!(shown, totp::base32(&secret));
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Rampart:ada?secret={shown}&issuer=Rampart\
             &algorithm=SHA1&digits=6&period=30"
        )
    );
    // Pending: registering again replaces it.
    ada(pending())
        .when(RegisterTotpCommand::new("user-1", secret, sealed.clone()))
        .await
        .then(vec![expected(&TotpAdded { secret: sealed })]);
}

#[tokio::test]
async fn given_a_verified_totp_or_a_machine_when_registering_then_it_is_refused() {
    let cmd = || RegisterTotpCommand::new("user-1", SECRET, "sealed".into());
    ada(verified())
        .when(cmd())
        .await
        .then_error("FAILED_PRECONDITION", "remove it");
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(event(
        &user_ref("user-1"),
        &MachineUserAdded {
            org_id: "org-1".into(),
            username: "ci".into(),
            name: "CI".into(),
            ..MachineUserAdded::default()
        },
    ));
    given(history)
        .when(cmd())
        .await
        .then_error("FAILED_PRECONDITION", "machine user");
}

#[tokio::test]
async fn given_a_pending_totp_when_verified_right_then_it_records_the_step_and_wrong_then_mismatch()
{
    let verify = |code: String| {
        VerifyTotpCommand::new("user-1", VerifyTotp { code }, KEYRING.clone(), now())
    };
    ada(pending())
        .when(verify(code(step() - 1)))
        .await
        .then(vec![expected(&TotpVerified { step: step() - 1 })]);
    ada(pending())
        .when(verify(wrong_code()))
        .await
        .then_error("TOTP_INVALID", "the TOTP code is wrong");
    ada(vec![])
        .when(verify(code(step())))
        .await
        .then_error("FAILED_PRECONDITION", "no TOTP registration");
    ada(verified())
        .when(verify(code(step())))
        .await
        .then_error("FAILED_PRECONDITION", "verified already");
}

#[tokio::test]
async fn given_a_verified_totp_when_checked_then_a_current_code_passes_once() {
    ada(verified())
        .when(check(code(step())))
        .await
        .then(vec![expected(&TotpCheckSucceeded { step: step() })]);
    // The code that verified the TOTP, and any earlier one, never passes.
    let decision = ada(verified_at(step()))
        .when(check(code(step())))
        .await
        .then(vec![expected(&TotpCheckFailed {})]);
    assert_eq!(
        decision.mismatch,
        Some((
            "TOTP_INVALID",
            "the TOTP code is wrong or was used already".into()
        ))
    );
    let mut history = verified();
    history.push(event(
        &user_ref("user-1"),
        &TotpCheckSucceeded { step: step() + 1 },
    ));
    ada(history)
        .when(check(code(step())))
        .await
        .then(vec![expected(&TotpCheckFailed {})]);
}

#[tokio::test]
async fn given_no_verified_totp_when_checked_then_it_is_a_failed_precondition() {
    for history in [vec![], pending()] {
        ada(history)
            .when(check(code(step())))
            .await
            .then_error("FAILED_PRECONDITION", "no verified TOTP");
    }
}

#[tokio::test]
async fn given_a_lockout_of_two_otp_attempts_when_the_second_code_in_a_row_fails_then_the_user_is_locked()
 {
    let mut history = vec![event(&instance_ref(), &InstanceSettingsSet(lockout(2)))];
    history.extend(verified());
    ada(history.clone())
        .when(check(wrong_code()))
        .await
        .then(vec![expected(&TotpCheckFailed {})]);
    history.push(event(&user_ref("user-1"), &TotpCheckFailed {}));
    let decision = ada(history.clone())
        .when(check(wrong_code()))
        .await
        .then(vec![
            expected(&TotpCheckFailed {}),
            expected(&UserLocked {}),
        ]);
    assert_eq!(
        decision.mismatch.map(|(code, _)| code),
        Some("TOTP_INVALID")
    );
    // A recovery code failure counts toward the same limit.
    history.push(event(
        &user_ref("user-1"),
        &RecoveryCodesGenerated {
            code_hashes: vec![recovery::hash("AAAA-BBBB-CCCC-DDDD")],
        },
    ));
    ada(history.clone())
        .when(CheckRecoveryCodeCommand::new("user-1", "WRONG".into()))
        .await
        .then(vec![
            expected(&RecoveryCodeCheckFailed {}),
            expected(&UserLocked {}),
        ]);
    // A passing code starts the count over.
    history.push(event(
        &user_ref("user-1"),
        &TotpCheckSucceeded { step: step() - 5 },
    ));
    ada(history)
        .when(check(wrong_code()))
        .await
        .then(vec![expected(&TotpCheckFailed {})]);
}

#[tokio::test]
async fn given_a_locked_user_when_checked_then_it_is_refused_before_the_code() {
    let mut history = verified();
    history.push(event(&user_ref("user-1"), &UserLocked {}));
    ada(history)
        .when(check(code(step())))
        .await
        .then_error("FAILED_PRECONDITION", "the user is locked");
}

#[tokio::test]
async fn given_a_totp_when_removed_then_it_and_its_recovery_codes_are_gone() {
    ada(verified())
        .when(RemoveTotpCommand::new("user-1"))
        .await
        .then(vec![expected(&TotpRemoved {})]);
    ada(vec![])
        .when(RemoveTotpCommand::new("user-1"))
        .await
        .then_error("FAILED_PRECONDITION", "no TOTP");
    let mut history = vec![user_added("user-1", "org-1", "ada")];
    history.extend(verified());
    history.push(event(
        &user_ref("user-1"),
        &RecoveryCodesGenerated {
            code_hashes: vec![recovery::hash("AAAA")],
        },
    ));
    history.push(event(&user_ref("user-1"), &TotpCheckFailed {}));
    let mut model = UserModel::default();
    for e in stored(history.clone()) {
        model.apply(&e);
    }
    assert_eq!(model.recovery_codes.left(), 1);
    assert_eq!(model.otp_failures, 1);
    assert!(model.verified_totp().is_some());
    let json = serde_json::to_string(&model).unwrap();
    assert!(
        !json.contains("v1:"),
        "validators never see the secret: {json}"
    );
    for e in stored(vec![
        event(&user_ref("user-1"), &UserUnlocked {}),
        event(&user_ref("user-1"), &TotpRemoved {}),
    ]) {
        model.apply(&e);
    }
    assert_eq!(model.otp_failures, 0);
    assert_eq!(model.totp, None);
    assert_eq!(model.recovery_codes.left(), 0);
}

#[tokio::test]
async fn given_a_verified_totp_when_recovery_codes_are_generated_then_only_their_hashes_are_stored()
{
    let codes = recovery::generate();
    let decision = ada(verified())
        .when(GenerateRecoveryCodesCommand::new("user-1", codes.clone()))
        .await
        .then(vec![expected(&RecoveryCodesGenerated {
            code_hashes: codes.hashes.clone(),
        })]);
    let stored = decision.events[0].payload.to_string();
    assert!(codes.plain.iter().all(|c| !stored.contains(c.as_str())));
    for history in [vec![], pending()] {
        ada(history)
            .when(GenerateRecoveryCodesCommand::new("user-1", codes.clone()))
            .await
            .then_error("FAILED_PRECONDITION", "no verified TOTP");
    }
}

#[tokio::test]
async fn given_recovery_codes_when_one_is_checked_then_it_passes_once() {
    let codes = recovery::generate();
    let mut history = verified();
    history.push(event(
        &user_ref("user-1"),
        &RecoveryCodesGenerated {
            code_hashes: codes.hashes.clone(),
        },
    ));
    let typed = codes.plain[4].to_lowercase();
    ada(history.clone())
        .when(CheckRecoveryCodeCommand::new("user-1", typed.clone()))
        .await
        .then(vec![expected(&RecoveryCodeUsed { index: 4 })]);
    history.push(event(&user_ref("user-1"), &RecoveryCodeUsed { index: 4 }));
    let decision = ada(history.clone())
        .when(CheckRecoveryCodeCommand::new("user-1", typed))
        .await
        .then(vec![expected(&RecoveryCodeCheckFailed {})]);
    assert_eq!(
        decision.mismatch.map(|(code, _)| code),
        Some("RECOVERY_CODE_INVALID")
    );
    ada(verified())
        .when(CheckRecoveryCodeCommand::new(
            "user-1",
            codes.plain[0].clone(),
        ))
        .await
        .then_error("FAILED_PRECONDITION", "no unused recovery codes");
}

#[tokio::test]
async fn given_a_secret_sealed_with_the_previous_masterkey_when_resealed_then_it_opens_with_the_new_one()
 {
    use crate::eventstore::{ExpectedSequence, Push};
    let (_commands, store, _dir) =
        crate::command::testing::sqlite_commands(crate::command::testing::no_plugins()).await;
    let user = crate::eventstore::AggregateRef::new("i-1", "user", "u-1");
    let sealed = KEYRING.seal(TOTP_SECRET, "i-1/u-1", &SECRET);
    let events = [
        event(&user, &TotpAdded { secret: sealed }).1,
        event(&user, &TotpVerified { step: 7 }).1,
    ];
    store
        .push(Push::new(
            user.clone(),
            ExpectedSequence::Exact(0),
            events.to_vec(),
        ))
        .await
        .unwrap();
    let new = MasterKey::from_text("pR8sK2mN6vX0cQ4wE9tY3uI7oA1dF5gH", "test").unwrap();
    let old = MasterKey::from_text("Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe", "test").unwrap();
    let rotating = Keyring::derive(&new, &[old], b"0123456789abcdef");
    assert_eq!(
        super::totp::reseal(store.as_ref(), &rotating)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        super::totp::reseal(store.as_ref(), &rotating)
            .await
            .unwrap(),
        0
    );
    let events = store
        .query(&crate::eventstore::EventQuery::aggregate(&user))
        .await
        .unwrap();
    let model = crate::command::write_model::fold::<UserModel>(&events).model;
    let totp = model.verified_totp().expect("still verified");
    assert!(rotating.sealed_with_current(&totp.sealed));
    let new_only = Keyring::derive(&new, &[], b"0123456789abcdef");
    assert_eq!(
        new_only.open(TOTP_SECRET, "i-1/u-1", &totp.sealed).unwrap(),
        SECRET
    );
    assert_eq!(totp.last_step, Some(7));
}
