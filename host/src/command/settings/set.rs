//! `instance.settings.set`, `org.settings.set` and `org.settings.reset`:
//! a whole record of one kind at a time, checked against the rules every
//! record must meet whatever a validator adds.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, InstanceSettingsSet, LoginSettings, OrgSettingsReset, OrgSettingsSet,
    PasswordComplexitySettings, ResetOrgSettings, SetInstanceSettings, SetOrgSettings,
    SettingsKind, SettingsValue,
};

use crate::command::instance::model::InstanceModel;
use crate::command::org::model::OrgModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// Longest password a complexity record may allow (the hash input stays
/// small enough to hash fast).
pub(crate) const MAX_PASSWORD_LENGTH: u32 = 1024;
/// Most failed attempts a lockout record may allow.
pub(crate) const MAX_ATTEMPTS: u32 = 1000;
/// Longest lifetime a login record may give a check: ten years, in seconds.
pub(crate) const MAX_LIFETIME_SECONDS: u64 = 10 * 366 * 24 * 3600;

/// `value` normalized (second factors distinct and sorted), or why it
/// cannot be set.
///
/// # Errors
/// [`CommandError::InvalidArgument`] naming the rule it breaks.
fn checked(value: SettingsValue) -> Result<SettingsValue, CommandError> {
    match value {
        SettingsValue::PasswordComplexity(v) => {
            password_complexity(&v)?;
            Ok(SettingsValue::PasswordComplexity(v))
        }
        SettingsValue::Lockout(v) => {
            if v.max_password_attempts > MAX_ATTEMPTS || v.max_otp_attempts > MAX_ATTEMPTS {
                return Err(CommandError::invalid(format!(
                    "lockout attempts must be at most {MAX_ATTEMPTS} (0 never locks)"
                )));
            }
            Ok(SettingsValue::Lockout(v))
        }
        SettingsValue::Login(v) => login(v).map(SettingsValue::Login),
        other @ (SettingsValue::Domain(_) | SettingsValue::Notification(_)) => Ok(other),
    }
}

/// The rules of a password complexity record.
fn password_complexity(v: &PasswordComplexitySettings) -> Result<(), CommandError> {
    if v.min_length == 0 {
        return Err(CommandError::invalid(
            "the password complexity's minLength must be at least 1",
        ));
    }
    if v.max_length < v.min_length || v.max_length > MAX_PASSWORD_LENGTH {
        return Err(CommandError::invalid(format!(
            "the password complexity's maxLength must be between minLength ({}) and \
             {MAX_PASSWORD_LENGTH}",
            v.min_length
        )));
    }
    Ok(())
}

/// The rules of a login record; its second factors come back distinct and
/// sorted.
fn login(mut v: LoginSettings) -> Result<LoginSettings, CommandError> {
    v.second_factors.sort();
    v.second_factors.dedup();
    if !v.allow_username_password && !v.allow_external_idp {
        return Err(CommandError::invalid(
            "the login settings must allow username and password or external identity \
             providers: otherwise nobody can log in",
        ));
    }
    if v.force_mfa && v.second_factors.is_empty() {
        return Err(CommandError::invalid(
            "the login settings force a second factor but allow none",
        ));
    }
    let lifetimes = [
        (
            "passwordCheckLifetimeSeconds",
            v.password_check_lifetime_seconds,
        ),
        (
            "externalLoginCheckLifetimeSeconds",
            v.external_login_check_lifetime_seconds,
        ),
        (
            "secondFactorCheckLifetimeSeconds",
            v.second_factor_check_lifetime_seconds,
        ),
        (
            "mfaInitSkipLifetimeSeconds",
            v.mfa_init_skip_lifetime_seconds,
        ),
    ];
    if let Some((name, _)) = lifetimes.iter().find(|(_, s)| *s > MAX_LIFETIME_SECONDS) {
        return Err(CommandError::invalid(format!(
            "the login settings' {name} must be at most {MAX_LIFETIME_SECONDS} (ten years)"
        )));
    }
    Ok(v)
}

/// Sets the instance's record of one kind.
#[derive(Debug, Clone)]
pub(crate) struct SetInstanceSettingsCommand {
    payload: SetInstanceSettings,
}

impl SetInstanceSettingsCommand {
    /// Checks and normalizes `value`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a record that breaks a rule.
    pub(crate) fn new(value: SettingsValue) -> Result<Self, CommandError> {
        Ok(Self {
            payload: SetInstanceSettings(checked(value)?),
        })
    }
}

#[async_trait]
impl Decide for SetInstanceSettingsCommand {
    type Model = InstanceModel;

    fn name(&self) -> &'static str {
        SetInstanceSettings::NAME
    }

    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str {
        &ctx.instance_id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let value = &self.payload.0;
        unchanged(model.settings.get(value.kind()), value)?;
        Ok(Decision::new(vec![
            env.event(&InstanceSettingsSet(value.clone())),
        ]))
    }
}

/// What an organization does with its own record of one kind.
#[derive(Debug, Clone)]
enum OrgChange {
    /// Sets it.
    Set(SetOrgSettings),
    /// Drops it, following the instance's again.
    Reset(ResetOrgSettings),
}

/// Sets or resets an organization's record of one kind.
#[derive(Debug, Clone)]
pub(crate) struct OrgSettingsCommand {
    org_id: String,
    change: OrgChange,
}

impl OrgSettingsCommand {
    /// Sets organization `org_id`'s record of `value`'s kind.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a record that breaks a rule.
    pub(crate) fn set(org_id: &str, value: SettingsValue) -> Result<Self, CommandError> {
        if let SettingsValue::Domain(domain) = &value
            && !domain.validate_org_domains
        {
            // An organization must not waive the proof of its own domains.
            return Err(CommandError::invalid(
                "only the instance may turn domain validation off (validateOrgDomains)",
            ));
        }
        Ok(Self {
            org_id: org_id.to_owned(),
            change: OrgChange::Set(SetOrgSettings(checked(value)?)),
        })
    }

    /// Drops organization `org_id`'s record of `kind`.
    pub(crate) fn reset(org_id: &str, kind: SettingsKind) -> Self {
        Self {
            org_id: org_id.to_owned(),
            change: OrgChange::Reset(ResetOrgSettings { kind }),
        }
    }
}

#[async_trait]
impl Decide for OrgSettingsCommand {
    type Model = OrgModel;

    fn name(&self) -> &'static str {
        match self.change {
            OrgChange::Set(_) => SetOrgSettings::NAME,
            OrgChange::Reset(_) => ResetOrgSettings::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.org_id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match &self.change {
            OrgChange::Set(set) => json(set),
            OrgChange::Reset(reset) => json(reset),
        }
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let event = match &self.change {
            OrgChange::Set(SetOrgSettings(value)) => {
                unchanged(model.settings.get(value.kind()), value)?;
                env.event(&OrgSettingsSet(value.clone()))
            }
            OrgChange::Reset(ResetOrgSettings { kind }) => {
                if model.settings.get(*kind).is_none() {
                    return Err(CommandError::precondition(format!(
                        "the organization has no {} settings of its own",
                        kind.as_str()
                    )));
                }
                env.event(&OrgSettingsReset { kind: *kind })
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

/// [`CommandError::FailedPrecondition`] when `value` is the record already
/// set.
fn unchanged(current: Option<&SettingsValue>, value: &SettingsValue) -> Result<(), CommandError> {
    if current == Some(value) {
        return Err(CommandError::precondition(format!(
            "the {} settings are unchanged",
            value.kind().as_str()
        )));
    }
    Ok(())
}

impl Commands {
    /// Sets the instance's record of `value`'s kind: what every organization
    /// without its own record of that kind follows.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a record that breaks a rule,
    /// [`CommandError::FailedPrecondition`] when it is the one already set,
    /// a validator's rejection.
    pub async fn set_instance_settings(
        &self,
        ctx: &CommandContext,
        value: SettingsValue,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &SetInstanceSettingsCommand::new(value)?)
            .await
    }

    /// Sets organization `org_id`'s own record of `value`'s kind, in place
    /// of the instance's.
    ///
    /// # Errors
    /// As [`Commands::set_instance_settings`], and
    /// [`CommandError::NotFound`] for an unknown organization.
    pub async fn set_org_settings(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        value: SettingsValue,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &OrgSettingsCommand::set(org_id, value)?)
            .await
    }

    /// Drops organization `org_id`'s own record of `kind`: it follows the
    /// instance's again.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown organization,
    /// [`CommandError::FailedPrecondition`] when it has no record of `kind`.
    pub async fn reset_org_settings(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        kind: SettingsKind,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &OrgSettingsCommand::reset(org_id, kind))
            .await
    }
}
