//! Given/when/then tests of the instance commands.

use rampart_plugin_sdk::catalogue::{
    InstanceAdded, InstanceChanged, InstanceDomainAdded, InstanceDomainPrimarySet,
    InstanceDomainRemoved, InstanceRemoved,
};

use super::add::AddInstanceCommand;
use super::domain::{DomainAction, InstanceDomainCommand};
use super::remove::RemoveInstanceCommand;
use super::rename::RenameInstanceCommand;
use super::{AGGREGATE_TYPE, DOMAIN_KIND, GLOBAL};
use crate::command::testing::{INSTANCE, aggregate, event, expected, given, given_nothing};
use crate::eventstore::{AggregateRef, NewEvent, UniqueOp};

fn instance() -> AggregateRef {
    aggregate(AGGREGATE_TYPE, INSTANCE)
}

/// An instance named "Rampart" with `domains`, the first primary.
fn existing(domains: &[&str]) -> Vec<(AggregateRef, NewEvent)> {
    let mut events = vec![event(
        &instance(),
        &InstanceAdded {
            name: "Rampart".into(),
        },
    )];
    for d in domains {
        events.push(event(
            &instance(),
            &InstanceDomainAdded {
                domain: (*d).into(),
                generated: false,
            },
        ));
    }
    events.push(event(
        &instance(),
        &InstanceDomainPrimarySet {
            domain: domains[0].into(),
        },
    ));
    events
}

fn domain_cmd(action: DomainAction, d: &str) -> InstanceDomainCommand {
    InstanceDomainCommand::new(action, d).unwrap()
}

#[tokio::test]
async fn given_nothing_when_adding_an_instance_then_domains_are_added_claimed_and_the_first_is_primary()
 {
    let domains = vec!["Login.Example.com".to_owned(), "localhost".to_owned()];
    let cmd = AddInstanceCommand::new("new-instance".into(), " Rampart ", &domains).unwrap();
    let decision = given_nothing().when(cmd).await.then(vec![
        expected(&InstanceAdded {
            name: "Rampart".into(),
        }),
        expected(&InstanceDomainAdded {
            domain: "login.example.com".into(),
            generated: false,
        }),
        expected(&InstanceDomainAdded {
            domain: "localhost".into(),
            generated: false,
        }),
        expected(&InstanceDomainPrimarySet {
            domain: "login.example.com".into(),
        }),
    ]);
    assert_eq!(
        decision.unique,
        vec![
            UniqueOp::claim(
                GLOBAL,
                DOMAIN_KIND,
                "login.example.com",
                "the domain login.example.com is already used by an instance"
            ),
            UniqueOp::claim(
                GLOBAL,
                DOMAIN_KIND,
                "localhost",
                "the domain localhost is already used by an instance"
            ),
        ]
    );
}

#[test]
fn given_bad_input_when_adding_an_instance_then_it_is_an_invalid_argument() {
    let no_domains = AddInstanceCommand::new("i".into(), "Rampart", &[]).unwrap_err();
    assert!(no_domains.to_string().contains("at least one domain"));
    let empty_name = AddInstanceCommand::new("i".into(), "  ", &["a.example".into()]).unwrap_err();
    assert!(empty_name.to_string().contains("must not be empty"));
    let twice = AddInstanceCommand::new("i".into(), "R", &["a.example".into(), "A.example".into()])
        .unwrap_err();
    assert!(twice.to_string().contains("listed twice"));
    let port = AddInstanceCommand::new("i".into(), "R", &["localhost:8080".into()]).unwrap_err();
    assert_eq!(port.code(), "INVALID_ARGUMENT");
}

#[tokio::test]
async fn given_an_instance_when_renamed_then_instance_changed() {
    given(existing(&["localhost"]))
        .when(RenameInstanceCommand::new("Fortress").unwrap())
        .await
        .then(vec![expected(&InstanceChanged {
            name: "Fortress".into(),
        })]);
}

#[tokio::test]
async fn given_an_instance_when_renamed_to_its_name_then_unchanged() {
    given(existing(&["localhost"]))
        .when(RenameInstanceCommand::new("Rampart").unwrap())
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
}

#[tokio::test]
async fn given_no_instance_when_renamed_then_not_found() {
    given_nothing()
        .when(RenameInstanceCommand::new("Fortress").unwrap())
        .await
        .then_error("NOT_FOUND", "instance instance-1 not found");
}

#[tokio::test]
async fn given_an_instance_when_a_domain_is_added_then_it_is_claimed_globally() {
    let decision = given(existing(&["localhost"]))
        .when(domain_cmd(DomainAction::Add, "Auth.Example.com"))
        .await
        .then(vec![expected(&InstanceDomainAdded {
            domain: "auth.example.com".into(),
            generated: false,
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            GLOBAL,
            DOMAIN_KIND,
            "auth.example.com",
            "the domain auth.example.com is already used by an instance"
        )]
    );
}

#[tokio::test]
async fn given_an_instance_with_the_domain_when_added_again_then_already_exists() {
    given(existing(&["localhost"]))
        .when(domain_cmd(DomainAction::Add, "localhost"))
        .await
        .then_error("ALREADY_EXISTS", "already has the domain localhost");
}

#[tokio::test]
async fn given_two_domains_when_the_second_is_made_primary_then_primary_set() {
    given(existing(&["localhost", "auth.example.com"]))
        .when(domain_cmd(DomainAction::SetPrimary, "auth.example.com"))
        .await
        .then(vec![expected(&InstanceDomainPrimarySet {
            domain: "auth.example.com".into(),
        })]);
}

#[tokio::test]
async fn given_a_primary_domain_when_made_primary_again_then_failed_precondition() {
    given(existing(&["localhost"]))
        .when(domain_cmd(DomainAction::SetPrimary, "localhost"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "already the instance's primary domain",
        );
}

#[tokio::test]
async fn given_an_unknown_domain_when_made_primary_then_not_found() {
    given(existing(&["localhost"]))
        .when(domain_cmd(DomainAction::SetPrimary, "nowhere.example"))
        .await
        .then_error("NOT_FOUND", "instance domain nowhere.example not found");
}

#[tokio::test]
async fn given_two_domains_when_the_secondary_is_removed_then_it_is_released() {
    let decision = given(existing(&["localhost", "auth.example.com"]))
        .when(domain_cmd(DomainAction::Remove, "auth.example.com"))
        .await
        .then(vec![expected(&InstanceDomainRemoved {
            domain: "auth.example.com".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(GLOBAL, DOMAIN_KIND, "auth.example.com")]
    );
}

#[tokio::test]
async fn given_the_primary_domain_when_removed_then_failed_precondition() {
    given(existing(&["localhost", "auth.example.com"]))
        .when(domain_cmd(DomainAction::Remove, "localhost"))
        .await
        .then_error("FAILED_PRECONDITION", "make another domain primary first");
}

#[tokio::test]
async fn given_a_removed_domain_when_removed_again_then_not_found() {
    let mut history = existing(&["localhost", "auth.example.com"]);
    history.push(event(
        &instance(),
        &InstanceDomainRemoved {
            domain: "auth.example.com".into(),
        },
    ));
    given(history)
        .when(domain_cmd(DomainAction::Remove, "auth.example.com"))
        .await
        .then_error("NOT_FOUND", "auth.example.com");
}

#[tokio::test]
async fn given_an_instance_when_removed_then_its_domains_and_every_claim_in_it_are_released() {
    let decision = given(existing(&["localhost", "auth.example.com"]))
        .when(RemoveInstanceCommand::new(INSTANCE))
        .await
        .then(vec![expected(&InstanceRemoved {
            domains: vec!["localhost".into(), "auth.example.com".into()],
        })]);
    assert_eq!(
        decision.unique,
        vec![
            UniqueOp::ReleaseInstance {
                instance_id: INSTANCE.into()
            },
            UniqueOp::release(GLOBAL, DOMAIN_KIND, "localhost"),
            UniqueOp::release(GLOBAL, DOMAIN_KIND, "auth.example.com"),
        ]
    );
}

#[tokio::test]
async fn given_a_removed_instance_when_removed_again_then_not_found() {
    let mut history = existing(&["localhost"]);
    history.push(event(
        &instance(),
        &InstanceRemoved {
            domains: vec!["localhost".into()],
        },
    ));
    given(history)
        .when(RemoveInstanceCommand::new(INSTANCE))
        .await
        .then_error("NOT_FOUND", INSTANCE);
}

#[tokio::test]
async fn given_nothing_when_removing_an_instance_then_not_found() {
    given_nothing()
        .when(RemoveInstanceCommand::new(INSTANCE))
        .await
        .then_error("NOT_FOUND", INSTANCE);
}
