//! Given/when/then tests of the project commands.

use rampart_plugin_sdk::catalogue::{
    AddProject, AddProjectGrant, AddProjectRole, ChangeProject, ChangeProjectGrant,
    ChangeProjectRole, OrgDeactivated, OrgRemoved, ProjectAdded, ProjectChanged,
    ProjectDeactivated, ProjectGrantAdded, ProjectGrantChanged, ProjectGrantDeactivated,
    ProjectGrantReactivated, ProjectGrantRef, ProjectGrantRemoved, ProjectReactivated,
    ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged, ProjectRoleRemoved, RemoveProjectRole,
    UserRemoved,
};

use super::add::AddProjectCommand;
use super::change::{ChangeProjectCommand, ProjectStateCommand};
use super::grant::{GrantAction, ProjectGrantCommand};
use super::remove::RemoveProjectCommand;
use super::role::{ProjectRoleCommand, RoleAction};
use super::{AGGREGATE_TYPE, NAME_KIND, role_key};
use crate::command::org::DOMAIN_KIND;
use crate::command::org::remove::RemoveOrgCommand;
use crate::command::testing::fixtures::{instance_added, org_added, org_ref, user_added, user_ref};
use crate::command::testing::{Given, INSTANCE, aggregate, event, expected, given};
use crate::command::user::USERNAME_KIND;
use crate::eventstore::{AggregatePush, AggregateRef, ExpectedSequence, NewEvent, UniqueOp};

fn project_ref(id: &str) -> AggregateRef {
    aggregate(AGGREGATE_TYPE, id)
}

/// Project `id` "Shop" of `org_id`.
fn project_added(id: &str, org_id: &str) -> (AggregateRef, NewEvent) {
    event(
        &project_ref(id),
        &ProjectAdded {
            org_id: org_id.into(),
            name: "Shop".into(),
            role_assertion: false,
            authorization_required: false,
        },
    )
}

fn role_added(project: &str, key: &str) -> (AggregateRef, NewEvent) {
    event(
        &project_ref(project),
        &ProjectRoleAdded {
            key: key.into(),
            display_name: key.to_uppercase(),
            group: String::new(),
        },
    )
}

fn grant_added(project: &str, grant: &str, org: &str, keys: &[&str]) -> (AggregateRef, NewEvent) {
    event(
        &project_ref(project),
        &ProjectGrantAdded {
            grant_id: grant.into(),
            granted_org_id: org.into(),
            role_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        },
    )
}

/// Orgs org-1 (ACME) and org-2 (Globex), project p-1 "Shop" of org-1 and
/// `more`.
fn shop(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(org_added("org-2", "Globex", "globex.example"));
    history.push(project_added("p-1", "org-1"));
    history.extend(more);
    given(history)
}

fn add(name: &str, org: &str) -> AddProjectCommand {
    AddProjectCommand::new(
        "p-9".into(),
        org,
        AddProject {
            name: name.into(),
            role_assertion: true,
            authorization_required: false,
        },
    )
    .unwrap()
}

fn role(action: RoleAction) -> ProjectRoleCommand {
    ProjectRoleCommand::new("p-1", action).unwrap()
}

fn grant(action: GrantAction) -> ProjectGrantCommand {
    ProjectGrantCommand::new("p-1", "g-9".into(), action).unwrap()
}

fn grant_ref(id: &str) -> ProjectGrantRef {
    ProjectGrantRef {
        grant_id: id.into(),
    }
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn given_role_keys_when_checked_then_only_letters_digits_and_separators_pass() {
    assert_eq!(role_key(" billing.admin ").unwrap(), "billing.admin");
    assert_eq!(role_key("app:reader-2_x").unwrap(), "app:reader-2_x");
    assert!(role_key("").is_err());
    assert!(role_key("with space").is_err());
    assert!(role_key(&"k".repeat(201)).is_err());
}

#[tokio::test]
async fn given_an_active_org_when_adding_a_project_then_it_is_added_and_its_name_claimed() {
    let decision = shop(vec![])
        .when(add(" Billing ", "org-1"))
        .await
        .then(vec![expected(&ProjectAdded {
            org_id: "org-1".into(),
            name: "Billing".into(),
            role_assertion: true,
            authorization_required: false,
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::claim(
            INSTANCE,
            NAME_KIND,
            "org-1/billing",
            "the organization already has a project named \"Billing\""
        )]
    );
}

#[tokio::test]
async fn given_a_missing_or_inactive_org_when_adding_a_project_then_it_is_refused() {
    shop(vec![])
        .when(add("Billing", "org-404"))
        .await
        .then_error("NOT_FOUND", "org org-404");
    shop(vec![event(&org_ref("org-2"), &OrgDeactivated {})])
        .when(add("Billing", "org-2"))
        .await
        .then_error("FAILED_PRECONDITION", "inactive");
    assert!(AddProjectCommand::new("p".into(), "org-1", AddProject::default()).is_err());
}

#[tokio::test]
async fn given_a_project_when_renamed_then_the_old_name_is_released_and_the_new_claimed() {
    let cmd = ChangeProjectCommand::new(
        "p-1",
        ChangeProject {
            name: Some("Store".into()),
            role_assertion: Some(false),
            authorization_required: Some(true),
        },
    )
    .unwrap();
    let decision = shop(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&ProjectChanged {
            name: Some("Store".into()),
            role_assertion: None,
            authorization_required: Some(true),
        })]);
    assert_eq!(
        decision.unique,
        vec![
            UniqueOp::release(INSTANCE, NAME_KIND, "org-1/shop"),
            UniqueOp::claim(
                INSTANCE,
                NAME_KIND,
                "org-1/store",
                "the organization already has a project named \"Store\""
            ),
        ]
    );
}

#[tokio::test]
async fn given_a_project_when_changed_to_what_it_is_then_it_is_refused() {
    let same = ChangeProject {
        name: Some("Shop".into()),
        ..ChangeProject::default()
    };
    shop(vec![])
        .when(ChangeProjectCommand::new("p-1", same).unwrap())
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
    assert!(ChangeProjectCommand::new("p-1", ChangeProject::default()).is_err());
}

#[tokio::test]
async fn given_a_project_when_deactivated_and_reactivated_then_each_is_allowed_once() {
    shop(vec![])
        .when(ProjectStateCommand::new("p-1", false))
        .await
        .then(vec![expected(&ProjectDeactivated {})]);
    shop(vec![])
        .when(ProjectStateCommand::new("p-1", true))
        .await
        .then_error("FAILED_PRECONDITION", "already active");
    shop(vec![event(&project_ref("p-1"), &ProjectDeactivated {})])
        .when(ProjectStateCommand::new("p-1", true))
        .await
        .then(vec![expected(&ProjectReactivated {})]);
}

#[tokio::test]
async fn given_a_project_when_removed_then_its_name_is_freed_and_it_is_gone() {
    let decision = shop(vec![])
        .when(RemoveProjectCommand::new("p-1"))
        .await
        .then(vec![expected(&ProjectRemoved {
            name: "Shop".into(),
        })]);
    assert_eq!(
        decision.unique,
        vec![UniqueOp::release(INSTANCE, NAME_KIND, "org-1/shop")]
    );
    shop(vec![event(
        &project_ref("p-1"),
        &ProjectRemoved {
            name: "Shop".into(),
        },
    )])
    .when(RemoveProjectCommand::new("p-1"))
    .await
    .then_error("NOT_FOUND", "project p-1");
}

#[tokio::test]
async fn given_a_project_when_roles_are_added_and_changed_then_keys_stay_unique() {
    let added = AddProjectRole {
        key: " admin ".into(),
        display_name: " Admin ".into(),
        group: "ops".into(),
    };
    shop(vec![])
        .when(role(RoleAction::Add(added.clone())))
        .await
        .then(vec![expected(&ProjectRoleAdded {
            key: "admin".into(),
            display_name: "Admin".into(),
            group: "ops".into(),
        })]);
    shop(vec![role_added("p-1", "admin")])
        .when(role(RoleAction::Add(added)))
        .await
        .then_error("ALREADY_EXISTS", "already has the role \"admin\"");
    let change = ChangeProjectRole {
        key: "admin".into(),
        display_name: "Administrator".into(),
        group: String::new(),
    };
    shop(vec![role_added("p-1", "admin")])
        .when(role(RoleAction::Change(change.clone())))
        .await
        .then(vec![expected(&ProjectRoleChanged {
            key: "admin".into(),
            display_name: "Administrator".into(),
            group: String::new(),
        })]);
    shop(vec![])
        .when(role(RoleAction::Change(change)))
        .await
        .then_error("NOT_FOUND", "project role admin");
}

#[tokio::test]
async fn given_grants_holding_a_role_when_it_is_removed_then_they_lose_it_in_the_same_push() {
    shop(vec![
        role_added("p-1", "admin"),
        role_added("p-1", "viewer"),
        grant_added("p-1", "g-1", "org-2", &["admin", "viewer"]),
    ])
    .when(role(RoleAction::Remove(RemoveProjectRole {
        key: "admin".into(),
    })))
    .await
    .then(vec![
        expected(&ProjectRoleRemoved {
            key: "admin".into(),
        }),
        expected(&ProjectGrantChanged {
            grant_id: "g-1".into(),
            role_keys: keys(&["viewer"]),
        }),
    ]);
}

#[tokio::test]
async fn given_another_active_org_when_granting_roles_then_the_grant_is_added() {
    let add = AddProjectGrant {
        granted_org_id: "org-2".into(),
        role_keys: keys(&["viewer", "admin", "viewer"]),
    };
    shop(vec![
        role_added("p-1", "admin"),
        role_added("p-1", "viewer"),
    ])
    .when(grant(GrantAction::Add(add)))
    .await
    .then(vec![expected(&ProjectGrantAdded {
        grant_id: "g-9".into(),
        granted_org_id: "org-2".into(),
        role_keys: keys(&["admin", "viewer"]),
    })]);
}

#[tokio::test]
async fn given_bad_grants_when_granting_then_each_is_refused_with_its_reason() {
    let to = |org: &str, roles: &[&str]| {
        grant(GrantAction::Add(AddProjectGrant {
            granted_org_id: org.into(),
            role_keys: keys(roles),
        }))
    };
    let with_role = || shop(vec![role_added("p-1", "admin")]);
    with_role()
        .when(to("org-1", &["admin"]))
        .await
        .then_error("FAILED_PRECONDITION", "organization that owns it");
    with_role()
        .when(to("org-2", &["nope"]))
        .await
        .then_error("FAILED_PRECONDITION", "no role \"nope\"");
    with_role()
        .when(to("org-404", &["admin"]))
        .await
        .then_error("NOT_FOUND", "org org-404");
    shop(vec![
        role_added("p-1", "admin"),
        grant_added("p-1", "g-1", "org-2", &["admin"]),
    ])
    .when(to("org-2", &[]))
    .await
    .then_error("ALREADY_EXISTS", "already granted to organization org-2");
}

#[tokio::test]
async fn given_a_grant_when_changed_deactivated_reactivated_and_removed_then_each_is_an_event() {
    let granted = || {
        shop(vec![
            role_added("p-1", "admin"),
            role_added("p-1", "viewer"),
            grant_added("p-1", "g-1", "org-2", &["admin"]),
        ])
    };
    granted()
        .when(grant(GrantAction::Change(ChangeProjectGrant {
            grant_id: "g-1".into(),
            role_keys: keys(&["viewer"]),
        })))
        .await
        .then(vec![expected(&ProjectGrantChanged {
            grant_id: "g-1".into(),
            role_keys: keys(&["viewer"]),
        })]);
    granted()
        .when(grant(GrantAction::Reactivate(grant_ref("g-1"))))
        .await
        .then_error("FAILED_PRECONDITION", "already active");
    granted()
        .when(grant(GrantAction::Deactivate(grant_ref("g-1"))))
        .await
        .then(vec![expected(&ProjectGrantDeactivated {
            grant_id: "g-1".into(),
        })]);
    let mut deactivated = vec![
        role_added("p-1", "admin"),
        grant_added("p-1", "g-1", "org-2", &["admin"]),
    ];
    deactivated.push(event(
        &project_ref("p-1"),
        &ProjectGrantDeactivated {
            grant_id: "g-1".into(),
        },
    ));
    shop(deactivated)
        .when(grant(GrantAction::Reactivate(grant_ref("g-1"))))
        .await
        .then(vec![expected(&ProjectGrantReactivated {
            grant_id: "g-1".into(),
        })]);
    granted()
        .when(grant(GrantAction::Remove(grant_ref("g-1"))))
        .await
        .then(vec![expected(&ProjectGrantRemoved {
            grant_id: "g-1".into(),
            granted_org_id: "org-2".into(),
        })]);
    granted()
        .when(grant(GrantAction::Remove(grant_ref("g-404"))))
        .await
        .then_error("NOT_FOUND", "project grant g-404");
}

#[tokio::test]
async fn given_an_org_with_projects_and_grants_when_removed_then_they_go_with_it() {
    let history = vec![
        user_added("u-1", "org-1", "ada"),
        role_added("p-1", "admin"),
        grant_added("p-1", "g-1", "org-2", &["admin"]),
        project_added("p-2", "org-2"),
        role_added("p-2", "viewer"),
        grant_added("p-2", "g-2", "org-1", &["viewer"]),
    ];
    let decision = shop(history)
        .when(RemoveOrgCommand::new("org-1"))
        .await
        .then(vec![expected(&OrgRemoved {
            name: "ACME".into(),
        })]);
    let others: Vec<&AggregatePush> = decision.others.iter().collect();
    assert_eq!(others.len(), 3, "{others:?}");
    assert_eq!(others[0].aggregate, user_ref("u-1"));
    assert_eq!(
        others[0].events,
        vec![expected(&UserRemoved {
            username: "ada".into()
        })]
    );
    assert_eq!(others[1].aggregate, project_ref("p-1"));
    assert_eq!(others[1].expected, ExpectedSequence::Exact(3));
    assert_eq!(
        others[1].events,
        vec![expected(&ProjectRemoved {
            name: "Shop".into()
        })]
    );
    assert_eq!(others[2].aggregate, project_ref("p-2"));
    assert_eq!(
        others[2].events,
        vec![expected(&ProjectGrantRemoved {
            grant_id: "g-2".into(),
            granted_org_id: "org-1".into(),
        })]
    );
    assert_eq!(
        decision.unique,
        vec![
            UniqueOp::release(INSTANCE, USERNAME_KIND, "ada"),
            UniqueOp::release(INSTANCE, NAME_KIND, "org-1/shop"),
            UniqueOp::release(INSTANCE, DOMAIN_KIND, "acme.example"),
        ]
    );
}

#[tokio::test]
async fn given_a_removed_org_when_adding_a_project_to_it_then_it_is_not_found() {
    shop(vec![event(
        &org_ref("org-2"),
        &OrgRemoved {
            name: "Globex".into(),
        },
    )])
    .when(add("Billing", "org-2"))
    .await
    .then_error("NOT_FOUND", "org org-2");
}
