//! Given/when/then tests of the phone columns and the `user_metadata` table.

use rampart_plugin_sdk::catalogue::{
    HumanPhoneChanged, HumanPhoneRemoved, UserMetadataChanged, UserMetadataRemoved,
};
use rampart_plugin_sdk::prelude::*;

use super::UserProjection;
use crate::tests::{at, event, project, touch};

/// `user.metadata.changed` of key `team` in org `o-1`.
fn team(value: &[u8]) -> UserMetadataChanged {
    UserMetadataChanged {
        org_id: "o-1".into(),
        key: "team".into(),
        value: value.to_vec(),
    }
}

#[test]
fn given_a_phone_changed_when_projected_then_number_and_verification_follow() {
    let changed = event(&HumanPhoneChanged {
        phone: "+41446681800".into(),
        verified: true,
    });
    assert_eq!(
        project(&changed),
        Ok(vec![
            touch()
                .set("phone", "+41446681800")
                .set("phone_verified", true)
        ])
    );
}

#[test]
fn given_a_phone_removed_when_projected_then_the_number_is_null_and_unverified() {
    assert_eq!(
        project(&event(&HumanPhoneRemoved {})),
        Ok(vec![
            touch()
                .set("phone", Value::Null)
                .set("phone_verified", false)
        ])
    );
}

#[test]
fn given_metadata_changed_when_projected_then_the_entry_is_upserted_keeping_created_at() {
    assert_eq!(
        project(&event(&team(&[0xfb, 0xff, 0x00]))),
        Ok(vec![
            Statement::upsert("user_metadata")
                .set("instance_id", "i-1")
                .set("user_id", "u-1")
                .set("key", "team")
                .set("org_id", "o-1")
                .set("value", "+/8A")
                .set("changed_at", at())
                .set("sequence", 3)
                .conflict(["instance_id", "user_id", "key"]),
            Statement::update("user_metadata")
                .set("created_at", at())
                .filter("instance_id", "i-1")
                .filter("user_id", "u-1")
                .filter("key", "team")
                .filter("created_at", Value::Null),
            touch(),
        ])
    );
}

#[test]
fn given_metadata_removed_when_projected_then_only_that_entry_is_deleted() {
    let removed = event(&UserMetadataRemoved { key: "team".into() });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("user_metadata")
                .filter("instance_id", "i-1")
                .filter("user_id", "u-1")
                .filter("key", "team"),
            touch(),
        ])
    );
}

#[test]
fn given_metadata_that_is_not_base64_when_projected_then_it_is_an_error() {
    let bad = event(&team(b"x")).with_raw_payload(r#"{"key":"team","value":"%%"}"#);
    let error = project(&bad).unwrap_err();
    assert!(
        error.starts_with("user.metadata.changed at sequence 3: not base64"),
        "{error}"
    );
}

#[test]
fn given_the_metadata_table_when_declared_then_keyed_by_user_and_key_with_a_prefix_index() {
    let tables = UserProjection::tables();
    let metadata = tables
        .iter()
        .find(|t| t.name == "user_metadata")
        .expect("declared");
    assert_eq!(metadata.primary_key, ["instance_id", "user_id", "key"]);
    assert_eq!(
        metadata.indexes,
        [Index::new(
            "user_metadata_user",
            ["instance_id", "user_id", "key"]
        )]
    );
    let columns: Vec<(&str, ColumnType, bool)> = metadata
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind, c.nullable))
        .collect();
    assert_eq!(
        columns,
        [
            ("instance_id", ColumnType::Text, false),
            ("user_id", ColumnType::Text, false),
            ("key", ColumnType::Text, false),
            ("org_id", ColumnType::Text, false),
            ("value", ColumnType::Text, false),
            ("created_at", ColumnType::Timestamp, true),
            ("changed_at", ColumnType::Timestamp, false),
            ("sequence", ColumnType::Integer, false),
        ]
    );
}
