//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    AccessTokenType, HumanEmailChanged, HumanEmailVerified, HumanPasswordChanged,
    HumanPhoneVerified, HumanProfileChanged, HumanUserAdded, MachineSecretRemoved,
    MachineSecretSet, MachineUserAdded, MachineUserChanged, PersonalAccessTokenAdded, Profile,
    UserDeactivated, UserLocked, UserReactivated, UserRemoved, UserUnlocked,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;

use super::{UserProjection, VERSION};

/// When the events under test happened.
pub(crate) fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of user `u-1` in instance `i-1`, sequence 3, by `admin-1`.
pub(crate) fn event<T: EventPayload>(payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on("user", "u-1")
        .with_sequence(3)
        .with_created_at(at())
        .by("admin-1")
}

/// The statements of `event`, through the SDK's harness.
pub(crate) fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<UserProjection>(event)
}

/// The update of `users` every event keeping the user starts from.
pub(crate) fn touch() -> Statement {
    Statement::update("users")
        .set("changed_at", at())
        .set("sequence", 3)
        .filter("instance_id", "i-1")
        .filter("id", "u-1")
}

fn ada(password_hash: Option<&str>) -> HumanUserAdded {
    HumanUserAdded {
        org_id: "o-1".into(),
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: Some("Countess".into()),
            preferred_language: None,
        },
        email: "ada@example.com".into(),
        email_verified: true,
        password_hash: password_hash.map(str::to_owned),
    }
}

/// The upsert of `ada`, with the password columns given.
fn ada_row(password_set: bool, password_changed_at: Option<DateTime>) -> Statement {
    Statement::upsert("users")
        .set("instance_id", "i-1")
        .set("id", "u-1")
        .set("org_id", "o-1")
        .set("kind", "human")
        .set("username", "ada")
        .set("given_name", "Ada")
        .set("family_name", "Lovelace")
        .set("display_name", "Countess")
        .set("preferred_language", Value::Null)
        .set("email", "ada@example.com")
        .set("email_verified", true)
        .set("phone", Value::Null)
        .set("phone_verified", false)
        .set("name", Value::Null)
        .set("description", Value::Null)
        .set("access_token_type", Value::Null)
        .set("has_secret", false)
        .set("state", "active")
        .set("password_set", password_set)
        .set("password_changed_at", password_changed_at)
        .set("totp_enrolled", false)
        .set("creator", "admin-1")
        .set("created_at", at())
        .set("changed_at", at())
        .set("sequence", 3)
        .conflict(["instance_id", "id"])
}

#[test]
fn given_a_user_added_without_password_when_projected_then_no_password_is_set() {
    assert_eq!(project(&event(&ada(None))), Ok(vec![ada_row(false, None)]));
}

#[test]
fn given_a_user_added_with_a_password_when_projected_then_it_is_set_at_creation() {
    assert_eq!(
        project(&event(&ada(Some("$argon2id$secret-hash")))),
        Ok(vec![ada_row(true, Some(at()))])
    );
}

#[test]
fn given_any_password_event_when_projected_then_the_hash_is_never_written() {
    let events = [
        event(&ada(Some("$argon2id$secret-hash"))),
        event(&HumanPasswordChanged {
            password_hash: "$argon2id$secret-hash".into(),
        }),
    ];
    for event in events {
        let statements = project(&event).unwrap();
        assert!(
            !format!("{statements:?}").contains("secret-hash"),
            "{statements:?}"
        );
    }
}

#[test]
fn given_a_profile_changed_when_projected_then_absent_fields_become_null() {
    let changed = event(&HumanProfileChanged {
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "King".into(),
            display_name: None,
            preferred_language: Some("en".into()),
        },
    });
    assert_eq!(
        project(&changed),
        Ok(vec![
            touch()
                .set("given_name", "Ada")
                .set("family_name", "King")
                .set("display_name", Value::Null)
                .set("preferred_language", "en")
        ])
    );
}

#[test]
fn given_an_email_changed_when_projected_then_address_and_verification_follow() {
    let changed = event(&HumanEmailChanged {
        address: "ada@king.example".into(),
        verified: false,
    });
    assert_eq!(
        project(&changed),
        Ok(vec![
            touch()
                .set("email", "ada@king.example")
                .set("email_verified", false)
        ])
    );
}

#[test]
fn given_an_email_verified_by_code_when_projected_then_it_is_verified() {
    let verified = event(&HumanEmailVerified {});
    assert_eq!(
        project(&verified),
        Ok(vec![touch().set("email_verified", true)])
    );
}

#[test]
fn given_a_phone_verified_by_code_when_projected_then_it_is_verified() {
    let verified = event(&HumanPhoneVerified {});
    assert_eq!(
        project(&verified),
        Ok(vec![touch().set("phone_verified", true)])
    );
}

#[test]
fn given_a_password_changed_when_projected_then_it_is_set_at_the_event_time() {
    let changed = event(&HumanPasswordChanged {
        password_hash: "$argon2id$new".into(),
    });
    assert_eq!(
        project(&changed),
        Ok(vec![
            touch()
                .set("password_set", true)
                .set("password_changed_at", at())
        ])
    );
}

#[test]
fn given_state_events_when_projected_then_the_state_follows() {
    let cases = [
        (event(&UserDeactivated {}), "inactive"),
        (event(&UserReactivated {}), "active"),
        (event(&UserLocked {}), "locked"),
        (event(&UserUnlocked {}), "active"),
    ];
    for (event, state) in cases {
        assert_eq!(
            project(&event),
            Ok(vec![touch().set("state", state)]),
            "{}",
            event.event_type
        );
    }
}

#[test]
fn given_a_user_removed_when_projected_then_the_row_and_its_metadata_are_deleted() {
    let removed = event(&UserRemoved {
        username: "ada".into(),
    });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("users")
                .filter("instance_id", "i-1")
                .filter("id", "u-1"),
            Statement::delete("user_metadata")
                .filter("instance_id", "i-1")
                .filter("user_id", "u-1"),
        ])
    );
}

#[test]
fn given_an_unknown_user_event_when_projected_then_it_is_ignored() {
    let unknown = Event::new("user.idp.linked")
        .on("user", "u-2")
        .with_raw_payload(r#"{"idp": "github"}"#);
    assert_eq!(project(&unknown), Ok(vec![]));
}

#[test]
fn given_an_event_of_another_aggregate_when_projected_then_it_is_not_handled() {
    let other = Event::new("org.added").with_raw_payload("not json");
    assert_eq!(project(&other), Ok(vec![]));
}

#[test]
fn given_a_payload_that_does_not_decode_when_projected_then_it_is_an_error() {
    let bad = event(&ada(None)).with_raw_payload(r#"{"username": "ada"}"#);
    let error = project(&bad).unwrap_err();
    assert!(
        error.starts_with("user.human.added at sequence 3: missing field"),
        "{error}"
    );
    let locked = event(&UserLocked {}).with_raw_payload("not json");
    let error = project(&locked).unwrap_err();
    assert!(
        error.starts_with("user.locked at sequence 3: expected"),
        "{error}"
    );
}

#[test]
fn given_a_user_added_by_an_older_host_when_projected_then_the_org_is_empty() {
    let legacy = event(&ada(None)).with_raw_payload(
        r#"{"username":"ada","givenName":"Ada","familyName":"L","email":"a@b.c"}"#,
    );
    let statements = project(&legacy).unwrap();
    let Statement::Upsert { fields, .. } = &statements[0] else {
        panic!("expected an upsert, got {statements:?}");
    };
    let org = fields.iter().find(|f| f.column == "org_id").unwrap();
    assert_eq!(org.value, Value::from(""));
}

#[test]
fn given_the_manifest_when_read_then_it_handles_user_events_without_capabilities() {
    let manifest = UserProjection::manifest();
    assert_eq!(manifest.name, "users");
    assert_eq!(manifest.version, VERSION);
    assert_eq!(
        manifest.version,
        concat!(env!("CARGO_PKG_VERSION"), "+schema.5")
    );
    assert_eq!(manifest.handles, ["user.*"]);
    assert!(manifest.capabilities.is_empty());
}

#[test]
fn given_the_table_when_declared_then_key_and_indexes_match_the_query_side() {
    let tables = UserProjection::tables();
    assert_eq!(tables.len(), 2);
    let users = &tables[0];
    assert_eq!(users.name, "users");
    assert_eq!(users.primary_key, ["instance_id", "id"]);
    assert_eq!(
        users.indexes,
        [
            Index::new("users_username", ["instance_id", "username"]),
            Index::new("users_org", ["instance_id", "org_id"]),
            Index::new("users_email", ["instance_id", "email"]),
        ]
    );
    let nullable: Vec<&str> = users
        .columns
        .iter()
        .filter(|c| c.nullable)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        nullable,
        [
            "display_name",
            "preferred_language",
            "phone",
            "name",
            "description",
            "access_token_type",
            "password_changed_at"
        ]
    );
}

#[test]
fn given_a_machine_user_added_when_projected_then_it_is_a_machine_with_empty_human_columns() {
    let added = event(&MachineUserAdded {
        org_id: "o-1".into(),
        username: "ci-bot".into(),
        name: "CI".into(),
        description: Some("builds".into()),
        access_token_type: AccessTokenType::Jwt,
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("users")
                .set("instance_id", "i-1")
                .set("id", "u-1")
                .set("org_id", "o-1")
                .set("kind", "machine")
                .set("username", "ci-bot")
                .set("given_name", "")
                .set("family_name", "")
                .set("display_name", Value::Null)
                .set("preferred_language", Value::Null)
                .set("email", "")
                .set("email_verified", false)
                .set("phone", Value::Null)
                .set("phone_verified", false)
                .set("name", "CI")
                .set("description", "builds")
                .set("access_token_type", "jwt")
                .set("has_secret", false)
                .set("state", "active")
                .set("password_set", false)
                .set("password_changed_at", Value::Null)
                .set("totp_enrolled", false)
                .set("creator", "admin-1")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 3)
                .conflict(["instance_id", "id"])
        ])
    );
}

#[test]
fn given_a_machine_user_changed_when_projected_then_name_and_description_follow() {
    let changed = event(&MachineUserChanged {
        name: "Deployer".into(),
        description: None,
        access_token_type: Some(AccessTokenType::Opaque),
    });
    assert_eq!(
        project(&changed),
        Ok(vec![
            touch()
                .set("name", "Deployer")
                .set("description", Value::Null)
                .set("access_token_type", "opaque")
        ])
    );
    // Written before the field existed: the type stays as it was.
    let old = event(&MachineUserChanged {
        name: "Deployer".into(),
        description: None,
        access_token_type: None,
    });
    assert_eq!(
        project(&old),
        Ok(vec![
            touch()
                .set("name", "Deployer")
                .set("description", Value::Null)
        ])
    );
}

#[test]
fn given_a_machine_secret_set_or_removed_when_projected_then_only_whether_there_is_one_is_kept() {
    let set = event(&MachineSecretSet {
        secret_hash: "secret-hash".into(),
    });
    let statements = project(&set).unwrap();
    assert_eq!(statements, vec![touch().set("has_secret", true)]);
    assert!(!format!("{statements:?}").contains("secret-hash"));
    assert_eq!(
        project(&event(&MachineSecretRemoved {})),
        Ok(vec![touch().set("has_secret", false)])
    );
}

#[test]
fn given_a_pat_added_when_projected_then_nothing_and_never_its_hash() {
    let pat = event(&PersonalAccessTokenAdded {
        token_id: "t-1".into(),
        token_hash: "secret-hash".into(),
        expires_at: at(),
    });
    assert_eq!(project(&pat), Ok(vec![]));
}

#[test]
fn given_a_totp_verified_then_removed_when_projected_then_enrolment_follows_and_pending_is_ignored()
{
    use rampart_plugin_sdk::catalogue::{TotpAdded, TotpRemoved, TotpVerified};
    let touched = |enrolled: bool| {
        Statement::update("users")
            .set("changed_at", at())
            .set("sequence", 3)
            .filter("instance_id", "i-1")
            .filter("id", "u-1")
            .set("totp_enrolled", enrolled)
    };
    assert_eq!(
        project(&event(&TotpVerified { step: 7 })),
        Ok(vec![touched(true)])
    );
    assert_eq!(project(&event(&TotpRemoved {})), Ok(vec![touched(false)]));
    let pending = project(&event(&TotpAdded {
        secret: "v1:sealed".into(),
    }))
    .unwrap();
    assert!(pending.is_empty(), "{pending:?}");
}
