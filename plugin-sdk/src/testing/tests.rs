//! The harness plays the host faithfully.

use serde::Deserialize;
use serde_json::json;

use super::Harness;
use crate::prelude::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    limit: u32,
}

/// Logs, reads its config and the clock; rejects `org.remove`.
struct Probe;

impl Validator for Probe {
    fn manifest() -> Manifest {
        Manifest::new("probe", "1.0.0")
            .handles(["org.*"])
            .capabilities([Capability::Log, Capability::Config, Capability::Clock])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let config: Config = ctx.config()?;
        ctx.info(format!(
            "limit {} at {}",
            config.limit,
            ctx.now().timestamp()
        ));
        if command.name == "org.remove" {
            return Err(Rejection::new("NO", "never"));
        }
        Ok(())
    }
}

/// Reads the config without asking for the capability.
struct Sneaky;

impl Validator for Sneaky {
    fn manifest() -> Manifest {
        Manifest::new("sneaky", "1.0.0").handles(["*"])
    }

    fn validate(ctx: &Ctx, _command: &Command, _state: &State) -> Result<(), Rejection> {
        ctx.config::<Config>().map(drop).map_err(Into::into)
    }
}

/// Records the clock it sees.
struct Clocked;

impl Projection for Clocked {
    fn manifest() -> Manifest {
        Manifest::new("clocked", "1.0.0")
            .handles(["test.seen"])
            .capabilities([Capability::Clock])
    }

    fn tables() -> Vec<Table> {
        vec![Table::new("seen").column(Column::timestamp("at"))]
    }

    fn project(ctx: &Ctx, _event: &Event) -> Result<Vec<Statement>, String> {
        Ok(vec![Statement::insert("seen").set("at", ctx.now())])
    }
}

/// Implements no hook but claims two of them.
struct Defaults;

impl LoginFlow for Defaults {
    fn manifest() -> Manifest {
        Manifest::new("defaults", "1.0.0").handles([Hook::BeforeAuthentication, Hook::MapIdentity])
    }
}

/// Denies everything, but only handles `after-authentication`.
struct Denier;

impl LoginFlow for Denier {
    fn manifest() -> Manifest {
        Manifest::new("denier", "1.0.0").handles([Hook::AfterAuthentication])
    }

    fn before_authentication(_ctx: &Ctx, _login: &LoginContext) -> AuthDecision {
        AuthDecision::Deny("before".into())
    }

    fn after_authentication(_ctx: &Ctx, _login: &LoginContext) -> AuthDecision {
        AuthDecision::Deny("after".into())
    }
}

#[test]
fn given_config_and_clock_when_a_validator_logs_then_the_line_is_captured() {
    let now = DateTime::from_timestamp(1_000, 0).unwrap();
    let harness = Harness::new().config(json!({ "limit": 7 })).now(now);
    assert_eq!(
        harness.validate::<Probe>(&Command::new("org.add"), &State::new()),
        Ok(())
    );
    let logs = harness.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].level, Level::Info);
    assert_eq!(logs[0].message, "limit 7 at 1000");
    assert_eq!(logs[0].to_string(), "info limit 7 at 1000");
}

#[test]
fn given_no_config_when_a_validator_reads_it_then_it_gets_the_defaults() {
    let harness = Harness::new();
    assert_eq!(
        harness.validate::<Probe>(&Command::new("org.add"), &State::new()),
        Ok(())
    );
    assert_eq!(harness.logs()[0].message, "limit 0 at 1735689600");
}

#[test]
fn given_only_served_settings_when_a_strict_config_is_read_then_it_is_the_default() {
    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        limit: u32,
    }
    let settings = rampart_plugin_sdk_settings();
    let harness = Harness::new().settings(&settings);
    let ctx = harness.ctx(&<Probe as Validator>::manifest());
    assert_eq!(ctx.config::<Strict>(), Ok(Strict::default()));
    assert_eq!(ctx.settings(), Ok(settings));
    let harness = Harness::new()
        .config(json!({ "limit": 3 }))
        .settings(&rampart_plugin_sdk_settings());
    assert_eq!(
        harness
            .ctx(&<Probe as Validator>::manifest())
            .config::<Strict>(),
        Ok(Strict { limit: 3 })
    );
}

/// Settings other than the defaults.
fn rampart_plugin_sdk_settings() -> crate::catalogue::Settings {
    let mut settings = crate::catalogue::Settings::default();
    settings.lockout.max_password_attempts = 4;
    settings
}

#[test]
fn given_a_config_of_the_wrong_shape_when_read_then_the_command_is_rejected() {
    let harness = Harness::new().config(json!({ "limit": "seven" }));
    let rejection = harness
        .validate::<Probe>(&Command::new("org.add"), &State::new())
        .unwrap_err();
    assert_eq!(rejection.code, "CONFIG_INVALID");
    assert!(
        rejection
            .message
            .starts_with("invalid plugin configuration: ")
    );
}

#[test]
fn given_a_config_that_is_not_json_when_read_then_the_command_is_rejected() {
    let harness = Harness::new().raw_config("limit: 7");
    let result = harness.validate::<Probe>(&Command::new("org.add"), &State::new());
    assert_eq!(result.unwrap_err().code, "CONFIG_INVALID");
}

#[test]
fn given_a_command_matching_a_prefix_pattern_when_validated_then_the_validator_runs() {
    let result = Harness::new().validate::<Probe>(&Command::new("org.remove"), &State::new());
    assert_eq!(result, Err(Rejection::new("NO", "never")));
}

#[test]
fn given_a_command_the_manifest_does_not_handle_when_validated_then_the_validator_is_skipped() {
    let harness = Harness::new();
    assert_eq!(
        harness.validate::<Probe>(&Command::new("user.remove"), &State::new()),
        Ok(())
    );
    assert!(harness.logs().is_empty());
}

#[test]
#[should_panic(
    expected = "plugin `sneaky` uses the `config` capability but its manifest does not ask for it"
)]
fn given_a_plugin_without_the_config_capability_when_it_reads_config_then_the_test_fails() {
    let _ = Harness::new().validate::<Sneaky>(&Command::new("org.add"), &State::new());
}

#[test]
fn given_an_event_when_projected_then_the_clock_reads_the_event_time() {
    let created = DateTime::from_timestamp(42, 0).unwrap();
    let harness = Harness::new().now(DateTime::from_timestamp(99, 0).unwrap());
    let event = Event::new("test.seen").with_created_at(created);
    assert_eq!(
        harness.project::<Clocked>(&event),
        Ok(vec![Statement::insert("seen").set("at", created)])
    );
}

#[test]
fn given_an_event_the_manifest_does_not_handle_when_projected_then_there_are_no_statements() {
    assert_eq!(
        Harness::new().project::<Clocked>(&Event::new("test.other")),
        Ok(vec![])
    );
}

#[test]
fn given_a_login_flow_without_overrides_when_its_hooks_run_then_they_are_neutral() {
    let harness = Harness::new();
    let login = LoginContext::new("ada");
    assert_eq!(
        harness.before_authentication::<Defaults>(&login),
        AuthDecision::Allow
    );
    assert_eq!(
        harness.after_authentication::<Defaults>(&login),
        AuthDecision::Allow
    );
    assert_eq!(harness.complement_claims::<Defaults>(&login, &[]), vec![]);
    let identity = ExternalIdentity::new("google", "1");
    assert_eq!(
        harness.map_identity::<Defaults>(&identity),
        IdentityMapping::None
    );
}

#[test]
fn given_a_hook_the_manifest_does_not_handle_when_it_would_run_then_the_host_default_applies() {
    let harness = Harness::new();
    let login = LoginContext::new("ada");
    assert_eq!(
        harness.before_authentication::<Denier>(&login),
        AuthDecision::Allow
    );
    assert_eq!(
        harness.after_authentication::<Denier>(&login),
        AuthDecision::Deny("after".into())
    );
}
