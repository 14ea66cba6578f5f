//! Given/when/then tests of the authorization commands and of the
//! cascades project changes push to them.

use rampart_plugin_sdk::catalogue::{
    AddAuthorization, AuthorizationAdded, AuthorizationChanged, AuthorizationDeactivated,
    AuthorizationRemoved, ChangeAuthorization, ChangeProjectGrant, ProjectAdded,
    ProjectDeactivated, ProjectGrantAdded, ProjectGrantChanged, ProjectGrantDeactivated,
    ProjectGrantRef, ProjectGrantRemoved, ProjectRemoved, ProjectRoleAdded, ProjectRoleRemoved,
    RemoveProjectRole,
};

use super::add::AddAuthorizationCommand;
use super::change::{AuthorizationAction, AuthorizationCommand};
use super::{AGGREGATE_TYPE, KIND};
use crate::command::project::{self, GrantAction, RoleAction};
use crate::command::testing::fixtures::{instance_added, org_added, user_added};
use crate::command::testing::{Given, INSTANCE, aggregate, event, expected, given};
use crate::eventstore::{AggregateRef, ExpectedSequence, NewEvent, UniqueOp};

fn project_ref() -> AggregateRef {
    aggregate(project::AGGREGATE_TYPE, "p-1")
}

fn auth_ref(id: &str) -> AggregateRef {
    aggregate(AGGREGATE_TYPE, id)
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// Orgs org-1 (owner of p-1 "Shop" with roles admin, viewer) and org-2
/// (granted viewer by g-1), users u-1 (org-1) and u-2 (org-2), and `more`.
fn shop(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(org_added("org-2", "Globex", "globex.example"));
    history.push(user_added("u-1", "org-1", "ada"));
    history.push(user_added("u-2", "org-2", "bob"));
    let p = project_ref();
    history.push(event(
        &p,
        &ProjectAdded {
            org_id: "org-1".into(),
            name: "Shop".into(),
            ..ProjectAdded::default()
        },
    ));
    for key in ["admin", "viewer"] {
        history.push(event(
            &p,
            &ProjectRoleAdded {
                key: key.into(),
                display_name: key.into(),
                group: String::new(),
            },
        ));
    }
    history.push(event(
        &p,
        &ProjectGrantAdded {
            grant_id: "g-1".into(),
            granted_org_id: "org-2".into(),
            role_keys: keys(&["viewer"]),
        },
    ));
    history.extend(more);
    given(history)
}

/// Authorization `id` of `user` with `roles`, direct or through `grant`.
fn authorized(
    id: &str,
    user: &str,
    grant: Option<&str>,
    roles: &[&str],
) -> (AggregateRef, NewEvent) {
    event(
        &auth_ref(id),
        &AuthorizationAdded {
            user_id: user.into(),
            project_id: "p-1".into(),
            project_grant_id: grant.map(str::to_owned),
            org_id: if grant.is_some() { "org-2" } else { "org-1" }.into(),
            role_keys: keys(roles),
        },
    )
}

fn add(org: &str, user: &str, grant: Option<&str>, roles: &[&str]) -> AddAuthorizationCommand {
    AddAuthorizationCommand::new(
        "a-9".into(),
        org,
        AddAuthorization {
            user_id: user.into(),
            project_id: "p-1".into(),
            project_grant_id: grant.map(str::to_owned),
            role_keys: keys(roles),
        },
    )
    .unwrap()
}

#[tokio::test]
async fn given_a_project_when_a_user_is_authorized_then_it_is_added_and_claimed_once() {
    let decision = shop(vec![])
        .when(add("org-1", "u-1", None, &["viewer", "admin"]))
        .await
        .then(vec![expected(&AuthorizationAdded {
            user_id: "u-1".into(),
            project_id: "p-1".into(),
            project_grant_id: None,
            org_id: "org-1".into(),
            role_keys: keys(&["admin", "viewer"]),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            KIND,
            "u-1/p-1/",
            "the user already has an authorization for this project (and grant)"
        )]
    );
}

#[tokio::test]
async fn given_a_grant_when_the_granted_org_authorizes_then_only_granted_roles_are_allowed() {
    shop(vec![])
        .when(add("org-2", "u-2", Some("g-1"), &["viewer"]))
        .await
        .then(vec![expected(&AuthorizationAdded {
            user_id: "u-2".into(),
            project_id: "p-1".into(),
            project_grant_id: Some("g-1".into()),
            org_id: "org-2".into(),
            role_keys: keys(&["viewer"]),
        })]);
    shop(vec![])
        .when(add("org-2", "u-2", Some("g-1"), &["admin"]))
        .await
        .then_error("FAILED_PRECONDITION", "does not grant the role \"admin\"");
    shop(vec![])
        .when(add("org-1", "u-2", Some("g-1"), &["viewer"]))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "belongs to organization org-2, not org-1",
        );
    shop(vec![event(
        &project_ref(),
        &ProjectGrantDeactivated {
            grant_id: "g-1".into(),
        },
    )])
    .when(add("org-2", "u-2", Some("g-1"), &["viewer"]))
    .await
    .then_error("FAILED_PRECONDITION", "g-1 is inactive");
}

#[tokio::test]
async fn given_missing_things_when_authorizing_then_each_is_named() {
    shop(vec![])
        .when(add("org-1", "u-404", None, &[]))
        .await
        .then_error("NOT_FOUND", "user u-404");
    shop(vec![])
        .when(add("org-1", "u-1", None, &["nope"]))
        .await
        .then_error("FAILED_PRECONDITION", "no role \"nope\"");
    shop(vec![])
        .when(add("org-1", "u-1", Some("g-404"), &[]))
        .await
        .then_error("NOT_FOUND", "project grant g-404");
    shop(vec![event(&project_ref(), &ProjectDeactivated {})])
        .when(add("org-1", "u-1", None, &[]))
        .await
        .then_error("FAILED_PRECONDITION", "inactive");
}

#[tokio::test]
async fn given_an_authorization_when_changed_deactivated_and_removed_then_each_is_an_event() {
    let history = || shop(vec![authorized("a-1", "u-1", None, &["viewer"])]);
    let change = |roles: &[&str]| {
        AuthorizationCommand::new(
            "a-1",
            AuthorizationAction::Change(ChangeAuthorization {
                role_keys: keys(roles),
            }),
        )
        .unwrap()
    };
    history()
        .when(change(&["admin", "viewer"]))
        .await
        .then(vec![expected(&AuthorizationChanged {
            role_keys: keys(&["admin", "viewer"]),
        })]);
    history()
        .when(change(&["nope"]))
        .await
        .then_error("FAILED_PRECONDITION", "no role \"nope\"");
    history()
        .when(change(&["viewer"]))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
    history()
        .when(AuthorizationCommand::new("a-1", AuthorizationAction::Deactivate).unwrap())
        .await
        .then(vec![expected(&AuthorizationDeactivated {})]);
    let decision = history()
        .when(AuthorizationCommand::new("a-1", AuthorizationAction::Remove).unwrap())
        .await
        .then(vec![expected(&AuthorizationRemoved {
            user_id: "u-1".into(),
            project_id: "p-1".into(),
            project_grant_id: None,
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(INSTANCE, KIND, "u-1/p-1/")]
    );
}

#[tokio::test]
async fn given_authorizations_when_a_role_is_removed_then_those_holding_it_lose_it_in_the_push() {
    let cmd = project::role_command_for_tests(
        "p-1",
        RoleAction::Remove(RemoveProjectRole {
            key: "viewer".into(),
        }),
    );
    let decision = shop(vec![
        authorized("a-1", "u-1", None, &["admin", "viewer"]),
        authorized("a-2", "u-2", Some("g-1"), &["viewer"]),
        authorized("a-3", "u-1", None, &[]),
    ])
    .when(cmd)
    .await
    .then(vec![
        expected(&ProjectRoleRemoved {
            key: "viewer".into(),
        }),
        expected(&ProjectGrantChanged {
            grant_id: "g-1".into(),
            role_keys: vec![],
        }),
    ]);
    let others: Vec<_> = decision
        .others
        .iter()
        .map(|p| {
            (
                p.aggregate.aggregate_id.as_str(),
                p.expected,
                p.events.clone(),
            )
        })
        .collect();
    assert_eq!(
        others,
        vec![
            (
                "a-1",
                ExpectedSequence::Exact(1),
                vec![expected(&AuthorizationChanged {
                    role_keys: keys(&["admin"])
                })]
            ),
            (
                "a-2",
                ExpectedSequence::Exact(1),
                vec![expected(&AuthorizationChanged { role_keys: vec![] })]
            ),
        ]
    );
}

#[tokio::test]
async fn given_authorizations_when_a_grant_narrows_or_goes_then_those_through_it_follow() {
    let history = || {
        shop(vec![
            event(
                &project_ref(),
                &ProjectGrantChanged {
                    grant_id: "g-1".into(),
                    role_keys: keys(&["admin", "viewer"]),
                },
            ),
            authorized("a-1", "u-1", None, &["admin", "viewer"]),
            authorized("a-2", "u-2", Some("g-1"), &["admin", "viewer"]),
        ])
    };
    let narrow = project::grant_command_for_tests(
        "p-1",
        GrantAction::Change(ChangeProjectGrant {
            grant_id: "g-1".into(),
            role_keys: keys(&["viewer"]),
        }),
    );
    let decision = history().when(narrow).await.decision();
    assert_eq!(decision.others.len(), 1, "only the one through the grant");
    assert_eq!(decision.others[0].aggregate, auth_ref("a-2"));
    assert_eq!(
        decision.others[0].events,
        vec![expected(&AuthorizationChanged {
            role_keys: keys(&["viewer"])
        })]
    );
    let remove = project::grant_command_for_tests(
        "p-1",
        GrantAction::Remove(ProjectGrantRef {
            grant_id: "g-1".into(),
        }),
    );
    let decision = history()
        .when(remove)
        .await
        .then(vec![expected(&ProjectGrantRemoved {
            grant_id: "g-1".into(),
            granted_org_id: "org-2".into(),
        })]);
    assert_eq!(decision.others.len(), 1);
    assert_eq!(decision.others[0].aggregate, auth_ref("a-2"));
    assert_eq!(
        decision.others[0].events[0].event_type,
        "authorization.removed"
    );
    assert!(
        decision
            .unique
            .contains(&UniqueOp::release(INSTANCE, KIND, "u-2/p-1/g-1"))
    );
}

#[tokio::test]
async fn given_authorizations_when_the_project_is_removed_then_they_all_go() {
    let decision = shop(vec![
        authorized("a-1", "u-1", None, &["admin"]),
        authorized("a-2", "u-2", Some("g-1"), &["viewer"]),
    ])
    .when(project::remove_command_for_tests("p-1"))
    .await
    .then(vec![expected(&ProjectRemoved {
        name: "Shop".into(),
    })]);
    let gone: Vec<&str> = decision
        .others
        .iter()
        .map(|p| p.aggregate.aggregate_id.as_str())
        .collect();
    assert_eq!(gone, ["a-1", "a-2"]);
    assert_eq!(decision.unique.len(), 3, "the name and both authorizations");
}
