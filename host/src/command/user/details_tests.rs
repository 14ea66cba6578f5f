//! Given/when/then tests of a human's phone number and of user metadata.

use rampart_plugin_sdk::catalogue::{
    ChangeHumanPhone, HumanPhoneChanged, HumanPhoneRemoved, SetUserMetadata, UserMetadataChanged,
    UserMetadataRemoved, UserRemoved,
};

use super::metadata::{
    METADATA_KEY_MAX_CHARS, METADATA_MAX_KEYS, METADATA_VALUE_MAX_BYTES, MetadataCommand,
};
use super::model::UserModel;
use super::phone::{PhoneCommand, normalize_phone};
use crate::command::pipeline::json;
use crate::command::testing::fixtures::{
    instance_added, machine_added, org_added, user_added, user_ref,
};
use crate::command::testing::{Given, event, expected, given, stored};
use crate::command::write_model::{WriteModel as _, fold};
use crate::eventstore::{AggregateRef, NewEvent};

/// Org-1 with human user-1 "ada", machine user-2 "ci-bot" and `more`
/// events.
fn users(more: Vec<(AggregateRef, NewEvent)>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.push(user_added("user-1", "org-1", "ada"));
    history.push(machine_added("user-2", "org-1", "ci-bot"));
    history.extend(more);
    given(history)
}

fn set_phone(user_id: &str, phone: &str, verified: bool) -> PhoneCommand {
    PhoneCommand::set(
        user_id,
        ChangeHumanPhone {
            phone: phone.into(),
            verified,
        },
    )
    .unwrap()
}

/// `user.human.phone.changed` of user-1.
fn phone_changed(phone: &str, verified: bool) -> (AggregateRef, NewEvent) {
    event(
        &user_ref("user-1"),
        &HumanPhoneChanged {
            phone: phone.into(),
            verified,
        },
    )
}

fn set_metadata(user_id: &str, key: &str, value: &[u8]) -> MetadataCommand {
    MetadataCommand::set(
        user_id,
        SetUserMetadata {
            key: key.into(),
            value: value.to_vec(),
        },
    )
    .unwrap()
}

/// `user.metadata.changed` in org-1.
fn metadata_changed(key: &str, value: &[u8]) -> UserMetadataChanged {
    UserMetadataChanged {
        org_id: "org-1".into(),
        key: key.into(),
        value: value.to_vec(),
    }
}

#[test]
fn given_numbers_with_separators_when_normalized_then_they_are_e164() {
    for (input, normalized) in [
        ("+41 44 668 18 00", "+41446681800"),
        ("+1 (555) 010-9999", "+15550109999"),
        ("+49.30.1234567", "+49301234567"),
        (" +4915112345678 ", "+4915112345678"),
        ("+12345678", "+12345678"),
        ("+123456789012345", "+123456789012345"),
    ] {
        assert_eq!(normalize_phone(input).unwrap(), normalized, "{input}");
    }
}

#[test]
fn given_numbers_not_in_international_form_when_normalized_then_invalid_argument() {
    for input in [
        "044 668 18 00",
        "0041446681800",
        "+0446681800",
        "+1234567",
        "+1234567890123456",
        "+41 44 668 18 0x",
        "++41446681800",
        "+41/446681800",
        "+",
    ] {
        let err = normalize_phone(input).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT", "{input}");
        assert!(err.to_string().contains("E.164"), "{input}: {err}");
    }
    let err = normalize_phone(" - ").unwrap_err();
    assert!(err.to_string().contains("must not be empty"), "{err}");
}

#[tokio::test]
async fn given_a_human_when_a_phone_is_set_then_changed_with_the_normalized_number() {
    users(vec![])
        .when(set_phone("user-1", "+41 44 668-18-00", false))
        .await
        .then(vec![expected(&HumanPhoneChanged {
            phone: "+41446681800".into(),
            verified: false,
        })]);
}

#[tokio::test]
async fn given_a_phone_when_only_its_verification_changes_then_changed() {
    users(vec![phone_changed("+41446681800", false)])
        .when(set_phone("user-1", "+41446681800", true))
        .await
        .then(vec![expected(&HumanPhoneChanged {
            phone: "+41446681800".into(),
            verified: true,
        })]);
}

#[tokio::test]
async fn given_a_phone_when_the_same_number_is_set_in_another_spelling_then_unchanged() {
    users(vec![phone_changed("+41446681800", true)])
        .when(set_phone("user-1", "+41 (44) 668 18 00", true))
        .await
        .then_error("FAILED_PRECONDITION", "the phone number is unchanged");
}

#[tokio::test]
async fn given_a_machine_when_a_phone_is_set_or_removed_then_failed_precondition() {
    users(vec![])
        .when(set_phone("user-2", "+41446681800", false))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "only human users have a phone number",
        );
    users(vec![])
        .when(PhoneCommand::remove("user-2"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "only human users have a phone number",
        );
}

#[tokio::test]
async fn given_a_phone_when_removed_then_removed_and_a_second_removal_fails() {
    users(vec![phone_changed("+41446681800", true)])
        .when(PhoneCommand::remove("user-1"))
        .await
        .then(vec![expected(&HumanPhoneRemoved {})]);
    users(vec![
        phone_changed("+41446681800", true),
        event(&user_ref("user-1"), &HumanPhoneRemoved {}),
    ])
    .when(PhoneCommand::remove("user-1"))
    .await
    .then_error("FAILED_PRECONDITION", "no phone number");
}

#[tokio::test]
async fn given_a_removed_user_when_its_phone_changes_then_not_found() {
    users(vec![event(
        &user_ref("user-1"),
        &UserRemoved {
            username: "ada".into(),
        },
    )])
    .when(set_phone("user-1", "+41446681800", false))
    .await
    .then_error("NOT_FOUND", "user user-1 not found");
}

#[tokio::test]
async fn given_any_user_when_metadata_is_set_then_changed_with_its_org_and_bytes() {
    users(vec![])
        .when(set_metadata("user-2", " team ", &[0, 255, 7]))
        .await
        .then(vec![expected(&metadata_changed("team", &[0, 255, 7]))]);
    users(vec![])
        .when(set_metadata("user-1", "ext:crm.id_2-a", b"42"))
        .await
        .then(vec![expected(&metadata_changed("ext:crm.id_2-a", b"42"))]);
}

#[tokio::test]
async fn given_a_key_when_set_to_another_value_then_changed_and_to_the_same_then_unchanged() {
    let history = || {
        vec![event(
            &user_ref("user-1"),
            &metadata_changed("team", b"blue"),
        )]
    };
    users(history())
        .when(set_metadata("user-1", "team", b"green"))
        .await
        .then(vec![expected(&metadata_changed("team", b"green"))]);
    users(history())
        .when(set_metadata("user-1", "team", b"blue"))
        .await
        .then_error("FAILED_PRECONDITION", "the metadata \"team\" is unchanged");
}

/// `count` metadata keys `k0`, `k1`, … of user-1.
fn keys(count: usize) -> Vec<(AggregateRef, NewEvent)> {
    (0..count)
        .map(|i| {
            event(
                &user_ref("user-1"),
                &metadata_changed(&format!("k{i}"), b"v"),
            )
        })
        .collect()
}

#[tokio::test]
async fn given_the_most_keys_when_a_new_key_is_set_then_refused_but_existing_ones_change() {
    users(keys(METADATA_MAX_KEYS))
        .when(set_metadata("user-1", "one-more", b"v"))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "already has 100 metadata keys, the most allowed",
        );
    users(keys(METADATA_MAX_KEYS))
        .when(set_metadata("user-1", "k7", b"w"))
        .await
        .then(vec![expected(&metadata_changed("k7", b"w"))]);
    let mut freed = keys(METADATA_MAX_KEYS);
    freed.push(event(
        &user_ref("user-1"),
        &UserMetadataRemoved { key: "k0".into() },
    ));
    users(freed)
        .when(set_metadata("user-1", "one-more", b"v"))
        .await
        .then(vec![expected(&metadata_changed("one-more", b"v"))]);
}

#[tokio::test]
async fn given_a_key_when_removed_then_removed_and_an_unknown_key_is_not_found() {
    users(keys(2))
        .when(MetadataCommand::remove("user-1", "k1").unwrap())
        .await
        .then(vec![expected(&UserMetadataRemoved { key: "k1".into() })]);
    users(keys(2))
        .when(MetadataCommand::remove("user-1", "k2").unwrap())
        .await
        .then_error("NOT_FOUND", "metadata k2 not found");
    let mut removed = keys(1);
    removed.push(event(
        &user_ref("user-1"),
        &UserMetadataRemoved { key: "k0".into() },
    ));
    users(removed)
        .when(MetadataCommand::remove("user-1", "k0").unwrap())
        .await
        .then_error("NOT_FOUND", "metadata k0 not found");
}

#[tokio::test]
async fn given_an_unknown_user_when_metadata_is_set_then_not_found() {
    users(vec![])
        .when(set_metadata("user-9", "team", b"blue"))
        .await
        .then_error("NOT_FOUND", "user user-9 not found");
}

#[test]
fn given_keys_and_values_out_of_bounds_when_metadata_is_set_then_invalid_argument() {
    let set = |key: &str, value: Vec<u8>| {
        MetadataCommand::set(
            "user-1",
            SetUserMetadata {
                key: key.into(),
                value,
            },
        )
        .map(drop)
    };
    let too_long = "k".repeat(METADATA_KEY_MAX_CHARS + 1);
    for (key, value, says) in [
        ("  ", b"v".to_vec(), "must not be empty"),
        (too_long.as_str(), b"v".to_vec(), "at most 200 characters"),
        ("two words", b"v".to_vec(), "contains ' '"),
        ("a/b", b"v".to_vec(), "contains '/'"),
        ("team", Vec::new(), "remove the key instead"),
        (
            "team",
            vec![1; METADATA_VALUE_MAX_BYTES + 1],
            "4097 bytes long; at most 4096",
        ),
    ] {
        let err = set(key, value).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT", "{key}");
        assert!(err.to_string().contains(says), "{err} lacks {says}");
    }
    let longest = "k".repeat(METADATA_KEY_MAX_CHARS);
    assert!(set(&longest, vec![1; METADATA_VALUE_MAX_BYTES]).is_ok());
    assert!(MetadataCommand::remove("user-1", "a b").is_err());
}

#[test]
fn given_details_when_folded_then_validators_see_the_phone_and_metadata_sizes_not_values() {
    let secret = b"do-not-leak-this-value";
    let model: UserModel = fold(&stored(vec![
        user_added("user-1", "org-1", "ada"),
        phone_changed("+41446681800", true),
        event(&user_ref("user-1"), &metadata_changed("token", secret)),
        event(&user_ref("user-1"), &metadata_changed("gone", b"x")),
        event(
            &user_ref("user-1"),
            &UserMetadataRemoved { key: "gone".into() },
        ),
    ]))
    .model;
    assert!(model.exists());
    assert_eq!(model.phone.as_deref(), Some("+41446681800"));
    let state = json(&model);
    assert_eq!(state["phone"], "+41446681800", "{state}");
    assert_eq!(state["phoneVerified"], true, "{state}");
    assert_eq!(
        state["metadata"],
        serde_json::json!({ "token": { "size": secret.len() } })
    );
    let text = state.to_string();
    assert!(!text.contains("do-not-leak"), "{text}");

    let removed: UserModel = fold(&stored(vec![
        user_added("user-1", "org-1", "ada"),
        phone_changed("+41446681800", true),
        event(&user_ref("user-1"), &HumanPhoneRemoved {}),
    ]))
    .model;
    let state = json(&removed);
    assert!(state.get("phone").is_none(), "{state}");
    assert_eq!(state["phoneVerified"], false);
    assert!(state.get("metadata").is_none(), "{state}");
}
