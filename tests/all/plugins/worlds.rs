//! Each world over the real path: shipped validators, the projection
//! determinism rules, and the login-flow hooks.

use rampart::plugins::Verdict;
use rampart::plugins::types::{
    AuthDecision, Claim, Datetime, Event, ExternalIdentity, IdentityMapping, LoginContext,
    Position, Statement, Value,
};

use super::{add_user, command, new_aggregate, registry_with};

#[test]
fn shipped_validators_accept_a_good_user_and_reject_a_weak_password() {
    // given: the runtime with only the shipped plugins
    let (_dir, registry) = registry_with(&[], "");
    // when / then: a well-formed user passes every validator
    let good = command(
        "user.human.add",
        add_user("ada", "ada@example.com", Some("Sup3r-secret")),
    );
    assert_eq!(
        registry.validate_blocking(&good, &new_aggregate()).unwrap(),
        Verdict::Allowed
    );
    // when / then: a short password is rejected by the password policy, with its code
    let weak = command(
        "user.human.add",
        add_user("ada", "ada@example.com", Some("abc")),
    );
    let Verdict::Rejected { plugin, rejection } =
        registry.validate_blocking(&weak, &new_aggregate()).unwrap()
    else {
        panic!("a weak password must be rejected");
    };
    assert_eq!(plugin, "password-policy");
    assert_eq!(rejection.code, "PASSWORD_TOO_SHORT");
    assert!(
        !rejection.message.contains("abc"),
        "the message must not echo the password"
    );
}

#[test]
fn validators_run_in_configured_order_and_the_first_rejection_wins() {
    // given: a bad email and a weak password; email-format is ordered first
    let (_dir, registry) = registry_with(&[], "Validators: [email-format, password-policy]\n");
    let bad = command(
        "user.human.add",
        add_user("ada", "not-an-email", Some("abc")),
    );
    // when
    let verdict = registry.validate_blocking(&bad, &new_aggregate()).unwrap();
    // then
    let Verdict::Rejected { plugin, rejection } = verdict else {
        panic!("must be rejected")
    };
    assert_eq!(
        (plugin.as_str(), rejection.code.as_str()),
        ("email-format", "EMAIL_INVALID")
    );
    let order: Vec<String> = registry
        .catalog()
        .validators
        .iter()
        .map(|v| v.manifest.name.clone())
        .collect();
    assert_eq!(&order[..2], ["email-format", "password-policy"]);
}

#[test]
fn plugin_config_from_yaml_reaches_the_plugin() {
    // given: a username format that wants 20 characters
    let (_dir, registry) = registry_with(&[], "username-format:\n  Config: {minLength: 20}\n");
    let cmd = command(
        "user.human.add",
        add_user("ada", "ada@example.com", Some("Sup3r-secret")),
    );
    // when
    let verdict = registry.validate_blocking(&cmd, &new_aggregate()).unwrap();
    // then
    assert!(
        matches!(verdict, Verdict::Rejected { rejection, .. } if rejection.code == "USERNAME_TOO_SHORT")
    );
}

fn event(event_type: &str, sequence: u64) -> Event {
    Event {
        instance_id: "instance-1".into(),
        aggregate_type: "test".into(),
        aggregate_id: "agg-1".into(),
        sequence,
        position: Position {
            transaction: 1000 + sequence,
            index: 0,
        },
        event_type: event_type.into(),
        revision: 1,
        creator: "tester".into(),
        created_at: Datetime {
            seconds: 1_700_000_000,
            nanoseconds: 5,
        },
        payload: r#"{"hello":"world"}"#.into(),
    }
}

fn field<'a>(statement: &'a Statement, column: &str) -> &'a Value {
    let Statement::Upsert(upsert) = statement else {
        panic!("expected an upsert, got {statement:?}")
    };
    &upsert
        .fields
        .iter()
        .find(|f| f.column == column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .value
}

#[test]
fn projections_see_the_event_time_and_seeded_randomness_so_replays_agree() {
    // given
    let (_dir, registry) = registry_with(&["echo-projection"], ECHO_GRANTS);
    let plugin = registry.get("echo-projection").expect("projection loaded");
    assert_eq!(plugin.tables[0].name, "echo_events");
    // when: the same event is projected twice
    let first = plugin.project(&event("test.created", 1)).unwrap().unwrap();
    let again = plugin.project(&event("test.created", 1)).unwrap().unwrap();
    let other = plugin.project(&event("test.created", 2)).unwrap().unwrap();
    // then: identical statements; the clock (host and WASI) read the event's time
    assert_eq!(first, again);
    assert_eq!(
        field(&first[0], "seen_at"),
        &Value::Timestamp(Datetime {
            seconds: 1_700_000_000,
            nanoseconds: 5
        })
    );
    assert_eq!(field(&first[0], "wasi_now"), &Value::Integer(1_700_000_000));
    assert_ne!(
        field(&first[0], "random"),
        field(&other[0], "random"),
        "seed follows the position"
    );
}

#[test]
fn a_projection_error_is_the_plugins_answer_not_a_failure() {
    let (_dir, registry) = registry_with(&["echo-projection"], ECHO_GRANTS);
    let plugin = registry.get("echo-projection").unwrap();
    let answer = plugin
        .project(&event("test.fail", 7))
        .expect("the call itself succeeds");
    assert_eq!(answer, Err("refusing test.fail at sequence 7".to_owned()));
}

#[test]
fn login_flow_hooks_decide_and_complement_claims() {
    // given
    let (_dir, registry) = registry_with(
        &["claims-flow"],
        "claims-flow:\n  Config: {requireMfa: true}\n",
    );
    let plugin = registry.get("claims-flow").expect("login flow loaded");
    let mut context = LoginContext {
        instance_id: "instance-1".into(),
        org_id: None,
        user_id: Some("user-1".into()),
        login_name: "eve@blocked.test".into(),
        client_id: None,
        remote_addr: None,
        user_agent: None,
        auth_methods: vec!["password".into()],
        requested_scopes: vec!["openid".into()],
        roles: Vec::new(),
        metadata: Vec::new(),
    };
    // then
    assert_eq!(
        plugin.before_authentication(&context).unwrap(),
        AuthDecision::Deny("blocked by claims-flow".into())
    );
    context.login_name = "ada@example.com".into();
    assert_eq!(
        plugin.before_authentication(&context).unwrap(),
        AuthDecision::Allow
    );
    assert_eq!(
        plugin.after_authentication(&context).unwrap(),
        AuthDecision::RequireSecondFactor
    );
    let claims = plugin
        .complement_claims(
            &context,
            &[Claim {
                name: "sub".into(),
                value: "\"user-1\"".into(),
            }],
        )
        .unwrap();
    assert_eq!(
        claims,
        vec![Claim {
            name: "tenant".into(),
            value: "\"instance-1\"".into()
        }]
    );
    let identity = ExternalIdentity {
        provider: "github".into(),
        subject: "gh-42".into(),
        email: Some("ada@example.com".into()),
        email_verified: true,
        preferred_username: None,
        claims: "{}".into(),
    };
    assert_eq!(
        plugin.map_identity(&identity).unwrap(),
        IdentityMapping::Link("gh-42".into())
    );
}

/// echo-projection reads the clock (to show it reads the event's time).
const ECHO_GRANTS: &str = "echo-projection:\n  Grants: [clock]\n";
