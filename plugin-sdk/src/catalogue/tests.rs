//! The catalogue's JSON shapes and names.

use serde_json::json;

use super::*;

#[test]
fn given_an_add_human_user_when_serialized_then_it_is_camel_case_and_nested() {
    let command = AddHumanUser {
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: None,
            preferred_language: Some("en".into()),
        },
        email: Email {
            address: "ada@example.com".into(),
            verified: true,
        },
        password: None,
    };
    assert_eq!(
        serde_json::to_value(&command).unwrap(),
        json!({
            "username": "ada",
            "profile": { "givenName": "Ada", "familyName": "Lovelace", "preferredLanguage": "en" },
            "email": { "address": "ada@example.com", "verified": true }
        })
    );
}

#[test]
fn given_a_human_user_added_when_serialized_then_the_profile_is_flattened() {
    let event = HumanUserAdded {
        org_id: "o-1".into(),
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            ..Profile::default()
        },
        email: "ada@example.com".into(),
        email_verified: false,
        password_hash: Some("$argon2id$...".into()),
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({
            "orgId": "o-1", "username": "ada", "givenName": "Ada", "familyName": "Lovelace",
            "email": "ada@example.com", "emailVerified": false, "passwordHash": "$argon2id$..."
        })
    );
    assert_eq!(
        serde_json::from_value::<HumanUserAdded>(value).unwrap(),
        event
    );
}

#[test]
fn given_a_profile_change_when_serialized_then_its_fields_are_at_the_top_level() {
    let change = ChangeHumanProfile {
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "King".into(),
            ..Profile::default()
        },
    };
    assert_eq!(
        serde_json::to_value(&change).unwrap(),
        json!({ "givenName": "Ada", "familyName": "King" })
    );
}

#[test]
fn given_a_human_user_added_without_an_org_when_deserialized_then_the_org_is_empty() {
    let event: HumanUserAdded = serde_json::from_value(json!({
        "username": "ada", "givenName": "Ada", "familyName": "Lovelace", "email": "ada@example.com"
    }))
    .unwrap();
    assert_eq!(event.org_id, "");
    assert_eq!(event.username, "ada");
}

#[test]
fn given_an_empty_payload_when_serialized_then_it_is_an_empty_object() {
    assert_eq!(serde_json::to_string(&DeactivateOrg {}).unwrap(), "{}");
    assert_eq!(serde_json::to_string(&UserLocked {}).unwrap(), "{}");
}

#[test]
fn given_unknown_fields_when_deserialized_then_they_are_ignored() {
    let org: OrgAdded = serde_json::from_str(r#"{"name":"ACME","since":2030}"#).unwrap();
    assert_eq!(org.name, "ACME");
    let _: RemoveUser = serde_json::from_str(r#"{"reason":"gone"}"#).unwrap();
}

#[test]
fn given_an_optional_field_when_absent_then_it_is_none_and_not_serialized() {
    let org: AddOrg = serde_json::from_str(r#"{"name":"ACME"}"#).unwrap();
    assert_eq!(org.domain, None);
    assert_eq!(serde_json::to_string(&org).unwrap(), r#"{"name":"ACME"}"#);
}

#[test]
fn given_payloads_with_secrets_when_debug_printed_then_the_secrets_are_redacted() {
    let add = AddHumanUser {
        password: Some("hunter2".into()),
        ..AddHumanUser::default()
    };
    let set = SetHumanPassword {
        password: "hunter2".into(),
    };
    let added = HumanUserAdded {
        password_hash: Some("hash-hunter2".into()),
        ..HumanUserAdded::default()
    };
    let changed = HumanPasswordChanged {
        password_hash: "hash-hunter2".into(),
    };
    let pat = PersonalAccessTokenAdded {
        token_hash: "hash-hunter2".into(),
        ..PersonalAccessTokenAdded::default()
    };
    for debug in [
        format!("{add:?}"),
        format!("{set:?}"),
        format!("{added:?}"),
        format!("{changed:?}"),
        format!("{pat:?}"),
    ] {
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}

#[test]
fn given_the_catalogue_when_names_are_listed_then_they_are_dotted_lowercase_and_distinct() {
    let commands = [
        AddInstance::NAME,
        RemoveInstance::NAME,
        RenameInstance::NAME,
        AddOrg::NAME,
        RenameOrg::NAME,
        DeactivateOrg::NAME,
        ReactivateOrg::NAME,
        RemoveOrg::NAME,
        AddOrgDomain::NAME,
        VerifyOrgDomain::NAME,
        SetPrimaryOrgDomain::NAME,
        RemoveOrgDomain::NAME,
        AddHumanUser::NAME,
        ChangeHumanProfile::NAME,
        ChangeHumanEmail::NAME,
        SetHumanPassword::NAME,
        DeactivateUser::NAME,
        ReactivateUser::NAME,
        LockUser::NAME,
        UnlockUser::NAME,
        RemoveUser::NAME,
        AddMachineUser::NAME,
        ChangeMachineUser::NAME,
        GenerateMachineSecret::NAME,
        RemoveMachineSecret::NAME,
        AddPersonalAccessToken::NAME,
        RemovePersonalAccessToken::NAME,
        AddMachineKey::NAME,
        RemoveMachineKey::NAME,
        AddAppKey::NAME,
        RemoveAppKey::NAME,
        AddInstanceMember::NAME,
        ChangeInstanceMember::NAME,
        RemoveInstanceMember::NAME,
        AddOrgMember::NAME,
        ChangeOrgMember::NAME,
        RemoveOrgMember::NAME,
        AddProjectMember::NAME,
        ChangeProjectMember::NAME,
        RemoveProjectMember::NAME,
        CreateSession::NAME,
        SetSession::NAME,
        TerminateSession::NAME,
        RegisterTotp::NAME,
        VerifyTotp::NAME,
        RemoveTotp::NAME,
        CheckTotp::NAME,
        GenerateRecoveryCodes::NAME,
        CheckRecoveryCode::NAME,
    ];
    let events = [
        InstanceAdded::TYPE,
        InstanceRemoved::TYPE,
        InstanceChanged::TYPE,
        InstanceDomainAdded::TYPE,
        InstanceDomainPrimarySet::TYPE,
        InstanceDomainRemoved::TYPE,
        OrgAdded::TYPE,
        OrgChanged::TYPE,
        OrgDeactivated::TYPE,
        OrgReactivated::TYPE,
        OrgRemoved::TYPE,
        OrgDomainAdded::TYPE,
        OrgDomainVerified::TYPE,
        OrgDomainPrimarySet::TYPE,
        OrgDomainRemoved::TYPE,
        HumanUserAdded::TYPE,
        HumanProfileChanged::TYPE,
        HumanEmailChanged::TYPE,
        HumanPasswordChanged::TYPE,
        HumanPasswordRehashed::TYPE,
        UserDeactivated::TYPE,
        UserReactivated::TYPE,
        UserLocked::TYPE,
        UserUnlocked::TYPE,
        UserRemoved::TYPE,
        MachineUserAdded::TYPE,
        MachineUserChanged::TYPE,
        MachineSecretSet::TYPE,
        MachineSecretRemoved::TYPE,
        PersonalAccessTokenAdded::TYPE,
        PersonalAccessTokenRemoved::TYPE,
        MachineKeyAdded::TYPE,
        MachineKeyRemoved::TYPE,
        AppKeyAdded::TYPE,
        AppKeyRemoved::TYPE,
        InstanceMemberAdded::TYPE,
        InstanceMemberChanged::TYPE,
        InstanceMemberRemoved::TYPE,
        OrgMemberAdded::TYPE,
        OrgMemberChanged::TYPE,
        OrgMemberRemoved::TYPE,
        ProjectMemberAdded::TYPE,
        ProjectMemberChanged::TYPE,
        ProjectMemberRemoved::TYPE,
        MilestoneReached::TYPE,
        UserAuthenticationSucceeded::TYPE,
        SessionAdded::TYPE,
        SessionUserChecked::TYPE,
        SessionPasswordChecked::TYPE,
        SessionTokenSet::TYPE,
        SessionLifetimeSet::TYPE,
        SessionSecondFactorRequired::TYPE,
        SessionTerminated::TYPE,
        SessionTotpChecked::TYPE,
        SessionRecoveryCodeChecked::TYPE,
        TotpAdded::TYPE,
        TotpResealed::TYPE,
        TotpVerified::TYPE,
        TotpRemoved::TYPE,
        TotpCheckSucceeded::TYPE,
        TotpCheckFailed::TYPE,
        RecoveryCodesGenerated::TYPE,
        RecoveryCodeUsed::TYPE,
        RecoveryCodeCheckFailed::TYPE,
    ];
    // Commands and events are separate namespaces: "org.domain.primary.set"
    // is both a command and (past tense of "set") the event it causes.
    for names in [&commands[..], &events[..]] {
        let mut distinct = names.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len());
    }
    for name in commands.iter().chain(&events) {
        assert!(name.contains('.') && *name == name.to_lowercase(), "{name}");
    }
}

#[test]
fn given_a_machine_user_added_when_serialized_then_it_records_its_org_and_omits_no_description() {
    let event = MachineUserAdded {
        org_id: "o-1".into(),
        username: "ci-bot".into(),
        name: "CI".into(),
        description: None,
        access_token_type: AccessTokenType::Jwt,
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({ "orgId": "o-1", "username": "ci-bot", "name": "CI", "accessTokenType": "jwt" })
    );
    assert_eq!(
        serde_json::from_value::<MachineUserAdded>(value).unwrap(),
        event
    );
    let change: ChangeMachineUser =
        serde_json::from_str(r#"{"name":"CI","description":"builds","extra":1}"#).unwrap();
    assert_eq!(change.description.as_deref(), Some("builds"));
}

#[test]
fn given_a_pat_when_serialized_then_expiry_is_rfc3339_and_the_command_carries_no_hash() {
    let expires_at = chrono::DateTime::parse_from_rfc3339("2030-01-02T03:04:05Z")
        .unwrap()
        .to_utc();
    let command = AddPersonalAccessToken {
        token_id: "t-1".into(),
        expires_at,
    };
    assert_eq!(
        serde_json::to_value(&command).unwrap(),
        json!({ "tokenId": "t-1", "expiresAt": "2030-01-02T03:04:05Z" })
    );
    let event = PersonalAccessTokenAdded {
        token_id: "t-1".into(),
        token_hash: "h".into(),
        expires_at,
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({ "tokenId": "t-1", "tokenHash": "h", "expiresAt": "2030-01-02T03:04:05Z" })
    );
    assert_eq!(
        serde_json::from_value::<PersonalAccessTokenAdded>(value).unwrap(),
        event
    );
}

#[test]
fn given_member_events_when_serialized_then_user_id_and_roles_are_camel_case() {
    let added = OrgMemberAdded {
        user_id: "u-1".into(),
        roles: vec!["ORG_OWNER".into()],
    };
    assert_eq!(
        serde_json::to_value(&added).unwrap(),
        json!({ "userId": "u-1", "roles": ["ORG_OWNER"] })
    );
    let removed: InstanceMemberRemoved = serde_json::from_str(r#"{"userId":"u-1"}"#).unwrap();
    assert_eq!(removed.user_id, "u-1");
    let changed: InstanceMemberChanged = serde_json::from_str(r#"{"userId":"u-1"}"#).unwrap();
    assert!(changed.roles.is_empty());
    let project = ProjectMemberAdded {
        user_id: "u-1".into(),
        roles: vec!["PROJECT_OWNER".into()],
    };
    assert_eq!(ProjectMemberAdded::TYPE, "project.member.added");
    assert_eq!(
        serde_json::to_value(&project).unwrap(),
        json!({ "userId": "u-1", "roles": ["PROJECT_OWNER"] })
    );
}

/// The JSON keys `value` serializes to.
fn keys<T: serde::Serialize>(value: &T) -> Vec<String> {
    serde_json::to_value(value)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn given_payloads_with_secrets_then_their_marks_name_real_keys() {
    fn marked_keys_exist<T: serde::Serialize>(value: &T, marked: &[&str]) {
        assert!(!marked.is_empty());
        let keys = keys(value);
        for field in marked {
            assert!(keys.iter().any(|k| k == field), "{field} in {keys:?}");
        }
    }
    let hash = Some("$argon2id$…".to_owned());
    marked_keys_exist(
        &HumanUserAdded {
            password_hash: hash.clone(),
            ..Default::default()
        },
        HumanUserAdded::SECRET_FIELDS,
    );
    marked_keys_exist(
        &HumanPasswordChanged::default(),
        HumanPasswordChanged::SECRET_FIELDS,
    );
    marked_keys_exist(
        &HumanPasswordRehashed::default(),
        HumanPasswordRehashed::SECRET_FIELDS,
    );
    marked_keys_exist(
        &PersonalAccessTokenAdded::default(),
        PersonalAccessTokenAdded::SECRET_FIELDS,
    );
    marked_keys_exist(
        &MachineSecretSet::default(),
        MachineSecretSet::SECRET_FIELDS,
    );
    marked_keys_exist(&TotpAdded::default(), TotpAdded::SECRET_FIELDS);
    marked_keys_exist(&TotpResealed::default(), TotpResealed::SECRET_FIELDS);
    marked_keys_exist(
        &RecoveryCodesGenerated::default(),
        RecoveryCodesGenerated::SECRET_FIELDS,
    );
    marked_keys_exist(&CheckTotp::default(), CheckTotp::SECRET_FIELDS);
    marked_keys_exist(&VerifyTotp::default(), VerifyTotp::SECRET_FIELDS);
    marked_keys_exist(
        &CheckRecoveryCode::default(),
        CheckRecoveryCode::SECRET_FIELDS,
    );
    marked_keys_exist(
        &AddHumanUser {
            password: hash,
            ..Default::default()
        },
        AddHumanUser::SECRET_FIELDS,
    );
    marked_keys_exist(
        &SetHumanPassword::default(),
        SetHumanPassword::SECRET_FIELDS,
    );
}

#[test]
fn given_a_type_or_name_then_its_secret_fields_are_found_and_unknown_ones_are_not() {
    assert_eq!(
        event_secret_fields("user.pat.added"),
        Some(&["tokenHash"][..])
    );
    assert_eq!(event_secret_fields("org.added"), Some(&[][..]));
    assert_eq!(event_secret_fields("made.up"), None);
    assert_eq!(
        command_secret_fields("user.human.add"),
        Some(&["password"][..])
    );
    assert_eq!(command_secret_fields("user.lock"), Some(&[][..]));
    assert_eq!(command_secret_fields("made.up"), None);
}

#[test]
fn given_a_machine_key_added_when_serialized_then_it_holds_the_public_key_and_no_secret() {
    let at = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let event = MachineKeyAdded {
        key_id: "k-1".into(),
        key_type: KeyType::Json,
        public_key: "-----BEGIN PUBLIC KEY-----".into(),
        expires_at: at,
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({
            "keyId": "k-1", "keyType": "json", "publicKey": "-----BEGIN PUBLIC KEY-----",
            "expiresAt": "2030-01-01T00:00:00Z"
        })
    );
    assert_eq!(
        serde_json::from_value::<MachineKeyAdded>(value).unwrap(),
        event
    );
    assert_eq!(event_secret_fields("user.machine.key.added"), Some(&[][..]));
    assert_eq!(
        event_secret_fields("project.application.key.added"),
        Some(&[][..])
    );
    assert_eq!(
        command_secret_fields("project.application.key.add"),
        Some(&[][..])
    );
}

#[test]
fn given_machine_events_written_before_access_token_types_then_they_decode_as_opaque_and_unchanged()
{
    let added: MachineUserAdded =
        serde_json::from_str(r#"{"orgId":"o-1","username":"ci-bot","name":"CI"}"#).unwrap();
    assert_eq!(added.access_token_type, AccessTokenType::Opaque);
    let changed: MachineUserChanged = serde_json::from_str(r#"{"name":"CI"}"#).unwrap();
    assert_eq!(changed.access_token_type, None);
    let change: ChangeMachineUser = serde_json::from_str(r#"{"name":"CI"}"#).unwrap();
    assert_eq!(change.access_token_type, None);
    let change = ChangeMachineUser {
        name: "CI".into(),
        description: None,
        access_token_type: Some(AccessTokenType::Jwt),
    };
    assert_eq!(
        serde_json::to_value(&change).unwrap(),
        json!({ "name": "CI", "accessTokenType": "jwt" })
    );
}

#[test]
fn given_a_machine_secret_then_only_its_hash_is_stored_marked_secret_and_never_debug_printed() {
    assert_eq!(GenerateMachineSecret::NAME, "user.machine.secret.generate");
    assert_eq!(RemoveMachineSecret::NAME, "user.machine.secret.remove");
    assert_eq!(MachineSecretSet::TYPE, "user.machine.secret.set");
    assert_eq!(MachineSecretRemoved::TYPE, "user.machine.secret.removed");
    let set = MachineSecretSet {
        secret_hash: "abc123".into(),
    };
    let value = serde_json::to_value(&set).unwrap();
    assert_eq!(value, json!({ "secretHash": "abc123" }));
    assert_eq!(
        serde_json::from_value::<MachineSecretSet>(value).unwrap(),
        set
    );
    assert!(!format!("{set:?}").contains("abc123"));
    assert_eq!(
        event_secret_fields("user.machine.secret.set"),
        Some(&["secretHash"][..])
    );
    assert_eq!(
        event_secret_fields("user.machine.secret.removed"),
        Some(&[][..])
    );
    assert_eq!(
        command_secret_fields("user.machine.secret.generate"),
        Some(&[][..])
    );
    assert_eq!(
        serde_json::to_value(GenerateMachineSecret {}).unwrap(),
        json!({})
    );
}

#[test]
fn given_a_session_then_only_its_token_hash_is_stored_marked_secret_and_never_debug_printed() {
    assert_eq!(CreateSession::NAME, "session.create");
    assert_eq!(SessionTokenSet::TYPE, "session.token.set");
    let set = SessionTokenSet {
        token_hash: "abc123".into(),
    };
    let value = serde_json::to_value(&set).unwrap();
    assert_eq!(value, json!({ "tokenHash": "abc123" }));
    assert!(!format!("{set:?}").contains("abc123"));
    assert_eq!(
        event_secret_fields("session.token.set"),
        Some(&["tokenHash"][..])
    );
    assert_eq!(command_secret_fields("session.create"), Some(&[][..]));
    let added = SessionAdded {
        user_agent: None,
        expires_at: None,
    };
    assert_eq!(serde_json::to_value(&added).unwrap(), json!({}));
    let checked: SessionUserChecked = serde_json::from_value(
        json!({ "userId": "u-1", "orgId": "o-1", "checkedAt": "2030-01-02T03:04:05Z" }),
    )
    .unwrap();
    assert_eq!(
        (checked.user_id.as_str(), checked.org_id.as_str()),
        ("u-1", "o-1")
    );
}
