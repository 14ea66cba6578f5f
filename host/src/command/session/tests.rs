//! Given/when/then tests of sessions: the events a create, a change and a
//! termination write, and every refusal (wrong token, terminated or
//! expired session, another user, a user who may not sign in).

use chrono::{DateTime, Duration, Utc};
use rampart_plugin_sdk::catalogue::{
    CreateSession, MachineUserAdded, SessionAdded, SessionLifetimeSet, SessionTerminated,
    SessionTokenSet, SessionUserChecked, SetSession, UserDeactivated, UserLocked, UserRemoved,
};

use super::create::CreateSessionCommand;
use super::model::SessionModel;
use super::set::SetSessionCommand;
use super::terminate::TerminateSessionCommand;
use super::{AGGREGATE_TYPE, Passed, same_user};
use crate::auth::token::{NewSecret, digest};
use crate::command::pipeline::Decide as _;
use crate::command::testing::fixtures::{instance_added, org_added, user_added, user_ref};
use crate::command::testing::{Given, aggregate, event, given};
use crate::command::write_model::fold;
use crate::eventstore::{AggregateRef, Event, NewEvent, Position};

/// Org-1 with human user-1 "ada" and `more` events.
fn users(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.push(user_added("user-2", "org-1", "grace"));
    history.extend(more);
    given(history)
}

fn session_ref() -> AggregateRef {
    aggregate(AGGREGATE_TYPE, "session-1")
}

/// A token of known value.
fn secret(plain: &str) -> NewSecret {
    NewSecret {
        plain: plain.into(),
        hash: digest(plain),
    }
}

/// Session-1 of user-1, with token `token` (and `more` session events).
fn session_of_ada(token: &str, more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = vec![
        event(&session_ref(), &SessionAdded::default()),
        event(
            &session_ref(),
            &SessionUserChecked {
                user_id: "user-1".into(),
                org_id: "org-1".into(),
                checked_at: Utc::now(),
            },
        ),
        event(
            &session_ref(),
            &SessionTokenSet {
                token_hash: digest(token),
            },
        ),
    ];
    history.extend(more);
    users(history)
}

fn create(user: Option<&str>, password_checked: bool) -> CreateSessionCommand {
    let payload = CreateSession {
        user_id: user.map(str::to_owned),
        check_password: password_checked,
        lifetime_seconds: None,
        user_agent: Some("curl/8".into()),
        ..CreateSession::default()
    };
    CreateSessionCommand::new(
        "session-1",
        payload,
        Passed {
            password: password_checked,
            ..Passed::default()
        },
        None,
        secret("first"),
    )
}

fn set(presented: &str, user: Option<&str>, password_checked: bool) -> SetSessionCommand {
    let payload = SetSession {
        user_id: user.map(str::to_owned),
        check_password: password_checked,
        lifetime_seconds: None,
        ..SetSession::default()
    };
    SetSessionCommand::new(
        "session-1",
        presented,
        payload,
        Passed {
            password: password_checked,
            ..Passed::default()
        },
        None,
        secret("second"),
    )
}

/// The event types of a decision, in order.
fn types(events: &[NewEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn given_an_active_user_when_creating_with_user_and_password_then_both_checks_and_a_token_hash()
 {
    let cmd = create(Some("user-1"), true);
    assert!(
        !format!("{cmd:?}").contains("first\""),
        "Debug hides the token"
    );
    assert!(!cmd.payload().to_string().contains("first"));
    let decision = users(vec![]).when(cmd).await.decision();
    assert_eq!(
        types(&decision.events),
        [
            "session.added",
            "session.user.checked",
            "session.password.checked",
            "session.token.set"
        ]
    );
    let checked = &decision.events[1].payload;
    assert_eq!(
        (checked["userId"].as_str(), checked["orgId"].as_str()),
        (Some("user-1"), Some("org-1"))
    );
    assert_eq!(decision.events[0].payload["userAgent"], "curl/8");
    assert_eq!(decision.events[3].payload["tokenHash"], digest("first"));
    let stored: String = decision
        .events
        .iter()
        .map(|e| e.payload.to_string())
        .collect();
    assert!(!stored.contains("\"first\""), "{stored}");
}

#[tokio::test]
async fn given_no_checks_when_creating_then_an_empty_session_with_a_token() {
    let decision = users(vec![]).when(create(None, false)).await.decision();
    assert_eq!(
        types(&decision.events),
        ["session.added", "session.token.set"]
    );
}

#[tokio::test]
async fn given_users_who_may_not_sign_in_when_creating_then_refused_clearly() {
    users(vec![])
        .when(create(Some("user-9"), false))
        .await
        .then_error("NOT_FOUND", "user user-9 not found");
    users(vec![event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ada".into(),
        },
    )])
    .when(create(Some("user-1"), false))
    .await
    .then_error("NOT_FOUND", "user user-1");
    users(vec![event(&user_ref("user-1"), &UserDeactivated {})])
        .when(create(Some("user-1"), false))
        .await
        .then_error("FAILED_PRECONDITION", "the user is inactive");
    users(vec![event(&user_ref("user-1"), &UserLocked {})])
        .when(create(Some("user-1"), false))
        .await
        .then_error("FAILED_PRECONDITION", "the user is locked");
    users(vec![event(
        &user_ref("bot-1"),
        &MachineUserAdded {
            org_id: "org-1".into(),
            username: "bot".into(),
            name: "Bot".into(),
            ..MachineUserAdded::default()
        },
    )])
    .when(create(Some("bot-1"), false))
    .await
    .then_error("FAILED_PRECONDITION", "sessions are for human users");
}

#[tokio::test]
async fn given_a_password_without_a_user_when_creating_then_invalid_argument() {
    users(vec![])
        .when(create(None, true))
        .await
        .then_error("INVALID_ARGUMENT", "a password check needs a user check");
}

#[tokio::test]
async fn given_the_token_when_setting_a_password_check_then_checked_and_the_token_replaced() {
    let decision = session_of_ada("first", vec![])
        .when(set("first", None, true))
        .await
        .decision();
    assert_eq!(
        types(&decision.events),
        ["session.password.checked", "session.token.set"]
    );
    assert_eq!(decision.events[1].payload["tokenHash"], digest("second"));
}

#[tokio::test]
async fn given_a_wrong_or_old_token_when_setting_or_terminating_then_denied() {
    for presented in ["", "wrong", "second"] {
        session_of_ada("first", vec![])
            .when(set(presented, None, false))
            .await
            .then_error("SESSION_TOKEN_INVALID", "the session token is invalid");
        session_of_ada("first", vec![])
            .when(TerminateSessionCommand::new("session-1", Some(presented)))
            .await
            .then_error("SESSION_TOKEN_INVALID", "the session token is invalid");
    }
    // A rotated token: the first one no longer works.
    let rotated = event(
        &session_ref(),
        &SessionTokenSet {
            token_hash: digest("second"),
        },
    );
    session_of_ada("first", vec![rotated])
        .when(set("first", None, false))
        .await
        .then_error("SESSION_TOKEN_INVALID", "invalid");
}

#[tokio::test]
async fn given_another_user_when_setting_a_user_check_then_refused() {
    session_of_ada("first", vec![])
        .when(set("first", Some("user-2"), false))
        .await
        .then_error("FAILED_PRECONDITION", "the session is about another user");
}

#[tokio::test]
async fn given_a_user_locked_since_its_check_when_setting_a_password_check_then_refused() {
    session_of_ada("first", vec![event(&user_ref("user-1"), &UserLocked {})])
        .when(set("first", None, true))
        .await
        .then_error("FAILED_PRECONDITION", "the user is locked");
}

#[tokio::test]
async fn given_a_terminated_or_expired_session_when_setting_then_failed_precondition() {
    session_of_ada("first", vec![event(&session_ref(), &SessionTerminated {})])
        .when(set("first", None, false))
        .await
        .then_error("FAILED_PRECONDITION", "the session was terminated");
    let expired = SessionLifetimeSet {
        expires_at: Some(Utc::now() - Duration::seconds(1)),
    };
    session_of_ada("first", vec![event(&session_ref(), &expired)])
        .when(set("first", None, false))
        .await
        .then_error("FAILED_PRECONDITION", "the session expired at");
}

#[tokio::test]
async fn given_a_session_when_terminating_with_or_without_token_then_terminated_once() {
    for presented in [Some("first"), None] {
        session_of_ada("first", vec![])
            .when(TerminateSessionCommand::new("session-1", presented))
            .await
            .then(vec![crate::command::testing::expected(
                &SessionTerminated {},
            )]);
    }
    session_of_ada("first", vec![event(&session_ref(), &SessionTerminated {})])
        .when(TerminateSessionCommand::new("session-1", None))
        .await
        .then_error("FAILED_PRECONDITION", "already terminated");
    users(vec![])
        .when(TerminateSessionCommand::new("session-9", None))
        .await
        .then_error("NOT_FOUND", "session session-9 not found");
}

#[test]
fn given_session_events_when_folded_then_the_model_tracks_checks_expiry_and_token() {
    let at = Utc::now();
    let events = vec![
        (
            "session.added",
            serde_json::json!({ "expiresAt": at.to_rfc3339() }),
        ),
        (
            "session.user.checked",
            serde_json::json!({ "userId": "u-1", "orgId": "o-1", "checkedAt": at.to_rfc3339() }),
        ),
        (
            "session.token.set",
            serde_json::json!({ "tokenHash": digest("t") }),
        ),
        ("session.lifetime.set", serde_json::json!({})),
    ];
    let model = fold::<SessionModel>(&stored_session(events, at)).model;
    assert_eq!(model.user_id.as_deref(), Some("u-1"));
    assert_eq!(model.expires_at, None, "the lifetime was lifted");
    assert!(model.require_token("t").is_ok());
    assert!(model.require_token("u").is_err());
    assert!(
        !serde_json::to_string(&model)
            .unwrap()
            .contains(&digest("t"))
    );
    assert_eq!(same_user(&model, None).unwrap().as_deref(), Some("u-1"));
    assert!(same_user(&model, Some("u-2")).is_err());
}

#[tokio::test]
async fn given_a_plugin_requiring_a_second_factor_when_creating_then_the_session_records_it() {
    let cmd = create(Some("user-1"), true).requiring_second_factor(Some("probe".into()));
    let decision = users(vec![]).when(cmd).await.decision();
    assert_eq!(
        types(&decision.events),
        [
            "session.added",
            "session.user.checked",
            "session.password.checked",
            "session.second_factor.required",
            "session.token.set"
        ]
    );
    assert_eq!(decision.events[3].payload["requiredBy"], "probe");
}

#[tokio::test]
async fn given_a_session_when_a_plugin_requires_a_second_factor_on_a_change_then_it_is_recorded_and_folded()
 {
    let cmd = set("first", None, true).requiring_second_factor(Some("probe".into()));
    let decision = session_of_ada("first", vec![]).when(cmd).await.decision();
    assert!(
        types(&decision.events).contains(&"session.second_factor.required"),
        "{:?}",
        types(&decision.events)
    );
    let events = vec![
        ("session.added", serde_json::json!({})),
        (
            "session.second_factor.required",
            serde_json::json!({ "requiredBy": "probe" }),
        ),
    ];
    let model = fold::<SessionModel>(&stored_session(events, Utc::now())).model;
    assert!(model.second_factor_required);
    assert!(model.second_factor_checked_at.is_none());
}

#[test]
fn given_the_plugins_decisions_when_mapped_then_a_denial_is_login_denied_with_its_message() {
    use crate::command::CommandError;
    use crate::login_flow::Gate;
    assert_eq!(super::gate_outcome(Gate::Allow).unwrap(), None);
    assert_eq!(
        super::gate_outcome(Gate::SecondFactor { plugin: "p".into() })
            .unwrap()
            .as_deref(),
        Some("p")
    );
    let denied = super::gate_outcome(Gate::Deny {
        plugin: "p".into(),
        message: "not today".into(),
    })
    .unwrap_err();
    assert!(
        matches!(&denied, CommandError::Denied { code: "LOGIN_DENIED", message } if message == "not today"),
        "{denied:?}"
    );
}

/// Session-1's stored `events` (type, payload), all made `at`.
fn stored_session(events: Vec<(&str, serde_json::Value)>, at: DateTime<Utc>) -> Vec<Event> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, (event_type, payload))| Event {
            position: Position::new(i as i64 + 1, 0),
            aggregate: session_ref(),
            sequence: i as u64 + 1,
            event_type: event_type.into(),
            revision: 1,
            payload,
            creator: "c".into(),
            created_at: at,
        })
        .collect()
}
