//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    AuthorizationAdded, AuthorizationChanged, ProjectGrantDeactivated, ProjectRemoved, UserRemoved,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json::json;
use rampart_plugin_sdk::testing::Harness;

use super::AuthorizationProjection;

fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of `aggregate` `id` in instance `i-1`, sequence 2.
fn event<T: EventPayload>(aggregate: &str, id: &str, payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on(aggregate, id)
        .with_sequence(2)
        .with_created_at(at())
        .by("admin-1")
}

fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<AuthorizationProjection>(event)
}

#[test]
fn given_an_authorization_added_when_projected_then_its_row_is_active_everywhere() {
    let added = event(
        "authorization",
        "a-1",
        &AuthorizationAdded {
            user_id: "u-1".into(),
            project_id: "p-1".into(),
            project_grant_id: None,
            org_id: "o-1".into(),
            role_keys: vec!["admin".into()],
        },
    );
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("authorizations")
                .set("instance_id", "i-1")
                .set("id", "a-1")
                .set("user_id", "u-1")
                .set("project_id", "p-1")
                .set("project_grant_id", "")
                .set("org_id", "o-1")
                .set("role_keys", Value::json(&json!(["admin"])))
                .set("state", "active")
                .set("project_active", true)
                .set("grant_active", true)
                .set("creator", "admin-1")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 2)
                .conflict(["instance_id", "id"])
        ])
    );
    let changed = event(
        "authorization",
        "a-1",
        &AuthorizationChanged { role_keys: vec![] },
    );
    assert_eq!(
        project(&changed),
        Ok(vec![
            Statement::update("authorizations")
                .filter("instance_id", "i-1")
                .filter("id", "a-1")
                .set("changed_at", at())
                .set("sequence", 2)
                .set("role_keys", Value::json(&json!([])))
        ])
    );
}

#[test]
fn given_what_happens_to_projects_grants_and_users_when_projected_then_their_rows_follow() {
    let grant = event(
        "project",
        "p-1",
        &ProjectGrantDeactivated {
            grant_id: "g-1".into(),
        },
    );
    assert_eq!(
        project(&grant),
        Ok(vec![
            Statement::update("authorizations")
                .set("grant_active", false)
                .filter("instance_id", "i-1")
                .filter("project_id", "p-1")
                .filter("project_grant_id", "g-1")
        ])
    );
    let removed = event("project", "p-1", &ProjectRemoved { name: "x".into() });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("authorizations")
                .filter("instance_id", "i-1")
                .filter("project_id", "p-1")
        ])
    );
    let user = event(
        "user",
        "u-1",
        &UserRemoved {
            username: "ada".into(),
        },
    );
    assert_eq!(
        project(&user),
        Ok(vec![
            Statement::delete("authorizations")
                .filter("instance_id", "i-1")
                .filter("user_id", "u-1")
        ])
    );
}
