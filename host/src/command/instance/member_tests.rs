//! Given/when/then tests of instance members.

use chrono::Utc;
use rampart_plugin_sdk::catalogue::{
    InstanceMemberAdded, InstanceMemberChanged, InstanceMemberRemoved, UserRemoved,
};

use crate::command::member::{InstanceScope, MemberCommand, MemberOp, Members, normalize_roles};
use crate::command::pipeline::Decide;
use crate::command::testing::fixtures::{
    instance_added, instance_ref, machine_added, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, INSTANCE, ctx, event, expected, given};
use crate::eventstore::{AggregateRef, Event, NewEvent, Position};

/// The instance, org-1, human user-1 "ada", machine user-2 "ci-bot", and
/// `more` events.
fn users(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.push(machine_added("user-2", "org-1", "ci-bot"));
    history.extend(more);
    given(history)
}

fn roles(roles: &[&str]) -> Vec<String> {
    roles.iter().map(|r| (*r).to_owned()).collect()
}

fn member(user_id: &str, op: MemberOp) -> MemberCommand<InstanceScope> {
    MemberCommand::new(INSTANCE, user_id, op).unwrap()
}

fn ada_is_admin() -> (AggregateRef, NewEvent) {
    event(
        &instance_ref(),
        &InstanceMemberAdded {
            user_id: "user-1".into(),
            roles: roles(&["IAM_OWNER"]),
        },
    )
}

#[tokio::test]
async fn given_a_user_when_made_a_member_then_added_with_trimmed_distinct_sorted_roles() {
    let cmd = member(
        "user-1",
        MemberOp::Add(roles(&[" IAM_OWNER ", "IAM_AUDITOR", "IAM_OWNER"])),
    );
    assert_eq!(cmd.name(), "instance.member.add");
    assert_eq!(cmd.aggregate_id(&ctx()), INSTANCE);
    assert_eq!(
        cmd.payload(),
        serde_json::json!({"userId": "user-1", "roles": ["IAM_AUDITOR", "IAM_OWNER"]})
    );
    users(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&InstanceMemberAdded {
            user_id: "user-1".into(),
            roles: roles(&["IAM_AUDITOR", "IAM_OWNER"]),
        })]);
    users(vec![])
        .when(member(
            "user-2",
            MemberOp::Add(roles(&["IAM_LOGIN_CLIENT"])),
        ))
        .await
        .then(vec![expected(&InstanceMemberAdded {
            user_id: "user-2".into(),
            roles: roles(&["IAM_LOGIN_CLIENT"]),
        })]);
}

#[tokio::test]
async fn given_a_member_when_added_again_then_already_exists() {
    let err = users(vec![ada_is_admin()])
        .when(member("user-1", MemberOp::Add(roles(&["IAM_AUDITOR"]))))
        .await
        .then_error(
            "ALREADY_EXISTS",
            "user user-1 is already a member of the instance",
        );
    assert!(
        matches!(&err, crate::command::CommandError::AlreadyExists { kind, .. } if kind == "member")
    );
}

#[tokio::test]
async fn given_an_unknown_or_removed_user_when_made_a_member_then_not_found() {
    users(vec![])
        .when(member("user-9", MemberOp::Add(roles(&["IAM_OWNER"]))))
        .await
        .then_error("NOT_FOUND", "user user-9 not found");
    let removed = event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ada".into(),
        },
    );
    users(vec![removed.clone()])
        .when(member("user-1", MemberOp::Add(roles(&["IAM_OWNER"]))))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
    users(vec![ada_is_admin(), removed])
        .when(member("user-1", MemberOp::Change(roles(&["IAM_AUDITOR"]))))
        .await
        .then_error("NOT_FOUND", "user user-1 not found");
}

#[tokio::test]
async fn given_no_instance_when_a_member_is_added_then_not_found() {
    given(vec![user_added("user-1", "org-1", "ada")])
        .when(member("user-1", MemberOp::Add(roles(&["IAM_OWNER"]))))
        .await
        .then_error("NOT_FOUND", &format!("instance {INSTANCE} not found"));
}

#[test]
fn given_no_role_or_a_blank_one_when_normalized_then_invalid_argument() {
    let err = normalize_roles(vec![]).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    assert!(err.to_string().contains("at least one role"), "{err}");
    let err = normalize_roles(roles(&["IAM_OWNER", "  "])).unwrap_err();
    assert!(
        err.to_string().contains("a role must not be empty"),
        "{err}"
    );
    let err = MemberCommand::<InstanceScope>::new(INSTANCE, " ", MemberOp::Remove).unwrap_err();
    assert!(err.to_string().contains("the user id must not be empty"));
    assert!(MemberCommand::<InstanceScope>::new(INSTANCE, "u", MemberOp::Change(vec![])).is_err());
}

#[tokio::test]
async fn given_a_member_when_its_roles_change_then_changed_unless_unchanged() {
    users(vec![ada_is_admin()])
        .when(member(
            "user-1",
            MemberOp::Change(roles(&["IAM_AUDITOR", "IAM_OWNER"])),
        ))
        .await
        .then(vec![expected(&InstanceMemberChanged {
            user_id: "user-1".into(),
            roles: roles(&["IAM_AUDITOR", "IAM_OWNER"]),
        })]);
    users(vec![ada_is_admin()])
        .when(member("user-1", MemberOp::Change(roles(&[" IAM_OWNER"]))))
        .await
        .then_error("FAILED_PRECONDITION", "the member's roles are unchanged");
}

#[tokio::test]
async fn given_a_non_member_when_changed_or_removed_then_not_found() {
    users(vec![])
        .when(member("user-1", MemberOp::Change(roles(&["IAM_OWNER"]))))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
    let removed = event(
        &instance_ref(),
        &InstanceMemberRemoved {
            user_id: "user-1".into(),
        },
    );
    users(vec![ada_is_admin(), removed])
        .when(member("user-1", MemberOp::Remove))
        .await
        .then_error("NOT_FOUND", "member user-1 not found");
}

#[tokio::test]
async fn given_a_member_when_removed_then_removed_even_after_its_user_is_gone() {
    let cmd = member("user-1", MemberOp::Remove);
    assert_eq!(cmd.payload(), serde_json::json!({"userId": "user-1"}));
    users(vec![ada_is_admin()])
        .when(cmd.clone())
        .await
        .then(vec![expected(&InstanceMemberRemoved {
            user_id: "user-1".into(),
        })]);
    let user_gone = event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ada".into(),
        },
    );
    users(vec![ada_is_admin(), user_gone])
        .when(cmd)
        .await
        .then(vec![expected(&InstanceMemberRemoved {
            user_id: "user-1".into(),
        })]);
}

#[test]
fn given_member_events_when_folded_then_roles_and_times_follow() {
    let at = |s: i64| Utc::now() + chrono::Duration::seconds(s);
    let stored = |index: i64, (aggregate, new): (AggregateRef, NewEvent), created_at| Event {
        position: Position::new(index, 0),
        aggregate,
        sequence: index as u64,
        event_type: new.event_type,
        revision: new.revision,
        payload: new.payload,
        creator: new.creator,
        created_at,
    };
    let (t1, t2, t3) = (at(1), at(2), at(3));
    let changed = event(
        &instance_ref(),
        &InstanceMemberChanged {
            user_id: "user-1".into(),
            roles: roles(&["IAM_AUDITOR"]),
        },
    );
    let other = event(
        &instance_ref(),
        &InstanceMemberAdded {
            user_id: "user-2".into(),
            roles: roles(&["IAM_OWNER"]),
        },
    );
    let gone = event(
        &instance_ref(),
        &InstanceMemberRemoved {
            user_id: "user-2".into(),
        },
    );
    let mut members = Members::default();
    assert!(members.apply(&stored(1, ada_is_admin(), t1)));
    assert!(members.apply(&stored(2, changed, t2)));
    assert!(members.apply(&stored(3, other, t2)));
    assert!(members.apply(&stored(4, gone, t3)));
    let not_a_member_event = instance_added("x").remove(0);
    assert!(!members.apply(&stored(5, not_a_member_event, t3)));
    let ada = members.get("user-1").unwrap();
    assert_eq!(ada.roles, roles(&["IAM_AUDITOR"]));
    assert_eq!((ada.added_at, ada.changed_at), (t1, t2));
    assert!(members.get("user-2").is_none());
}
