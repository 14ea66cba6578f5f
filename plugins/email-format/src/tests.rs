//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{AddHumanUser, ChangeHumanEmail, Email};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::EmailFormat;

fn add_user(address: &str) -> Command {
    Command::from_payload(&AddHumanUser {
        username: "ada".to_owned(),
        email: Email {
            address: address.to_owned(),
            verified: false,
        },
        ..AddHumanUser::default()
    })
}

fn change_email(address: &str) -> Command {
    Command::from_payload(&ChangeHumanEmail {
        address: address.to_owned(),
        verified: false,
    })
}

fn validate(harness: &Harness, command: &Command) -> Result<(), Rejection> {
    harness.validate::<EmailFormat>(command, &State::new())
}

#[test]
fn given_defaults_when_the_address_is_plain_then_it_is_allowed() {
    let harness = Harness::new();
    for address in [
        "ada@example.com",
        "ada.l+tag@mail.example.co.uk",
        "A_D-A@Example.ORG",
    ] {
        assert_eq!(validate(&harness, &add_user(address)), Ok(()), "{address}");
    }
}

#[test]
fn given_defaults_when_the_address_is_malformed_then_it_is_invalid() {
    let harness = Harness::new();
    for address in [
        "",
        "ada",
        "@example.com",
        "ada@",
        "ada@@example.com",
        "a@b@example.com",
        "ada lovelace@example.com",
        ".ada@example.com",
        "ada..l@example.com",
        "ada@localhost",
        "ada@-example.com",
        "ada@exa_mple.com",
        "ada@example..com",
    ] {
        let rejection = validate(&harness, &add_user(address)).unwrap_err();
        assert_eq!(rejection.code, "EMAIL_INVALID", "{address:?}");
    }
}

#[test]
fn given_defaults_when_the_address_has_no_at_then_the_message_says_so() {
    let rejection = validate(&Harness::new(), &change_email("ada.example.com")).unwrap_err();
    assert_eq!(
        rejection.message,
        "the e-mail address is not valid: it has no @"
    );
}

#[test]
fn given_an_allow_list_when_the_domain_is_not_on_it_then_it_is_not_allowed() {
    let harness = Harness::new().config(json!({ "allowedDomains": ["example.com"] }));
    assert_eq!(validate(&harness, &add_user("ada@example.com")), Ok(()));
    assert_eq!(
        validate(&harness, &add_user("ada@Mail.Example.com")),
        Ok(())
    );
    let rejection = validate(&harness, &add_user("ada@example.org")).unwrap_err();
    assert_eq!(rejection.code, "EMAIL_DOMAIN_NOT_ALLOWED");
    assert_eq!(
        rejection.message,
        "e-mail addresses at example.org are not allowed"
    );
}

#[test]
fn given_an_allow_list_when_a_domain_only_ends_like_an_entry_then_it_is_not_allowed() {
    let harness = Harness::new().config(json!({ "allowedDomains": ["example.com"] }));
    let rejection = validate(&harness, &add_user("ada@badexample.com")).unwrap_err();
    assert_eq!(rejection.code, "EMAIL_DOMAIN_NOT_ALLOWED");
}

#[test]
fn given_a_block_list_when_the_domain_or_a_subdomain_is_on_it_then_it_is_not_allowed() {
    let harness = Harness::new().config(json!({
        "allowedDomains": ["example.com"], "blockedDomains": ["spam.example.com"]
    }));
    assert_eq!(validate(&harness, &change_email("ada@example.com")), Ok(()));
    for address in ["ada@spam.example.com", "ada@x.SPAM.example.com"] {
        let rejection = validate(&harness, &change_email(address)).unwrap_err();
        assert_eq!(rejection.code, "EMAIL_DOMAIN_NOT_ALLOWED", "{address}");
    }
}

#[test]
fn given_a_malformed_payload_when_validated_then_the_payload_is_invalid() {
    let command = Command::new(ChangeHumanEmail::NAME).with_raw_payload("{}");
    assert_eq!(
        validate(&Harness::new(), &command).unwrap_err().code,
        "INVALID_PAYLOAD"
    );
}

#[test]
fn given_the_manifest_when_read_then_it_handles_both_email_commands() {
    let manifest = EmailFormat::manifest();
    assert_eq!(manifest.name, "email-format");
    assert!(manifest.is_handled(AddHumanUser::NAME));
    assert!(manifest.is_handled(ChangeHumanEmail::NAME));
}
