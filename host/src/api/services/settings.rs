//! `rampart.settings.v1.SettingsService`: the settings of the caller's
//! instance and its organizations, set a record of one kind at a time, and
//! the instance's notifier setup (SMTP server, message templates).

use rampart_plugin_sdk::catalogue::{
    DomainSettings as Domain, LockoutSettings as Lockout, LoginSettings as Login,
    MessageKind as Kind2, MessageTemplate as Template, NotificationSettings as Notification,
    PasswordComplexitySettings as Complexity, SecondFactor as Factor, SettingsKind as Kind,
    SettingsValue, SmtpConfig as Smtp, SmtpTls as Tls,
};
use tonic::{Request, Response, Status};

use super::convert::details;
use crate::api::gate::caller;
use crate::api::proto::rampart::settings::v1::settings_service_server::{
    SettingsService, SettingsServiceServer,
};
use crate::api::proto::rampart::settings::v1::{
    DomainSettings, GetInstanceSettingsRequest, GetOrgSettingsRequest, GetSettingsResponse,
    GetSmtpConfigRequest, GetSmtpConfigResponse, ListMessageTemplatesRequest,
    ListMessageTemplatesResponse, LockoutSettings, LoginSettings, MessageKind, MessageTemplate,
    NotificationSettings, PasswordComplexitySettings, RemoveSmtpConfigRequest,
    ResetMessageTemplateRequest, ResetOrgSettingsRequest, SecondFactor, SetInstanceSettingsRequest,
    SetMessageTemplateRequest, SetOrgSettingsRequest, SetSettingsResponse, SetSmtpConfigRequest,
    SettingsKind, SettingsLevel, SettingsLevels, SmtpConfig, SmtpTls,
    set_instance_settings_request, set_org_settings_request,
};
use crate::api::status::{invalid_field, not_found};
use crate::api::validate::Violation;
use crate::command::{InEffect, SettingsLevel as Level, Written};
use crate::notifier::template;
use crate::server::AppState;

/// The catalogue's record for a set request's `settings` oneof (whose
/// enum is `$oneof`; the instance and org requests each have their own), or
/// `INVALID_ARGUMENT` when it holds none.
macro_rules! settings_value {
    ($oneof:ident, $settings:expr) => {
        match $settings {
            Some($oneof::PasswordComplexity(v)) => complexity(v),
            Some($oneof::Lockout(v)) => lockout(v),
            Some($oneof::Login(v)) => login(v)?,
            Some($oneof::Domain(v)) => domain(v),
            Some($oneof::Notification(v)) => notification(v),
            None => return Err(no_kind()),
        }
    };
}

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
        let value = settings_value!(S, request.into_inner().settings);
        let written = commands.set_instance_settings(&caller.ctx(), value).await?;
        Ok(set_response(&written))
    }

    async fn set_org_settings(
        &self,
        request: Request<SetOrgSettingsRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        use set_org_settings_request::Settings as S;
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let value = settings_value!(S, req.settings);
        let written = commands
            .set_org_settings(&caller.ctx(), &req.org_id, value)
            .await?;
        Ok(set_response(&written))
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
        Ok(set_response(&written))
    }

    async fn get_smtp_config(
        &self,
        request: Request<GetSmtpConfigRequest>,
    ) -> Result<Response<GetSmtpConfigResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let config = queries.notification_config(&caller.instance_id).await?;
        let smtp = config.smtp.as_ref();
        Ok(Response::new(GetSmtpConfigResponse {
            has_password: smtp.is_some_and(|c| c.password.is_some()),
            config: smtp.map(|c| SmtpConfig {
                host: c.host.clone(),
                port: u32::from(c.port),
                tls: i32::from(match c.tls {
                    Tls::Tls => SmtpTls::Tls,
                    Tls::StartTls => SmtpTls::Starttls,
                    Tls::None => SmtpTls::None,
                }),
                username: c.username.clone().unwrap_or_default(),
                password: String::new(),
                from_address: c.from_address.clone(),
                from_name: c.from_name.clone(),
            }),
        }))
    }

    async fn set_smtp_config(
        &self,
        request: Request<SetSmtpConfigRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        // The gate refuses a request without the required config.
        let c = request.into_inner().config.unwrap_or_default();
        let port =
            u16::try_from(c.port).map_err(|_| field("config.port", "must be at most 65535"))?;
        let tls = match c.tls() {
            SmtpTls::Unspecified | SmtpTls::Tls => Tls::Tls,
            SmtpTls::Starttls => Tls::StartTls,
            SmtpTls::None => Tls::None,
        };
        let config = Smtp {
            host: c.host,
            port,
            tls,
            username: Some(c.username).filter(|u| !u.is_empty()),
            password: Some(c.password).filter(|p| !p.is_empty()),
            from_address: c.from_address,
            from_name: c.from_name,
        };
        let written = commands.set_smtp_config(&caller.ctx(), config).await?;
        Ok(set_response(&written))
    }

    async fn remove_smtp_config(
        &self,
        request: Request<RemoveSmtpConfigRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.remove_smtp_config(&caller.ctx()).await?;
        Ok(set_response(&written))
    }

    async fn list_message_templates(
        &self,
        request: Request<ListMessageTemplatesRequest>,
    ) -> Result<Response<ListMessageTemplatesResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let config = queries.notification_config(&caller.instance_id).await?;
        let result = Kind2::ALL
            .into_iter()
            .map(|kind| {
                let own = config.templates.get(&kind);
                let template = own.cloned().unwrap_or_else(|| template::built_in(kind));
                MessageTemplate {
                    kind: i32::from(message_kind_out(kind)),
                    subject: template.subject,
                    body: template.body,
                    custom: own.is_some(),
                }
            })
            .collect();
        Ok(Response::new(ListMessageTemplatesResponse { result }))
    }

    async fn set_message_template(
        &self,
        request: Request<SetMessageTemplateRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let kind = message_kind(req.kind())?;
        let template = Template {
            subject: req.subject,
            body: req.body,
        };
        let written = commands
            .set_message_template(&caller.ctx(), kind, template)
            .await?;
        Ok(set_response(&written))
    }

    async fn reset_message_template(
        &self,
        request: Request<ResetMessageTemplateRequest>,
    ) -> Result<Response<SetSettingsResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let kind = message_kind(request.into_inner().kind())?;
        let written = commands.reset_message_template(&caller.ctx(), kind).await?;
        Ok(set_response(&written))
    }
}

/// The catalogue's message kind for the API's.
fn message_kind(kind: MessageKind) -> Result<Kind2, Status> {
    Ok(match kind {
        MessageKind::EmailVerification => Kind2::EmailVerification,
        MessageKind::PasswordReset => Kind2::PasswordReset,
        MessageKind::PasswordChanged => Kind2::PasswordChanged,
        MessageKind::PhoneVerification => Kind2::PhoneVerification,
        // The gate refuses an unset required enum before this runs.
        MessageKind::Unspecified => return Err(field("kind", "must name a message")),
    })
}

/// The API's message kind for the catalogue's.
fn message_kind_out(kind: Kind2) -> MessageKind {
    match kind {
        Kind2::EmailVerification => MessageKind::EmailVerification,
        Kind2::PasswordReset => MessageKind::PasswordReset,
        Kind2::PasswordChanged => MessageKind::PasswordChanged,
        Kind2::PhoneVerification => MessageKind::PhoneVerification,
    }
}

/// The answer to a change of settings.
fn set_response(written: &Written) -> Response<SetSettingsResponse> {
    Response::new(SetSettingsResponse {
        details: details(written),
    })
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
