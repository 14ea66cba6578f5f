//! Application settings between the API's messages and the catalogue's
//! payloads, for `ProjectService`: enums by name, `UNSPECIFIED` as the
//! documented default, and never as an item of a list.

use rampart_plugin_sdk::catalogue::{
    AccessTokenType as Token, ApiConfig, ClientAuthMethod as Method, GrantType as Grant,
    OidcConfig, ResponseType as Response,
};
use tonic::Status;

use crate::api::proto::rampart::project::v1::{
    AccessTokenType, ApiAppConfig, ClientAuthMethod, GrantType, OidcAppConfig, ResponseType,
};
use crate::api::status::invalid_field;
use crate::api::validate::Violation;

/// `INVALID_ARGUMENT` for an unspecified item of list `field`.
fn unspecified(field: &str) -> Status {
    invalid_field(&Violation {
        field: format!("config.{field}"),
        description: "must not hold the UNSPECIFIED value".into(),
    })
}

/// The catalogue's method for the API's (unspecified: `default`).
fn method(value: i32, default: Method) -> Method {
    match ClientAuthMethod::try_from(value).unwrap_or_default() {
        ClientAuthMethod::Unspecified => default,
        ClientAuthMethod::None => Method::None,
        ClientAuthMethod::ClientSecretBasic => Method::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost => Method::ClientSecretPost,
        ClientAuthMethod::PrivateKeyJwt => Method::PrivateKeyJwt,
    }
}

/// The API's method for the catalogue's.
fn method_out(method: Method) -> ClientAuthMethod {
    match method {
        Method::None => ClientAuthMethod::None,
        Method::ClientSecretBasic => ClientAuthMethod::ClientSecretBasic,
        Method::ClientSecretPost => ClientAuthMethod::ClientSecretPost,
        Method::PrivateKeyJwt => ClientAuthMethod::PrivateKeyJwt,
    }
}

/// The catalogue's OIDC settings for the API's.
///
/// # Errors
/// `INVALID_ARGUMENT` for an unspecified grant or response type.
pub fn oidc_in(config: OidcAppConfig) -> Result<OidcConfig, Status> {
    let grant_types = config
        .grant_types()
        .map(|g| match g {
            GrantType::Unspecified => Err(unspecified("grant_types")),
            GrantType::AuthorizationCode => Ok(Grant::AuthorizationCode),
            GrantType::Implicit => Ok(Grant::Implicit),
            GrantType::RefreshToken => Ok(Grant::RefreshToken),
            GrantType::JwtBearer => Ok(Grant::JwtBearer),
        })
        .collect::<Result<_, _>>()?;
    let response_types = config
        .response_types()
        .map(|r| match r {
            ResponseType::Unspecified => Err(unspecified("response_types")),
            ResponseType::Code => Ok(Response::Code),
            ResponseType::IdToken => Ok(Response::IdToken),
            ResponseType::IdTokenToken => Ok(Response::IdTokenToken),
        })
        .collect::<Result<_, _>>()?;
    let access_token_type = match config.access_token_type() {
        AccessTokenType::Unspecified | AccessTokenType::Opaque => Token::Opaque,
        AccessTokenType::Jwt => Token::Jwt,
    };
    Ok(OidcConfig {
        auth_method: method(config.auth_method, Method::ClientSecretBasic),
        redirect_uris: config.redirect_uris,
        post_logout_redirect_uris: config.post_logout_redirect_uris,
        response_types,
        grant_types,
        access_token_type,
        access_token_lifetime_secs: config.access_token_lifetime_secs,
        id_token_lifetime_secs: config.id_token_lifetime_secs,
        refresh_token_lifetime_secs: config.refresh_token_lifetime_secs,
        dev_mode: config.dev_mode,
        pkce_required: config.pkce_required,
    })
}

/// The catalogue's API settings for the API's (none: the defaults).
pub fn api_in(config: Option<ApiAppConfig>) -> ApiConfig {
    ApiConfig {
        auth_method: method(
            config.map_or(0, |c| c.auth_method),
            Method::ClientSecretBasic,
        ),
    }
}

/// The API's OIDC settings for the catalogue's.
pub fn oidc_out(config: OidcConfig) -> OidcAppConfig {
    let grant_types = config
        .grant_types
        .iter()
        .map(|g| match g {
            Grant::AuthorizationCode => GrantType::AuthorizationCode,
            Grant::Implicit => GrantType::Implicit,
            Grant::RefreshToken => GrantType::RefreshToken,
            Grant::JwtBearer => GrantType::JwtBearer,
        })
        .map(i32::from)
        .collect();
    let response_types = config
        .response_types
        .iter()
        .map(|r| match r {
            Response::Code => ResponseType::Code,
            Response::IdToken => ResponseType::IdToken,
            Response::IdTokenToken => ResponseType::IdTokenToken,
        })
        .map(i32::from)
        .collect();
    let access_token_type = match config.access_token_type {
        Token::Opaque => AccessTokenType::Opaque,
        Token::Jwt => AccessTokenType::Jwt,
    };
    OidcAppConfig {
        redirect_uris: config.redirect_uris,
        post_logout_redirect_uris: config.post_logout_redirect_uris,
        response_types,
        grant_types,
        auth_method: method_out(config.auth_method).into(),
        access_token_type: access_token_type.into(),
        access_token_lifetime_secs: config.access_token_lifetime_secs,
        id_token_lifetime_secs: config.id_token_lifetime_secs,
        refresh_token_lifetime_secs: config.refresh_token_lifetime_secs,
        dev_mode: config.dev_mode,
        pkce_required: config.pkce_required,
    }
}

/// The API's API settings for the catalogue's.
pub fn api_out(config: ApiConfig) -> ApiAppConfig {
    ApiAppConfig {
        auth_method: method_out(config.auth_method).into(),
    }
}
