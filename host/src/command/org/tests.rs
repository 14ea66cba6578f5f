//! Given/when/then tests of the organization commands.

use rampart_plugin_sdk::catalogue::{
    AddOrg, OrgAdded, OrgChanged, OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet,
    OrgDomainRemoved, OrgDomainVerified, OrgReactivated, OrgRemoved, RenameOrg, UserRemoved,
};

use super::DOMAIN_KIND;
use super::add::{AddOrgCommand, slug};
use super::change::{OrgStateCommand, RenameOrgCommand};
use super::domain::{DomainAction, OrgDomainCommand};
use super::remove::RemoveOrgCommand;
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, org_ref, user_added, user_ref,
};
use crate::command::testing::{ACTOR, INSTANCE, event, expected, given, given_nothing};
use crate::command::user::USERNAME_KIND;
use crate::eventstore::{AggregatePush, ExpectedSequence, NewEvent, UniqueOp};

fn add(name: &str, domain: Option<&str>) -> AddOrgCommand {
    AddOrgCommand::new(
        "org-1".into(),
        AddOrg {
            name: name.into(),
            domain: domain.map(str::to_owned),
        },
    )
    .unwrap()
}

/// The events of an org domain made the org's verified primary domain.
fn first_domain(d: &str) -> Vec<NewEvent> {
    vec![
        expected(&OrgDomainAdded { domain: d.into() }),
        expected(&OrgDomainVerified { domain: d.into() }),
        expected(&OrgDomainPrimarySet { domain: d.into() }),
    ]
}

fn domain_cmd(action: DomainAction, d: &str) -> OrgDomainCommand {
    OrgDomainCommand::new("org-1", action, d).unwrap()
}

/// The instance with org-1 "ACME" (primary acme.example) and `more` events.
fn acme(more: Vec<(crate::eventstore::AggregateRef, NewEvent)>) -> crate::command::testing::Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(more);
    given(history)
}

#[test]
fn given_names_when_slugged_then_they_are_dns_labels() {
    assert_eq!(slug("ACME Corp."), "acme-corp");
    assert_eq!(slug("  --Hello,  World!--"), "hello-world");
    assert_eq!(slug("Café 42"), "caf-42");
    assert_eq!(slug("日本"), "");
    assert_eq!(slug(&"a".repeat(80)).len(), 63);
}

#[tokio::test]
async fn given_an_instance_when_adding_an_org_without_domain_then_one_is_derived_from_its_name() {
    let mut events = vec![expected(&OrgAdded {
        name: "ACME Corp.".into(),
    })];
    events.extend(first_domain("acme-corp.localhost"));
    let decision = given(instance_added("localhost"))
        .when(add(" ACME Corp. ", None))
        .await
        .then(events);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            DOMAIN_KIND,
            "acme-corp.localhost",
            "the domain acme-corp.localhost is already used by an organization"
        )]
    );
}

#[tokio::test]
async fn given_a_name_without_letters_when_adding_an_org_then_the_domain_uses_its_id() {
    let mut events = vec![expected(&OrgAdded {
        name: "日本".into(),
    })];
    events.extend(first_domain("org-1.localhost"));
    given(instance_added("localhost"))
        .when(add("日本", None))
        .await
        .then(events);
}

#[tokio::test]
async fn given_an_instance_when_adding_an_org_with_a_domain_then_that_domain_is_primary() {
    let mut events = vec![expected(&OrgAdded {
        name: "ACME".into(),
    })];
    events.extend(first_domain("acme.example"));
    given(instance_added("localhost"))
        .when(add("ACME", Some("ACME.example")))
        .await
        .then(events);
}

#[tokio::test]
async fn given_no_instance_when_adding_an_org_then_not_found() {
    given_nothing()
        .when(add("ACME", None))
        .await
        .then_error("NOT_FOUND", "instance instance-1 not found");
}

#[test]
fn given_an_empty_name_when_adding_an_org_then_invalid_argument() {
    let err = AddOrgCommand::new("o".into(), AddOrg::default()).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}

#[tokio::test]
async fn given_an_org_when_renamed_then_org_changed() {
    let rename = RenameOrgCommand::new(
        "org-1",
        RenameOrg {
            name: "ACME Inc".into(),
        },
    )
    .unwrap();
    acme(vec![])
        .when(rename)
        .await
        .then(vec![expected(&OrgChanged {
            name: "ACME Inc".into(),
        })]);
}

#[tokio::test]
async fn given_an_org_when_renamed_to_its_name_then_unchanged() {
    let rename = RenameOrgCommand::new(
        "org-1",
        RenameOrg {
            name: " ACME ".into(),
        },
    )
    .unwrap();
    acme(vec![])
        .when(rename)
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
}

#[tokio::test]
async fn given_an_active_org_when_deactivated_then_deactivated_and_again_refused() {
    acme(vec![])
        .when(OrgStateCommand::new("org-1", false))
        .await
        .then(vec![expected(&OrgDeactivated {})]);
    acme(vec![event(&org_ref("org-1"), &OrgDeactivated {})])
        .when(OrgStateCommand::new("org-1", false))
        .await
        .then_error("FAILED_PRECONDITION", "already inactive");
}

#[tokio::test]
async fn given_an_inactive_org_when_reactivated_then_reactivated() {
    acme(vec![event(&org_ref("org-1"), &OrgDeactivated {})])
        .when(OrgStateCommand::new("org-1", true))
        .await
        .then(vec![expected(&OrgReactivated {})]);
    acme(vec![])
        .when(OrgStateCommand::new("org-1", true))
        .await
        .then_error("FAILED_PRECONDITION", "already active");
}

#[tokio::test]
async fn given_a_removed_org_when_changed_then_not_found() {
    acme(vec![event(
        &org_ref("org-1"),
        &OrgRemoved {
            name: "ACME".into(),
        },
    )])
    .when(OrgStateCommand::new("org-1", false))
    .await
    .then_error("NOT_FOUND", "org org-1 not found");
}

#[tokio::test]
async fn given_an_org_when_a_domain_is_added_then_it_is_unverified_and_claimed() {
    let decision = acme(vec![])
        .when(domain_cmd(DomainAction::Add, "Login.ACME.example"))
        .await
        .then(vec![expected(&OrgDomainAdded {
            domain: "login.acme.example".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            DOMAIN_KIND,
            "login.acme.example",
            "the domain login.acme.example is already used by an organization"
        )]
    );
}

#[tokio::test]
async fn given_an_org_domain_when_added_again_then_already_exists() {
    acme(vec![])
        .when(domain_cmd(DomainAction::Add, "acme.example"))
        .await
        .then_error("ALREADY_EXISTS", "already has the domain");
}

#[tokio::test]
async fn given_an_unverified_domain_when_made_primary_then_refused_until_verified() {
    let added = event(
        &org_ref("org-1"),
        &OrgDomainAdded {
            domain: "acme.test".into(),
        },
    );
    acme(vec![added.clone()])
        .when(domain_cmd(DomainAction::SetPrimary, "acme.test"))
        .await
        .then_error("FAILED_PRECONDITION", "not verified");
    acme(vec![added.clone()])
        .when(domain_cmd(DomainAction::Verify, "acme.test"))
        .await
        .then(vec![expected(&OrgDomainVerified {
            domain: "acme.test".into(),
        })]);
    let verified = event(
        &org_ref("org-1"),
        &OrgDomainVerified {
            domain: "acme.test".into(),
        },
    );
    acme(vec![added, verified])
        .when(domain_cmd(DomainAction::SetPrimary, "acme.test"))
        .await
        .then(vec![expected(&OrgDomainPrimarySet {
            domain: "acme.test".into(),
        })]);
}

#[tokio::test]
async fn given_a_verified_domain_when_verified_again_then_failed_precondition() {
    acme(vec![])
        .when(domain_cmd(DomainAction::Verify, "acme.example"))
        .await
        .then_error("FAILED_PRECONDITION", "already verified");
}

#[tokio::test]
async fn given_an_unknown_domain_when_verified_then_not_found() {
    acme(vec![])
        .when(domain_cmd(DomainAction::Verify, "other.example"))
        .await
        .then_error("NOT_FOUND", "org domain other.example not found");
}

#[tokio::test]
async fn given_domains_when_removing_then_only_a_secondary_goes_and_is_released() {
    acme(vec![])
        .when(domain_cmd(DomainAction::Remove, "acme.example"))
        .await
        .then_error("FAILED_PRECONDITION", "primary domain");
    let added = event(
        &org_ref("org-1"),
        &OrgDomainAdded {
            domain: "acme.test".into(),
        },
    );
    let decision = acme(vec![added])
        .when(domain_cmd(DomainAction::Remove, "acme.test"))
        .await
        .then(vec![expected(&OrgDomainRemoved {
            domain: "acme.test".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(INSTANCE, DOMAIN_KIND, "acme.test")]
    );
}

#[tokio::test]
async fn given_an_org_with_users_when_removed_then_its_live_users_go_with_it() {
    let decision = acme(vec![
        user_added("user-1", "org-1", "ada"),
        user_added("user-2", "org-1", "grace"),
        event(
            &user_ref("user-2"),
            &UserRemoved {
                username: "grace".into(),
            },
        ),
        user_added("user-3", "org-2", "alan"),
        user_added("user-4", "org-1", "edsger"),
    ])
    .when(RemoveOrgCommand::new("org-1"))
    .await
    .then(vec![expected(&OrgRemoved {
        name: "ACME".into(),
    })]);
    let removed = |id: &str, username: &str, sequence| AggregatePush {
        aggregate: user_ref(id),
        expected: ExpectedSequence::Exact(sequence),
        events: vec![expected(&UserRemoved {
            username: username.into(),
        })],
    };
    assert_eq!(
        decision.others,
        vec![removed("user-1", "ada", 1), removed("user-4", "edsger", 1)]
    );
    assert_eq!(
        decision.unique,
        vec![
            UniqueOp::release(INSTANCE, USERNAME_KIND, "ada"),
            UniqueOp::release(INSTANCE, USERNAME_KIND, "edsger"),
            UniqueOp::release(INSTANCE, DOMAIN_KIND, "acme.example"),
        ]
    );
    assert!(decision.others.iter().all(|p| p.events[0].creator == ACTOR));
}

#[tokio::test]
async fn given_an_org_with_a_machine_user_when_removed_then_the_machine_goes_too() {
    let decision = acme(vec![
        machine_added("user-1", "org-1", "ci-bot"),
        user_added("user-2", "org-1", "ada"),
        machine_added("user-3", "org-2", "other-bot"),
    ])
    .when(RemoveOrgCommand::new("org-1"))
    .await
    .decision();
    let removed = |id: &str, username: &str| AggregatePush {
        aggregate: user_ref(id),
        expected: ExpectedSequence::Exact(1),
        events: vec![expected(&UserRemoved {
            username: username.into(),
        })],
    };
    assert_eq!(
        decision.others,
        vec![removed("user-1", "ci-bot"), removed("user-2", "ada")]
    );
    assert!(
        decision
            .unique
            .contains(&UniqueOp::release(INSTANCE, USERNAME_KIND, "ci-bot"))
    );
}
