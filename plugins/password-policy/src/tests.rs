//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    AddHumanUser, ChangeHumanProfile, ResetPassword, SetHumanPassword,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::PasswordPolicy;

fn set_password(password: &str) -> Command {
    Command::from_payload(&SetHumanPassword {
        password: password.to_owned(),
    })
}

fn add_user(password: Option<&str>) -> Command {
    Command::from_payload(&AddHumanUser {
        username: "ada".to_owned(),
        password: password.map(str::to_owned),
        ..AddHumanUser::default()
    })
}

fn validate(harness: &Harness, command: &Command) -> Result<(), Rejection> {
    harness.validate::<PasswordPolicy>(command, &State::new())
}

fn rejection_code(harness: &Harness, command: &Command) -> String {
    validate(harness, command)
        .expect_err("expected a rejection")
        .code
}

#[test]
fn given_defaults_when_the_password_is_strong_then_it_is_allowed() {
    assert_eq!(
        validate(&Harness::new(), &set_password("Correct1Horse")),
        Ok(())
    );
}

#[test]
fn given_defaults_when_the_password_is_short_then_it_is_too_short() {
    let rejection = validate(&Harness::new(), &set_password("Ab1")).unwrap_err();
    assert_eq!(rejection.code, "PASSWORD_TOO_SHORT");
    assert_eq!(
        rejection.message,
        "the password must be at least 8 characters long"
    );
}

#[test]
fn given_defaults_when_the_password_exceeds_72_characters_then_it_is_too_long() {
    let password = format!("Ab1{}", "x".repeat(70));
    assert_eq!(
        rejection_code(&Harness::new(), &set_password(&password)),
        "PASSWORD_TOO_LONG"
    );
}

#[test]
fn given_defaults_when_a_character_class_is_missing_then_it_is_named() {
    let harness = Harness::new();
    assert_eq!(
        rejection_code(&harness, &set_password("lowercase1")),
        "PASSWORD_MISSING_UPPERCASE"
    );
    assert_eq!(
        rejection_code(&harness, &set_password("UPPERCASE1")),
        "PASSWORD_MISSING_LOWERCASE"
    );
    assert_eq!(
        rejection_code(&harness, &set_password("NoNumberHere")),
        "PASSWORD_MISSING_NUMBER"
    );
}

#[test]
fn given_symbols_required_when_the_password_has_none_then_the_symbol_is_missing() {
    let harness = with_rules(json!({ "requireSymbol": true }));
    assert_eq!(
        rejection_code(&harness, &set_password("Correct1Horse")),
        "PASSWORD_MISSING_SYMBOL"
    );
    assert_eq!(validate(&harness, &set_password("Correct1Horse!")), Ok(()));
}

#[test]
fn given_a_custom_minimum_when_the_password_is_shorter_then_the_message_names_it() {
    let harness = with_rules(json!({ "minLength": 12 }));
    let rejection = validate(&harness, &set_password("Correct1Hor")).unwrap_err();
    assert_eq!(
        rejection.message,
        "the password must be at least 12 characters long"
    );
}

#[test]
fn given_every_class_rule_off_when_the_password_is_plain_then_it_is_allowed() {
    let harness = with_rules(json!({
        "requireUppercase": false, "requireLowercase": false, "requireNumber": false
    }));
    assert_eq!(validate(&harness, &set_password("aaaaaaaa")), Ok(()));
}

#[test]
fn given_defaults_when_lengths_are_counted_then_characters_count_not_bytes() {
    assert_eq!(validate(&Harness::new(), &set_password("Äöüßéè1x")), Ok(()));
}

#[test]
fn given_a_user_added_without_password_when_validated_then_it_is_allowed() {
    assert_eq!(validate(&Harness::new(), &add_user(None)), Ok(()));
}

#[test]
fn given_a_user_added_with_a_weak_password_when_validated_then_it_is_rejected() {
    assert_eq!(
        rejection_code(&Harness::new(), &add_user(Some("weak"))),
        "PASSWORD_TOO_SHORT"
    );
}

#[test]
fn given_any_weak_password_when_rejected_then_the_message_never_echoes_it() {
    let harness = with_rules(json!({ "requireSymbol": true }));
    for password in [
        "Zq9",
        "zq9secretpw",
        "ZQ9SECRETPW",
        "ZqSecretPw",
        "Zq9SecretPw",
        &"Zq9!".repeat(20),
    ] {
        let rejection = validate(&harness, &set_password(password)).unwrap_err();
        assert!(
            !rejection.message.contains(password),
            "{} echoes the password",
            rejection.code
        );
    }
}

#[test]
fn given_a_malformed_payload_when_validated_then_the_payload_is_invalid() {
    let command = Command::new(SetHumanPassword::NAME).with_raw_payload(r#"{"pass": 1}"#);
    assert_eq!(rejection_code(&Harness::new(), &command), "INVALID_PAYLOAD");
}

#[test]
fn given_settings_of_the_wrong_shape_when_validated_then_the_config_is_invalid() {
    let harness = with_rules(json!({ "minLength": "eight" }));
    assert_eq!(
        rejection_code(&harness, &set_password("Correct1Horse")),
        "CONFIG_INVALID"
    );
}

#[test]
fn given_an_unrelated_command_when_validated_then_the_policy_does_not_run() {
    let command = Command::from_payload(&ChangeHumanProfile::default());
    assert_eq!(validate(&Harness::new(), &command), Ok(()));
}

#[test]
fn given_the_manifest_when_read_then_it_names_the_plugin_and_asks_for_config_and_secrets() {
    let manifest = PasswordPolicy::manifest();
    assert_eq!(manifest.name, "password-policy");
    // The plaintext password is a secret field: without the grant the host
    // hands it over as "<redacted>".
    assert_eq!(
        manifest.capabilities,
        [Capability::Config, Capability::Secrets]
    );
}

/// A harness serving `rules` as the password complexity settings in effect.
fn with_rules(rules: serde_json::Value) -> Harness {
    Harness::new().config(json!({ "settings": { "passwordComplexity": rules } }))
}

#[test]
fn given_a_reset_with_a_weak_password_when_validated_then_it_is_rejected() {
    let command = Command::from_payload(&ResetPassword {
        code: "ABCD2345".into(),
        password: "weak".into(),
    });
    assert_eq!(
        rejection_code(&Harness::new(), &command),
        "PASSWORD_TOO_SHORT"
    );
}
