//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    SessionAdded, SessionPasswordChecked, SessionRecoveryCodeChecked, SessionTerminated,
    SessionTokenSet, SessionTotpChecked, SessionUserChecked,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;

use super::SessionProjection;

fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of session `s-1` in instance `i-1`, sequence 2.
fn event<T: EventPayload>(payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on("session", "s-1")
        .with_sequence(2)
        .with_created_at(at())
        .by("login-client")
}

fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<SessionProjection>(event)
}

fn own() -> Statement {
    Statement::update("sessions")
        .filter("instance_id", "i-1")
        .filter("id", "s-1")
        .set("changed_at", at())
        .set("sequence", 2_i64)
}

#[test]
fn given_a_session_added_when_projected_then_its_row_is_active_without_checks() {
    let added = event(&SessionAdded {
        user_agent: Some("curl/8".into()),
        expires_at: Some(at()),
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("sessions")
                .set("instance_id", "i-1")
                .set("id", "s-1")
                .set("user_id", None::<String>)
                .set("org_id", None::<String>)
                .set("user_checked_at", None::<DateTime>)
                .set("password_checked_at", None::<DateTime>)
                .set("totp_checked_at", None::<DateTime>)
                .set("recovery_code_checked_at", None::<DateTime>)
                .set("user_agent", "curl/8")
                .set("expires_at", at())
                .set("state", "active")
                .set("creator", "login-client")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 2_i64)
                .conflict(["instance_id", "id"])
        ])
    );
}

#[test]
fn given_checks_when_projected_then_the_user_its_org_and_the_times_are_set() {
    let user = event(&SessionUserChecked {
        user_id: "u-1".into(),
        org_id: "o-1".into(),
        checked_at: at(),
    });
    assert_eq!(
        project(&user),
        Ok(vec![
            own()
                .set("user_id", "u-1")
                .set("org_id", "o-1")
                .set("user_checked_at", at())
        ])
    );
    let password = event(&SessionPasswordChecked { checked_at: at() });
    assert_eq!(
        project(&password),
        Ok(vec![own().set("password_checked_at", at())])
    );
    let totp = event(&SessionTotpChecked { checked_at: at() });
    assert_eq!(project(&totp), Ok(vec![own().set("totp_checked_at", at())]));
    let recovery = event(&SessionRecoveryCodeChecked { checked_at: at() });
    assert_eq!(
        project(&recovery),
        Ok(vec![own().set("recovery_code_checked_at", at())])
    );
}

#[test]
fn given_a_token_set_when_projected_then_its_hash_goes_nowhere() {
    let set = event(&SessionTokenSet {
        token_hash: "secret-hash".into(),
    });
    let statements = project(&set).unwrap();
    assert_eq!(statements, vec![own()]);
    assert!(!format!("{statements:?}").contains("secret-hash"));
}

#[test]
fn given_a_termination_when_projected_then_the_row_stays_terminated() {
    assert_eq!(
        project(&event(&SessionTerminated {})),
        Ok(vec![own().set("state", "terminated")])
    );
}
