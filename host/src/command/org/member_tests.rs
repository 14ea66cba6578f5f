//! Given/when/then tests of organization members.

use rampart_plugin_sdk::catalogue::{
    OrgDeactivated, OrgMemberAdded, OrgMemberChanged, OrgMemberRemoved, OrgRemoved,
};

use crate::command::member::{MemberCommand, MemberOp, OrgScope};
use crate::command::pipeline::Decide;
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, org_ref, user_added,
};
use crate::command::testing::{Given, event, expected, given};
use crate::eventstore::{AggregateRef, NewEvent};

/// The instance, org-1, org-2, human user-1 "ada" of org-1, machine
/// user-2 "ci-bot" of org-2, and `more` events.
fn orgs(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(org_added("org-2", "Globex", "globex.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.push(machine_added("user-2", "org-2", "ci-bot"));
    history.extend(more);
    given(history)
}

fn roles(roles: &[&str]) -> Vec<String> {
    roles.iter().map(|r| (*r).to_owned()).collect()
}

fn member(org_id: &str, user_id: &str, op: MemberOp) -> MemberCommand<OrgScope> {
    MemberCommand::new(org_id, user_id, op).unwrap()
}

fn ada_owns_acme() -> (AggregateRef, NewEvent) {
    event(
        &org_ref("org-1"),
        &OrgMemberAdded {
            user_id: "user-1".into(),
            roles: roles(&["ORG_OWNER"]),
        },
    )
}

#[tokio::test]
async fn given_an_org_when_a_user_of_any_org_is_made_a_member_then_added() {
    let cmd = member(
        "org-1",
        "user-2",
        MemberOp::Add(roles(&["ORG_USER_MANAGER", " ORG_OWNER"])),
    );
    assert_eq!(cmd.name(), "org.member.add");
    let model = Default::default();
    assert_eq!(cmd.org_id(&model).as_deref(), Some("org-1"));
    orgs(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&OrgMemberAdded {
            user_id: "user-2".into(),
            roles: roles(&["ORG_OWNER", "ORG_USER_MANAGER"]),
        })]);
}

#[tokio::test]
async fn given_an_inactive_org_when_a_member_is_added_then_it_is() {
    orgs(vec![event(&org_ref("org-1"), &OrgDeactivated {})])
        .when(member(
            "org-1",
            "user-1",
            MemberOp::Add(roles(&["ORG_OWNER"])),
        ))
        .await
        .then(vec![expected(&OrgMemberAdded {
            user_id: "user-1".into(),
            roles: roles(&["ORG_OWNER"]),
        })]);
}

#[tokio::test]
async fn given_an_unknown_or_removed_org_when_members_change_then_not_found() {
    orgs(vec![])
        .when(member(
            "org-9",
            "user-1",
            MemberOp::Add(roles(&["ORG_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "org org-9 not found");
    let removed = event(
        &org_ref("org-1"),
        &OrgRemoved {
            name: "ACME".into(),
        },
    );
    orgs(vec![ada_owns_acme(), removed])
        .when(member("org-1", "user-1", MemberOp::Remove))
        .await
        .then_error("NOT_FOUND", "org org-1 not found");
}

#[tokio::test]
async fn given_a_member_when_added_again_then_already_exists_and_unknown_users_are_not_found() {
    orgs(vec![ada_owns_acme()])
        .when(member(
            "org-1",
            "user-1",
            MemberOp::Add(roles(&["ORG_OWNER"])),
        ))
        .await
        .then_error(
            "ALREADY_EXISTS",
            "user user-1 is already a member of the organization",
        );
    orgs(vec![])
        .when(member(
            "org-1",
            "user-9",
            MemberOp::Add(roles(&["ORG_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "user user-9 not found");
}

#[tokio::test]
async fn given_a_member_when_changed_or_removed_then_it_happens() {
    orgs(vec![ada_owns_acme()])
        .when(member(
            "org-1",
            "user-1",
            MemberOp::Change(roles(&["ORG_USER_MANAGER"])),
        ))
        .await
        .then(vec![expected(&OrgMemberChanged {
            user_id: "user-1".into(),
            roles: roles(&["ORG_USER_MANAGER"]),
        })]);
    orgs(vec![ada_owns_acme()])
        .when(member(
            "org-1",
            "user-1",
            MemberOp::Change(roles(&["ORG_OWNER"])),
        ))
        .await
        .then_error("FAILED_PRECONDITION", "unchanged");
    orgs(vec![ada_owns_acme()])
        .when(member("org-1", "user-1", MemberOp::Remove))
        .await
        .then(vec![expected(&OrgMemberRemoved {
            user_id: "user-1".into(),
        })]);
}

#[tokio::test]
async fn given_a_member_of_another_org_when_changed_or_removed_here_then_not_found() {
    orgs(vec![ada_owns_acme()])
        .when(member(
            "org-2",
            "user-1",
            MemberOp::Change(roles(&["ORG_OWNER"])),
        ))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
    orgs(vec![ada_owns_acme()])
        .when(member("org-2", "user-1", MemberOp::Remove))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
}
