//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::RequireTotpForRoles;

fn harness() -> Harness {
    Harness::new().config(json!({ "roles": ["IAM_OWNER", "p1:admin"] }))
}

fn after(harness: &Harness, login: &LoginContext) -> AuthDecision {
    harness.after_authentication::<RequireTotpForRoles>(login)
}

#[test]
fn given_a_holder_of_a_listed_role_when_only_the_password_passed_then_totp_is_required() {
    let login = LoginContext::new("ada")
        .with_user("u1")
        .with_auth_method("password");
    for role in ["IAM_OWNER", "p1:admin"] {
        let login = login.clone().with_role(role);
        assert_eq!(
            after(&harness(), &login),
            AuthDecision::RequireSecondFactor,
            "{role}"
        );
    }
}

#[test]
fn given_a_holder_of_a_listed_role_when_totp_passed_then_the_login_goes_on() {
    let login = LoginContext::new("ada")
        .with_user("u1")
        .with_role("IAM_OWNER")
        .with_auth_method("password")
        .with_auth_method("totp");
    assert_eq!(after(&harness(), &login), AuthDecision::Allow);
}

#[test]
fn given_other_roles_or_none_when_the_password_passed_then_the_login_goes_on() {
    let login = LoginContext::new("bob")
        .with_user("u2")
        .with_role("p1:reader")
        .with_role("p2:admin")
        .with_auth_method("password");
    assert_eq!(after(&harness(), &login), AuthDecision::Allow);
    assert_eq!(
        after(&Harness::new(), &login.with_role("IAM_OWNER")),
        AuthDecision::Allow,
        "no roles configured: nobody is asked"
    );
}

#[test]
fn given_a_configuration_it_cannot_read_when_called_then_it_denies() {
    let harness = Harness::new().config(json!({ "role": ["IAM_OWNER"] }));
    let login = LoginContext::new("ada").with_user("u1");
    let AuthDecision::Deny(message) = after(&harness, &login) else {
        panic!("a broken configuration must deny");
    };
    assert!(message.contains("misconfigured"), "{message}");
}
