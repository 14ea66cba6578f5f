//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::AddProjectRole;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::RoleKeyFormat;

fn validate(harness: &Harness, key: &str) -> Result<(), Rejection> {
    let command = Command::from_payload(&AddProjectRole {
        key: key.to_owned(),
        display_name: "Role".into(),
        group: String::new(),
    });
    harness.validate::<RoleKeyFormat>(&command, &State::new())
}

fn code(harness: &Harness, key: &str) -> String {
    validate(harness, key)
        .expect_err("expected a rejection")
        .code
}

#[test]
fn given_defaults_when_keys_are_dotted_lowercase_segments_then_they_are_allowed() {
    let harness = Harness::new();
    for key in ["admin", "billing.admin", "shop:reader", "a-b_c.2"] {
        assert_eq!(validate(&harness, key), Ok(()), "{key}");
    }
}

#[test]
fn given_defaults_when_keys_break_the_format_then_each_is_rejected_by_its_rule() {
    let harness = Harness::new();
    for key in ["Admin", "billing..admin", ".admin", "admin:", "rôle", "a b"] {
        assert_eq!(code(&harness, key), "ROLE_KEY_INVALID", "{key}");
    }
    assert_eq!(code(&harness, &"a".repeat(101)), "ROLE_KEY_TOO_LONG");
    let message = validate(&harness, "Admin").unwrap_err().message;
    assert!(message.contains("'A'"), "{message}");
}

#[test]
fn given_a_config_when_it_allows_uppercase_and_longer_keys_then_they_pass() {
    let harness = Harness::new().config(json!({ "maxLength": 300, "allowUppercase": true }));
    assert_eq!(validate(&harness, "Billing.Admin"), Ok(()));
    assert_eq!(validate(&harness, &"a".repeat(300)), Ok(()));
    assert_eq!(code(&harness, "a!"), "ROLE_KEY_INVALID");
}
