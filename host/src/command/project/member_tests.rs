//! Given/when/then tests of project members.

use rampart_plugin_sdk::catalogue::{
    ProjectAdded, ProjectDeactivated, ProjectMemberAdded, ProjectMemberChanged,
    ProjectMemberRemoved, ProjectRemoved, UserRemoved,
};

use super::AGGREGATE_TYPE;
use super::member::ProjectScope;
use super::model::ProjectModel;
use crate::command::member::{MemberCommand, MemberOp};
use crate::command::pipeline::Decide;
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, aggregate, event, expected, given};
use crate::eventstore::{AggregateRef, NewEvent};

fn project_ref(id: &str) -> AggregateRef {
    aggregate(AGGREGATE_TYPE, id)
}

/// Project `id` of `org_id`.
fn project_added(id: &str, org_id: &str) -> (AggregateRef, NewEvent) {
    event(
        &project_ref(id),
        &ProjectAdded {
            org_id: org_id.into(),
            name: format!("Project {id}"),
            role_assertion: false,
            authorization_required: false,
        },
    )
}

/// The instance, org-1 with project-1, org-2 with project-2, human user-1
/// "ada" of org-1, machine user-2 "ci-bot" of org-2, and `more` events.
fn projects(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(org_added("org-2", "Globex", "globex.example"));
    history.push(project_added("project-1", "org-1"));
    history.push(project_added("project-2", "org-2"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.push(machine_added("user-2", "org-2", "ci-bot"));
    history.extend(more);
    given(history)
}

fn roles(roles: &[&str]) -> Vec<String> {
    roles.iter().map(|r| (*r).to_owned()).collect()
}

fn member(project_id: &str, user_id: &str, op: MemberOp) -> MemberCommand<ProjectScope> {
    MemberCommand::new(project_id, user_id, op).unwrap()
}

fn ada_owns_project_1() -> (AggregateRef, NewEvent) {
    event(
        &project_ref("project-1"),
        &ProjectMemberAdded {
            user_id: "user-1".into(),
            roles: roles(&["PROJECT_OWNER"]),
        },
    )
}

#[tokio::test]
async fn given_a_project_when_a_user_of_any_org_is_made_a_member_then_added_in_its_org() {
    let cmd = member(
        "project-1",
        "user-2",
        MemberOp::Add(roles(&[
            "PROJECT_VIEWER",
            " PROJECT_OWNER",
            "PROJECT_OWNER",
        ])),
    );
    assert_eq!(cmd.name(), "project.member.add");
    let model = ProjectModel {
        org_id: "org-1".into(),
        ..ProjectModel::default()
    };
    assert_eq!(cmd.org_id(&model).as_deref(), Some("org-1"));
    projects(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&ProjectMemberAdded {
            user_id: "user-2".into(),
            roles: roles(&["PROJECT_OWNER", "PROJECT_VIEWER"]),
        })]);
}

#[tokio::test]
async fn given_an_inactive_project_when_a_member_is_added_then_it_is() {
    projects(vec![event(
        &project_ref("project-1"),
        &ProjectDeactivated {},
    )])
    .when(member(
        "project-1",
        "user-1",
        MemberOp::Add(roles(&["PROJECT_VIEWER"])),
    ))
    .await
    .then(vec![expected(&ProjectMemberAdded {
        user_id: "user-1".into(),
        roles: roles(&["PROJECT_VIEWER"]),
    })]);
}

#[tokio::test]
async fn given_an_unknown_or_removed_project_when_members_change_then_not_found() {
    projects(vec![])
        .when(member(
            "project-9",
            "user-1",
            MemberOp::Add(roles(&["PROJECT_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "project project-9 not found");
    let removed = event(
        &project_ref("project-1"),
        &ProjectRemoved {
            name: "Project project-1".into(),
        },
    );
    projects(vec![ada_owns_project_1(), removed])
        .when(member("project-1", "user-1", MemberOp::Remove))
        .await
        .then_error("NOT_FOUND", "project project-1 not found");
}

#[tokio::test]
async fn given_a_member_when_added_again_then_already_exists_and_unknown_or_removed_users_are_not_found()
 {
    projects(vec![ada_owns_project_1()])
        .when(member(
            "project-1",
            "user-1",
            MemberOp::Add(roles(&["PROJECT_VIEWER"])),
        ))
        .await
        .then_error(
            "ALREADY_EXISTS",
            "user user-1 is already a member of the project",
        );
    projects(vec![])
        .when(member(
            "project-1",
            "user-9",
            MemberOp::Add(roles(&["PROJECT_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "user user-9 not found");
    let removed = event(
        &user_ref("user-2"),
        &UserRemoved {
            username: "ci-bot".into(),
        },
    );
    projects(vec![removed])
        .when(member(
            "project-1",
            "user-2",
            MemberOp::Add(roles(&["PROJECT_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "user user-2 not found");
}

#[tokio::test]
async fn given_a_member_when_changed_or_removed_then_it_happens() {
    projects(vec![ada_owns_project_1()])
        .when(member(
            "project-1",
            "user-1",
            MemberOp::Change(roles(&["PROJECT_VIEWER"])),
        ))
        .await
        .then(vec![expected(&ProjectMemberChanged {
            user_id: "user-1".into(),
            roles: roles(&["PROJECT_VIEWER"]),
        })]);
    projects(vec![ada_owns_project_1()])
        .when(member(
            "project-1",
            "user-1",
            MemberOp::Change(roles(&["PROJECT_OWNER"])),
        ))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
    projects(vec![ada_owns_project_1()])
        .when(member("project-1", "user-1", MemberOp::Remove))
        .await
        .then(vec![expected(&ProjectMemberRemoved {
            user_id: "user-1".into(),
        })]);
}

#[tokio::test]
async fn given_a_member_of_another_project_when_changed_or_removed_here_then_not_found() {
    projects(vec![ada_owns_project_1()])
        .when(member(
            "project-2",
            "user-1",
            MemberOp::Change(roles(&["PROJECT_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
    projects(vec![ada_owns_project_1()])
        .when(member("project-2", "user-1", MemberOp::Remove))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
}
