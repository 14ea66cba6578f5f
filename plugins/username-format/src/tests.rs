//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::AddHumanUser;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::UsernameFormat;

fn add_user(username: &str) -> Command {
    Command::from_payload(&AddHumanUser {
        username: username.to_owned(),
        ..AddHumanUser::default()
    })
}

fn validate(harness: &Harness, username: &str) -> Result<(), Rejection> {
    harness.validate::<UsernameFormat>(&add_user(username), &State::new())
}

fn rejection_code(harness: &Harness, username: &str) -> String {
    validate(harness, username)
        .expect_err("expected a rejection")
        .code
}

#[test]
fn given_defaults_when_the_username_uses_letters_digits_and_separators_then_it_is_allowed() {
    let harness = Harness::new();
    for username in [
        "ada",
        "ada.lovelace",
        "ada-l_1",
        "ada@example.com",
        "ada+test@x.io",
        "jörg",
    ] {
        assert_eq!(validate(&harness, username), Ok(()), "{username}");
    }
}

#[test]
fn given_defaults_when_the_username_is_short_then_it_is_too_short() {
    let rejection = validate(&Harness::new(), "ab").unwrap_err();
    assert_eq!(rejection.code, "USERNAME_TOO_SHORT");
    assert_eq!(
        rejection.message,
        "the username must be at least 3 characters long"
    );
}

#[test]
fn given_defaults_when_the_username_exceeds_200_characters_then_it_is_too_long() {
    assert_eq!(
        rejection_code(&Harness::new(), &"a".repeat(201)),
        "USERNAME_TOO_LONG"
    );
    assert_eq!(validate(&Harness::new(), &"a".repeat(200)), Ok(()));
}

#[test]
fn given_defaults_when_the_username_has_other_characters_then_it_is_invalid() {
    let harness = Harness::new();
    for username in ["ada lovelace", "ada/l", "ada#1", "ada\u{0}x", "a:da"] {
        assert_eq!(
            rejection_code(&harness, username),
            "USERNAME_INVALID",
            "{username:?}"
        );
    }
}

#[test]
fn given_defaults_when_a_separator_leads_or_trails_then_it_is_invalid() {
    let harness = Harness::new();
    for username in [".ada", "ada.", "-ada", "ada_", "@ada", "ada+"] {
        let rejection = validate(&harness, username).unwrap_err();
        assert_eq!(rejection.code, "USERNAME_INVALID", "{username}");
        assert_eq!(
            rejection.message,
            "the username must not start or end with . - _ @ +"
        );
    }
}

#[test]
fn given_a_custom_range_when_the_username_is_outside_then_the_message_names_the_bound() {
    let harness = Harness::new().config(json!({ "minLength": 5, "maxLength": 6 }));
    assert_eq!(
        validate(&harness, "adam").unwrap_err().message,
        "the username must be at least 5 characters long"
    );
    assert_eq!(
        validate(&harness, "adalove").unwrap_err().message,
        "the username must be at most 6 characters long"
    );
    assert_eq!(validate(&harness, "adalo"), Ok(()));
}

#[test]
fn given_a_malformed_payload_when_validated_then_the_payload_is_invalid() {
    let command = Command::new(AddHumanUser::NAME).with_raw_payload("[]");
    let result = Harness::new().validate::<UsernameFormat>(&command, &State::new());
    assert_eq!(result.unwrap_err().code, "INVALID_PAYLOAD");
}

#[test]
fn given_the_manifest_when_read_then_it_handles_only_user_human_add() {
    let manifest = UsernameFormat::manifest();
    assert_eq!(manifest.name, "username-format");
    assert_eq!(manifest.handles, [AddHumanUser::NAME]);
}

#[test]
fn given_login_names_must_carry_the_org_domain_when_the_username_has_an_at_then_it_is_refused() {
    let harness = Harness::new().config(json!({
        "settings": { "domain": { "userLoginMustBeDomain": true } }
    }));
    assert_eq!(
        rejection_code(&harness, "ada@elsewhere.example"),
        "USERNAME_HAS_DOMAIN"
    );
    assert_eq!(validate(&harness, "ada.lovelace"), Ok(()));
}
