//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    ApiConfig, AppAdded, AppConfigChanged, AppSecretChanged, ClientAuthMethod, OidcConfig,
    ProjectAdded, ProjectChanged, ProjectGrantAdded, ProjectGrantChanged, ProjectGrantReactivated,
    ProjectGrantRemoved, ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json::json;
use rampart_plugin_sdk::testing::Harness;

use super::ProjectProjection;

/// When the events under test happened.
fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of project `p-1` in instance `i-1`, sequence 4.
fn event<T: EventPayload>(payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on("project", "p-1")
        .with_sequence(4)
        .with_created_at(at())
        .by("admin-1")
}

fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<ProjectProjection>(event)
}

/// The update of `projects` every event keeping the project carries.
fn touch() -> Statement {
    Statement::update("projects")
        .filter("instance_id", "i-1")
        .filter("id", "p-1")
        .set("changed_at", at())
        .set("sequence", 4)
}

#[test]
fn given_a_project_added_when_projected_then_its_row_is_upserted_active() {
    let added = event(&ProjectAdded {
        org_id: "o-1".into(),
        name: "Shop".into(),
        role_assertion: true,
        authorization_required: false,
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("projects")
                .set("instance_id", "i-1")
                .set("id", "p-1")
                .set("org_id", "o-1")
                .set("name", "Shop")
                .set("state", "active")
                .set("role_assertion", true)
                .set("authorization_required", false)
                .set("creator", "admin-1")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 4)
                .conflict(["instance_id", "id"])
        ])
    );
}

#[test]
fn given_a_project_changed_when_projected_then_only_the_carried_fields_are_set() {
    let changed = event(&ProjectChanged {
        name: None,
        role_assertion: None,
        authorization_required: Some(true),
    });
    assert_eq!(
        project(&changed),
        Ok(vec![touch().set("authorization_required", true)])
    );
}

#[test]
fn given_a_project_removed_when_projected_then_its_roles_grants_and_row_go() {
    let removed = event(&ProjectRemoved {
        name: "Shop".into(),
    });
    let of = |table: &str, column: &str| {
        Statement::delete(table)
            .filter("instance_id", "i-1")
            .filter(column, "p-1")
    };
    assert_eq!(
        project(&removed),
        Ok(vec![
            of("project_roles", "project_id"),
            of("project_grants", "project_id"),
            of("project_apps", "project_id"),
            of("projects", "id"),
        ])
    );
}

#[test]
fn given_a_role_changed_when_projected_then_it_is_upserted_keeping_its_creation_time() {
    let changed = event(&ProjectRoleChanged {
        key: "admin".into(),
        display_name: "Admin".into(),
        group: "ops".into(),
    });
    let statements = project(&changed).unwrap();
    assert_eq!(
        statements[0],
        Statement::upsert("project_roles")
            .set("instance_id", "i-1")
            .set("project_id", "p-1")
            .set("key", "admin")
            .set("display_name", "Admin")
            .set("role_group", "ops")
            .set("changed_at", at())
            .set("sequence", 4)
            .conflict(["instance_id", "project_id", "key"])
    );
    let added = project(&event(&ProjectRoleAdded {
        key: "admin".into(),
        display_name: "Admin".into(),
        group: String::new(),
    }))
    .unwrap();
    assert_eq!(
        added[0],
        Statement::upsert("project_roles")
            .set("instance_id", "i-1")
            .set("project_id", "p-1")
            .set("key", "admin")
            .set("display_name", "Admin")
            .set("role_group", "")
            .set("created_at", at())
            .set("changed_at", at())
            .set("sequence", 4)
            .conflict(["instance_id", "project_id", "key"])
    );
    assert_eq!(statements[1], touch());
}

#[test]
fn given_grant_events_when_projected_then_the_grant_row_follows() {
    let added = project(&event(&ProjectGrantAdded {
        grant_id: "g-1".into(),
        granted_org_id: "o-2".into(),
        role_keys: vec!["admin".into()],
    }))
    .unwrap();
    assert_eq!(
        added[0],
        Statement::upsert("project_grants")
            .set("instance_id", "i-1")
            .set("project_id", "p-1")
            .set("grant_id", "g-1")
            .set("granted_org_id", "o-2")
            .set("role_keys", Value::json(&json!(["admin"])))
            .set("state", "active")
            .set("created_at", at())
            .set("changed_at", at())
            .set("sequence", 4)
            .conflict(["instance_id", "project_id", "grant_id"])
    );
    let grant = || {
        Statement::update("project_grants")
            .filter("instance_id", "i-1")
            .filter("project_id", "p-1")
            .filter("grant_id", "g-1")
            .set("changed_at", at())
            .set("sequence", 4)
    };
    let changed = project(&event(&ProjectGrantChanged {
        grant_id: "g-1".into(),
        role_keys: vec![],
    }));
    assert_eq!(
        changed,
        Ok(vec![
            grant().set("role_keys", Value::json(&json!([]))),
            touch()
        ])
    );
    let reactivated = project(&event(&ProjectGrantReactivated {
        grant_id: "g-1".into(),
    }));
    assert_eq!(
        reactivated,
        Ok(vec![grant().set("state", "active"), touch()])
    );
    let removed = project(&event(&ProjectGrantRemoved {
        grant_id: "g-1".into(),
        granted_org_id: "o-2".into(),
    }));
    assert_eq!(
        removed,
        Ok(vec![
            Statement::delete("project_grants")
                .filter("instance_id", "i-1")
                .filter("project_id", "p-1")
                .filter("grant_id", "g-1"),
            touch()
        ])
    );
}

#[test]
fn given_a_malformed_payload_when_projected_then_the_error_names_the_event() {
    let broken = Event::new("project.added")
        .in_instance("i-1")
        .on("project", "p-1")
        .with_raw_payload("[]");
    let error = project(&broken).unwrap_err();
    assert!(error.contains("project.added"), "{error}");
}

#[test]
fn given_application_events_when_projected_then_the_row_holds_its_settings_but_never_a_secret() {
    let config = OidcConfig {
        redirect_uris: vec!["https://shop.example/cb".into()],
        ..OidcConfig::default()
    };
    let added = project(&event(&AppAdded {
        app_id: "a-1".into(),
        name: "Web".into(),
        client_id: "a-1@p-1".into(),
        oidc: Some(config.clone()),
        api: None,
    }))
    .unwrap();
    assert_eq!(
        added[0],
        Statement::upsert("project_apps")
            .set("instance_id", "i-1")
            .set("project_id", "p-1")
            .set("app_id", "a-1")
            .set("name", "Web")
            .set("client_id", "a-1@p-1")
            .set("kind", "oidc")
            .set("state", "active")
            .set("auth_method", "client_secret_basic")
            .set("config", Value::json(&json!(config)))
            .set("created_at", at())
            .set("changed_at", at())
            .set("sequence", 4)
            .conflict(["instance_id", "project_id", "app_id"])
    );
    let changed = project(&event(&AppConfigChanged {
        app_id: "a-1".into(),
        oidc: None,
        api: Some(ApiConfig {
            auth_method: ClientAuthMethod::PrivateKeyJwt,
        }),
    }))
    .unwrap();
    assert_eq!(
        changed[0],
        Statement::update("project_apps")
            .filter("instance_id", "i-1")
            .filter("project_id", "p-1")
            .filter("app_id", "a-1")
            .set("changed_at", at())
            .set("sequence", 4)
            .set("auth_method", "private_key_jwt")
            .set(
                "config",
                Value::json(&json!({ "authMethod": "private_key_jwt" }))
            )
    );
    let secret = project(&event(&AppSecretChanged {
        app_id: "a-1".into(),
        secret_hash: Some("h".into()),
    }));
    assert_eq!(secret, Ok(vec![]), "secrets stay out of the read model");
    let neither = project(&event(&AppAdded::default()));
    assert!(neither.unwrap_err().contains("exactly one of oidc and api"));
}
