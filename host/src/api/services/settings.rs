//! `rampart.settings.v1.SettingsService`: the settings of the caller's
//! instance and its organizations, set a record of one kind at a time.

use rampart_plugin_sdk::catalogue::{
    DomainSettings as Domain, LockoutSettings as Lockout, LoginSettings as Login,
    NotificationSettings as Notification, PasswordComplexitySettings as Complexity,
    SecondFactor as Factor, SettingsKind as Kind, SettingsValue,
};
use tonic::{Request, Response, Status};

use super::convert::details;
use crate::api::gate::caller;
use crate::api::proto::rampart::settings::v1::settings_service_server::{
    SettingsService, SettingsServiceServer,
};
use crate::api::proto::rampart::settings::v1::{
    DomainSettings, GetInstanceSettingsRequest, GetOrgSettingsRequest, GetSettingsResponse,
    LockoutSettings, LoginSettings, NotificationSettings, PasswordComplexitySettings,
    ResetOrgSettingsRequest, SecondFactor, SetInstanceSettingsRequest, SetOrgSettingsRequest,
    SetSettingsResponse, SettingsKind, SettingsLevel, SettingsLevels,
    set_instance_settings_request, set_org_settings_request,
};
use crate::api::status::{invalid_field, not_found};
use crate::api::validate::Violation;
use crate::command::{InEffect, SettingsLevel as Level};
use crate::server::AppState;

/// The settings service.
#[derive(Clone)]
pub(crate) struct SettingsApi {
    state: AppState,
}

/// The settings service, ready to be routed.
pub(crate) fn server(state: &AppState) -> SettingsServiceServer<SettingsApi> {
    SettingsServiceServer::new(SettingsApi {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl SettingsService for SettingsApi {
    async fn get_instance_settings(
        &self,
        request: Request<GetInstanceSettingsRequest>,
    ) -> Result<Response<GetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let in_effect = queries.instance_settings(&caller.instance_id).await?;
        Ok(Response::new(response(&in_effect)))
    }

    async fn get_org_settings(
        &self,
        request: Request<GetOrgSettingsRequest>,
    ) -> Result<Response<GetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let org_id = request.into_inner().org_id;
        let in_effect = queries
            .org_settings(&caller.instance_id, &org_id)
            .await?
            .ok_or_else(|| not_found("organization", &org_id))?;
        Ok(Response::new(response(&in_effect)))
    }

    async fn set_instance_settings(
        &self,
        request: Request<SetInstanceSettingsRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        use set_instance_settings_request::Settings as S;
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let value = match request.into_inner().settings {
            Some(S::PasswordComplexity(v)) => complexity(v),
            Some(S::Lockout(v)) => lockout(v),
            Some(S::Login(v)) => login(v)?,
            Some(S::Domain(v)) => domain(v),
            Some(S::Notification(v)) => notification(v),
            None => return Err(no_kind()),
        };
        let written = commands.set_instance_settings(&caller.ctx(), value).await?;
        Ok(Response::new(SetSettingsResponse {
            details: details(&written),
        }))
    }

    async fn set_org_settings(
        &self,
        request: Request<SetOrgSettingsRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        use set_org_settings_request::Settings as S;
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let value = match req.settings {
            Some(S::PasswordComplexity(v)) => complexity(v),
            Some(S::Lockout(v)) => lockout(v),
            Some(S::Login(v)) => login(v)?,
            Some(S::Domain(v)) => domain(v),
            Some(S::Notification(v)) => notification(v),
            None => return Err(no_kind()),
        };
        let written = commands
            .set_org_settings(&caller.ctx(), &req.org_id, value)
            .await?;
        Ok(Response::new(SetSettingsResponse {
            details: details(&written),
        }))
    }

    async fn reset_org_settings(
        &self,
        request: Request<ResetOrgSettingsRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let kind = match req.kind() {
            SettingsKind::PasswordComplexity => Kind::PasswordComplexity,
            SettingsKind::Lockout => Kind::Lockout,
            SettingsKind::Login => Kind::Login,
            SettingsKind::Domain => Kind::Domain,
            SettingsKind::Notification => Kind::Notification,
            // The gate refuses an unset required enum before this runs.
            SettingsKind::Unspecified => return Err(field("kind", "must name a kind")),
        };
        let written = commands
            .reset_org_settings(&caller.ctx(), &req.org_id, kind)
            .await?;
        Ok(Response::new(SetSettingsResponse {
            details: details(&written),
        }))
    }
}

/// `INVALID_ARGUMENT` for request field `name`.
fn field(name: &str, description: &str) -> Status {
    invalid_field(&Violation {
        field: name.into(),
        description: description.into(),
    })
}

/// `INVALID_ARGUMENT`: a set request without a record.
fn no_kind() -> Status {
    field(
        "settings",
        "must hold exactly one kind of settings (passwordComplexity, lockout, login, domain, \
         notification)",
    )
}

fn complexity(v: PasswordComplexitySettings) -> SettingsValue {
    SettingsValue::PasswordComplexity(Complexity {
        min_length: v.min_length,
        max_length: v.max_length,
        require_uppercase: v.require_uppercase,
        require_lowercase: v.require_lowercase,
        require_number: v.require_number,
        require_symbol: v.require_symbol,
    })
}

fn lockout(v: LockoutSettings) -> SettingsValue {
    SettingsValue::Lockout(Lockout {
        max_password_attempts: v.max_password_attempts,
        max_otp_attempts: v.max_otp_attempts,
        show_lockout_failures: v.show_lockout_failures,
    })
}

fn login(v: LoginSettings) -> Result<SettingsValue, Status> {
    let second_factors = v
        .second_factors()
        .map(|f| match f {
            SecondFactor::Totp => Ok(Factor::Totp),
            SecondFactor::WebAuthn => Ok(Factor::WebAuthn),
            SecondFactor::OtpEmail => Ok(Factor::OtpEmail),
            SecondFactor::OtpSms => Ok(Factor::OtpSms),
            SecondFactor::Unspecified => Err(field(
                "login.secondFactors",
                "must not hold the UNSPECIFIED value",
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(SettingsValue::Login(Login {
        allow_username_password: v.allow_username_password,
        allow_register: v.allow_register,
        allow_external_idp: v.allow_external_idp,
        force_mfa: v.force_mfa,
        second_factors,
        password_check_lifetime_seconds: v.password_check_lifetime_seconds,
        external_login_check_lifetime_seconds: v.external_login_check_lifetime_seconds,
        second_factor_check_lifetime_seconds: v.second_factor_check_lifetime_seconds,
        mfa_init_skip_lifetime_seconds: v.mfa_init_skip_lifetime_seconds,
    }))
}

fn domain(v: DomainSettings) -> SettingsValue {
    SettingsValue::Domain(Domain {
        user_login_must_be_domain: v.user_login_must_be_domain,
        validate_org_domains: v.validate_org_domains,
    })
}

fn notification(v: NotificationSettings) -> SettingsValue {
    SettingsValue::Notification(Notification {
        password_change: v.password_change,
    })
}

/// The API's answer for the settings in effect.
fn response(in_effect: &InEffect) -> GetSettingsResponse {
    let s = &in_effect.settings;
    let c = &s.password_complexity;
    let l = &s.login;
    let level = |kind| {
        i32::from(match in_effect.level(kind) {
            Level::Default => SettingsLevel::Default,
            Level::Instance => SettingsLevel::Instance,
            Level::Org => SettingsLevel::Org,
        })
    };
    GetSettingsResponse {
        password_complexity: Some(PasswordComplexitySettings {
            min_length: c.min_length,
            max_length: c.max_length,
            require_uppercase: c.require_uppercase,
            require_lowercase: c.require_lowercase,
            require_number: c.require_number,
            require_symbol: c.require_symbol,
        }),
        lockout: Some(LockoutSettings {
            max_password_attempts: s.lockout.max_password_attempts,
            max_otp_attempts: s.lockout.max_otp_attempts,
            show_lockout_failures: s.lockout.show_lockout_failures,
        }),
        login: Some(LoginSettings {
            allow_username_password: l.allow_username_password,
            allow_register: l.allow_register,
            allow_external_idp: l.allow_external_idp,
            force_mfa: l.force_mfa,
            second_factors: l
                .second_factors
                .iter()
                .map(|f| {
                    i32::from(match f {
                        Factor::Totp => SecondFactor::Totp,
                        Factor::WebAuthn => SecondFactor::WebAuthn,
                        Factor::OtpEmail => SecondFactor::OtpEmail,
                        Factor::OtpSms => SecondFactor::OtpSms,
                    })
                })
                .collect(),
            password_check_lifetime_seconds: l.password_check_lifetime_seconds,
            external_login_check_lifetime_seconds: l.external_login_check_lifetime_seconds,
            second_factor_check_lifetime_seconds: l.second_factor_check_lifetime_seconds,
            mfa_init_skip_lifetime_seconds: l.mfa_init_skip_lifetime_seconds,
        }),
        domain: Some(DomainSettings {
            user_login_must_be_domain: s.domain.user_login_must_be_domain,
            validate_org_domains: s.domain.validate_org_domains,
        }),
        notification: Some(NotificationSettings {
            password_change: s.notification.password_change,
        }),
        levels: Some(SettingsLevels {
            password_complexity: level(Kind::PasswordComplexity),
            lockout: level(Kind::Lockout),
            login: level(Kind::Login),
            domain: level(Kind::Domain),
            notification: level(Kind::Notification),
        }),
    }
}
