//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::MetadataClaims;

fn harness() -> Harness {
    Harness::new().config(json!({
        "claims": { "department": "department", "groups": "groups", "badge": "badge" }
    }))
}

#[test]
fn given_metadata_when_claims_are_complemented_then_configured_keys_become_claims() {
    let login = LoginContext::new("ada")
        .with_user("u1")
        .with_metadata("department", "research")
        .with_metadata("groups", r#"["ops","dev"]"#)
        .with_metadata("unlisted", "secret");
    let mut claims = harness().complement_claims::<MetadataClaims>(&login, &[]);
    claims.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        claims,
        vec![
            Claim::string("department", "research"),
            Claim::new("groups", &json!(["ops", "dev"])),
        ]
    );
}

#[test]
fn given_a_value_that_is_not_text_when_complemented_then_it_adds_nothing() {
    let login = LoginContext::new("ada")
        .with_user("u1")
        .with_metadata("badge", vec![0xff, 0xfe]);
    assert_eq!(
        harness().complement_claims::<MetadataClaims>(&login, &[]),
        vec![]
    );
}

#[test]
fn given_no_configuration_when_complemented_then_nothing_is_added() {
    let login = LoginContext::new("ada").with_metadata("department", "research");
    assert_eq!(
        Harness::new().complement_claims::<MetadataClaims>(&login, &[]),
        vec![]
    );
}
