//! Given/when/then tests of the settings commands, and of how layers make
//! the settings in effect.

use rampart_plugin_sdk::catalogue::{
    DomainSettings, InstanceSettingsSet, LockoutSettings, LoginSettings, OrgDomainAdded,
    OrgDomainVerified, OrgSettingsReset, OrgSettingsSet, PasswordComplexitySettings, SecondFactor,
    Settings, SettingsKind, SettingsValue,
};

use super::set::{OrgSettingsCommand, SetInstanceSettingsCommand};
use super::{InEffect, SettingsLayer, SettingsLevel};
use crate::command::org::domain::{DomainAction, OrgDomainCommand};
use crate::command::testing::fixtures::{instance_added, instance_ref, org_added, org_ref};
use crate::command::testing::{event, expected, given};
use crate::eventstore::{AggregateRef, NewEvent};

fn complexity(min_length: u32) -> SettingsValue {
    SettingsValue::PasswordComplexity(PasswordComplexitySettings {
        min_length,
        ..PasswordComplexitySettings::default()
    })
}

fn lockout(attempts: u32) -> SettingsValue {
    SettingsValue::Lockout(LockoutSettings {
        max_password_attempts: attempts,
        ..LockoutSettings::default()
    })
}

/// The instance with org-1, and `more`.
fn with_org(more: Vec<(AggregateRef, NewEvent)>) -> crate::command::testing::Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    history.extend(more);
    given(history)
}

#[tokio::test]
async fn given_an_instance_when_setting_its_password_complexity_then_the_record_is_an_event() {
    with_org(vec![])
        .when(SetInstanceSettingsCommand::new(complexity(12)).unwrap())
        .await
        .then(vec![expected(&InstanceSettingsSet(complexity(12)))]);
}

#[tokio::test]
async fn given_the_same_record_when_set_again_then_it_is_unchanged() {
    with_org(vec![event(
        &instance_ref(),
        &InstanceSettingsSet(lockout(3)),
    )])
    .when(SetInstanceSettingsCommand::new(lockout(3)).unwrap())
    .await
    .then_error("FAILED_PRECONDITION", "the lockout settings are unchanged");
}

#[tokio::test]
async fn given_an_org_when_setting_its_own_lockout_then_it_overrides_and_a_reset_drops_it() {
    with_org(vec![])
        .when(OrgSettingsCommand::set("org-1", lockout(5)).unwrap())
        .await
        .then(vec![expected(&OrgSettingsSet(lockout(5)))]);
    with_org(vec![event(&org_ref("org-1"), &OrgSettingsSet(lockout(5)))])
        .when(OrgSettingsCommand::reset("org-1", SettingsKind::Lockout))
        .await
        .then(vec![expected(&OrgSettingsReset {
            kind: SettingsKind::Lockout,
        })]);
}

#[tokio::test]
async fn given_an_org_without_its_own_record_when_reset_then_there_is_nothing_to_reset() {
    with_org(vec![])
        .when(OrgSettingsCommand::reset("org-1", SettingsKind::Login))
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "the organization has no login settings of its own",
        );
}

#[test]
fn given_an_org_when_it_turns_its_own_domain_validation_off_then_it_is_refused() {
    let off = SettingsValue::Domain(DomainSettings {
        validate_org_domains: false,
        ..DomainSettings::default()
    });
    let err = OrgSettingsCommand::set("org-1", off).unwrap_err();
    assert!(err.to_string().contains("only the instance"), "{err}");
}

#[tokio::test]
async fn given_no_org_when_setting_its_settings_then_it_is_not_found() {
    given(instance_added("localhost"))
        .when(OrgSettingsCommand::set("org-9", lockout(5)).unwrap())
        .await
        .then_error("NOT_FOUND", "org-9");
}

#[test]
fn given_records_that_break_a_rule_when_checked_then_the_rule_is_named() {
    let cases = [
        (complexity(0), "minLength must be at least 1"),
        (
            SettingsValue::PasswordComplexity(PasswordComplexitySettings {
                min_length: 10,
                max_length: 9,
                ..PasswordComplexitySettings::default()
            }),
            "maxLength must be between minLength (10) and 1024",
        ),
        (lockout(1001), "at most 1000"),
        (
            SettingsValue::Login(LoginSettings {
                allow_username_password: false,
                allow_external_idp: false,
                ..LoginSettings::default()
            }),
            "nobody can log in",
        ),
        (
            SettingsValue::Login(LoginSettings {
                force_mfa: true,
                second_factors: vec![],
                ..LoginSettings::default()
            }),
            "force a second factor but allow none",
        ),
        (
            SettingsValue::Login(LoginSettings {
                mfa_init_skip_lifetime_seconds: u64::MAX,
                ..LoginSettings::default()
            }),
            "mfaInitSkipLifetimeSeconds must be at most",
        ),
    ];
    for (value, message) in cases {
        let err = SetInstanceSettingsCommand::new(value).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT");
        assert!(err.to_string().contains(message), "{err} lacks {message}");
    }
}

#[tokio::test]
async fn given_second_factors_twice_and_unsorted_when_set_then_they_are_stored_distinct_and_sorted()
{
    let login = |factors: Vec<SecondFactor>| {
        SettingsValue::Login(LoginSettings {
            second_factors: factors,
            ..LoginSettings::default()
        })
    };
    let given_factors = vec![
        SecondFactor::OtpSms,
        SecondFactor::Totp,
        SecondFactor::OtpSms,
    ];
    with_org(vec![])
        .when(SetInstanceSettingsCommand::new(login(given_factors)).unwrap())
        .await
        .then(vec![expected(&InstanceSettingsSet(login(vec![
            SecondFactor::Totp,
            SecondFactor::OtpSms,
        ])))]);
}

#[test]
fn given_layers_when_combined_then_the_org_wins_over_the_instance_over_the_defaults() {
    let mut instance = SettingsLayer::default();
    instance.set(lockout(3));
    instance.set(complexity(10));
    let mut org = SettingsLayer::default();
    org.set(complexity(14));

    let in_effect = InEffect::layered(&instance, Some(&org));

    assert_eq!(in_effect.settings.password_complexity.min_length, 14);
    assert_eq!(in_effect.settings.lockout.max_password_attempts, 3);
    assert_eq!(in_effect.settings.login, Settings::default().login);
    assert_eq!(
        in_effect.level(SettingsKind::PasswordComplexity),
        SettingsLevel::Org
    );
    assert_eq!(
        in_effect.level(SettingsKind::Lockout),
        SettingsLevel::Instance
    );
    assert_eq!(in_effect.level(SettingsKind::Login), SettingsLevel::Default);
    let instance_only = InEffect::layered(&instance, None);
    assert_eq!(instance_only.settings.password_complexity.min_length, 10);
}

#[tokio::test]
async fn given_domain_validation_off_when_an_org_adds_a_domain_then_it_is_verified_at_once() {
    let off = SettingsValue::Domain(DomainSettings {
        validate_org_domains: false,
        ..DomainSettings::default()
    });
    let cmd = || OrgDomainCommand::new("org-1", DomainAction::Add, "shop.example").unwrap();
    with_org(vec![event(&instance_ref(), &InstanceSettingsSet(off))])
        .when(cmd())
        .await
        .then(vec![
            expected(&OrgDomainAdded {
                domain: "shop.example".into(),
            }),
            expected(&OrgDomainVerified {
                domain: "shop.example".into(),
            }),
        ]);
    // by default a domain waits to be verified
    with_org(vec![])
        .when(cmd())
        .await
        .then(vec![expected(&OrgDomainAdded {
            domain: "shop.example".into(),
        })]);
}
