//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{AddOrg, AddOrgDomain, VerifyOrgDomain};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::OrgDomainPolicy;

fn add_domain(domain: &str) -> Command {
    Command::from_payload(&AddOrgDomain {
        domain: domain.to_owned(),
    })
}

fn validate(harness: &Harness, command: &Command) -> Result<(), Rejection> {
    harness.validate::<OrgDomainPolicy>(command, &State::new())
}

fn rejection(harness: &Harness, domain: &str) -> Rejection {
    validate(harness, &add_domain(domain)).expect_err("expected a rejection")
}

#[test]
fn given_defaults_when_the_domain_is_a_lowercase_dns_name_then_it_is_allowed() {
    let harness = Harness::new();
    for domain in ["acme.example", "a.b.c", "x-1.acme.io", "123.example.com"] {
        assert_eq!(validate(&harness, &add_domain(domain)), Ok(()), "{domain}");
    }
}

#[test]
fn given_defaults_when_the_domain_breaks_dns_rules_then_it_is_invalid() {
    let harness = Harness::new();
    for domain in [
        "",
        "acme",
        "Acme.example",
        "acme..example",
        ".acme.example",
        "acme.example.",
        "-acme.example",
        "acme-.example",
        "ac_me.example",
        "acme example.com",
        "bücher.example",
    ] {
        assert_eq!(
            rejection(&harness, domain).code,
            "ORG_DOMAIN_INVALID",
            "{domain:?}"
        );
    }
}

#[test]
fn given_defaults_when_a_label_has_64_characters_then_it_is_invalid() {
    let harness = Harness::new();
    assert_eq!(
        validate(
            &harness,
            &add_domain(&format!("{}.example", "a".repeat(63)))
        ),
        Ok(())
    );
    let rejection = rejection(&harness, &format!("{}.example", "a".repeat(64)));
    assert_eq!(rejection.code, "ORG_DOMAIN_INVALID");
    assert_eq!(
        rejection.message,
        "the domain is not valid: each part between dots must have 1 to 63 characters"
    );
}

#[test]
fn given_a_max_length_when_the_domain_is_longer_then_it_is_invalid() {
    let harness = Harness::new().config(json!({ "maxLength": 10 }));
    assert_eq!(
        rejection(&harness, "abcdef.example").code,
        "ORG_DOMAIN_INVALID"
    );
    assert_eq!(validate(&harness, &add_domain("ab.example")), Ok(()));
}

#[test]
fn given_allowed_suffixes_when_the_domain_has_none_of_them_then_it_is_not_allowed() {
    let harness =
        Harness::new().config(json!({ "allowedSuffixes": ["example.com", ".corp.test"] }));
    assert_eq!(validate(&harness, &add_domain("acme.example.com")), Ok(()));
    assert_eq!(validate(&harness, &add_domain("corp.test")), Ok(()));
    for domain in ["acme.example.org", "badexample.com"] {
        assert_eq!(
            rejection(&harness, domain).code,
            "ORG_DOMAIN_NOT_ALLOWED",
            "{domain}"
        );
    }
}

#[test]
fn given_blocked_domains_when_the_domain_or_a_subdomain_is_claimed_then_it_is_not_allowed() {
    let harness = Harness::new().config(json!({ "blockedDomains": ["example.com"] }));
    for domain in ["example.com", "acme.example.com"] {
        let rejection = rejection(&harness, domain);
        assert_eq!(rejection.code, "ORG_DOMAIN_NOT_ALLOWED", "{domain}");
        assert_eq!(
            rejection.message,
            format!("{domain} may not be claimed by an organization")
        );
    }
    assert_eq!(validate(&harness, &add_domain("example.org")), Ok(()));
}

#[test]
fn given_an_org_added_with_a_domain_when_validated_then_the_domain_is_checked() {
    let command = Command::from_payload(&AddOrg {
        name: "ACME".to_owned(),
        domain: Some("ACME.example".to_owned()),
    });
    assert_eq!(
        validate(&Harness::new(), &command).unwrap_err().code,
        "ORG_DOMAIN_INVALID"
    );
}

#[test]
fn given_an_org_added_without_a_domain_when_validated_then_it_is_allowed() {
    let command = Command::from_payload(&AddOrg {
        name: "ACME".to_owned(),
        domain: None,
    });
    assert_eq!(validate(&Harness::new(), &command), Ok(()));
}

#[test]
fn given_a_domain_verification_when_validated_then_the_policy_does_not_run() {
    let command = Command::from_payload(&VerifyOrgDomain {
        domain: "NOT VALID".to_owned(),
    });
    assert_eq!(validate(&Harness::new(), &command), Ok(()));
}
