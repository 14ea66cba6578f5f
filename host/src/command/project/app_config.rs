//! The host's rules for application settings, applied before validators
//! see them: URIs that parse, grant and response types that fit together,
//! lifetimes within bounds (0 takes the default). Policy on top (https
//! only, allowed hosts) is the `redirect-uri-policy` validator's.

use rampart_plugin_sdk::catalogue::{
    ApiConfig, ClientAuthMethod, GrantType, OidcConfig, ResponseType,
};

use crate::command::CommandError;

/// Default lifetime of access and ID tokens: one hour.
const DEFAULT_TOKEN_SECS: u64 = 3600;
/// Default lifetime of refresh tokens: 30 days.
const DEFAULT_REFRESH_SECS: u64 = 30 * 24 * 3600;
/// Longest lifetime of access and ID tokens: one day.
const MAX_TOKEN_SECS: u64 = 24 * 3600;
/// Longest lifetime of refresh tokens: one year.
const MAX_REFRESH_SECS: u64 = 365 * 24 * 3600;

/// `config` normalized (URIs trimmed and deduplicated, types sorted and
/// deduplicated, defaults filled in) and checked.
///
/// # Errors
/// [`CommandError::InvalidArgument`] naming the setting that is wrong.
pub(crate) fn oidc(config: OidcConfig) -> Result<OidcConfig, CommandError> {
    let config = OidcConfig {
        redirect_uris: uris(&config.redirect_uris, "redirect URI")?,
        post_logout_redirect_uris: uris(
            &config.post_logout_redirect_uris,
            "post-logout redirect URI",
        )?,
        response_types: sorted(config.response_types, ResponseType::Code),
        grant_types: sorted(config.grant_types, GrantType::AuthorizationCode),
        access_token_lifetime_secs: lifetime(
            config.access_token_lifetime_secs,
            DEFAULT_TOKEN_SECS,
            MAX_TOKEN_SECS,
            "access token lifetime",
        )?,
        id_token_lifetime_secs: lifetime(
            config.id_token_lifetime_secs,
            DEFAULT_TOKEN_SECS,
            MAX_TOKEN_SECS,
            "ID token lifetime",
        )?,
        refresh_token_lifetime_secs: lifetime(
            config.refresh_token_lifetime_secs,
            DEFAULT_REFRESH_SECS,
            MAX_REFRESH_SECS,
            "refresh token lifetime",
        )?,
        ..config
    };
    let grants = &config.grant_types;
    let responses = &config.response_types;
    let code = grants.contains(&GrantType::AuthorizationCode);
    let implicit = grants.contains(&GrantType::Implicit);
    if responses.contains(&ResponseType::Code) != code {
        return Err(CommandError::invalid(
            "the response type code goes with the grant type authorization_code, and only with it",
        ));
    }
    let implicit_responses = responses
        .iter()
        .any(|r| matches!(r, ResponseType::IdToken | ResponseType::IdTokenToken));
    if implicit_responses != implicit {
        return Err(CommandError::invalid(
            "the response types id_token and \"id_token token\" go with the grant type implicit, \
             and only with them",
        ));
    }
    if grants.contains(&GrantType::RefreshToken) && !code && !grants.contains(&GrantType::JwtBearer)
    {
        return Err(CommandError::invalid(
            "the grant type refresh_token needs authorization_code or the JWT bearer grant",
        ));
    }
    if (code || implicit) && config.redirect_uris.is_empty() {
        return Err(CommandError::invalid(
            "an application using authorization_code or implicit needs at least one redirect URI",
        ));
    }
    if implicit && config.auth_method != ClientAuthMethod::None {
        return Err(CommandError::invalid(
            "an application using implicit runs in a browser, which keeps no secret: \
             its auth method must be none",
        ));
    }
    Ok(config)
}

/// `config` checked: API applications authenticate by secret (basic) or
/// by key.
///
/// # Errors
/// [`CommandError::InvalidArgument`] for another method.
pub(crate) fn api(config: ApiConfig) -> Result<ApiConfig, CommandError> {
    match config.auth_method {
        ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::PrivateKeyJwt => Ok(config),
        other => Err(CommandError::invalid(format!(
            "an API application authenticates by client_secret_basic or private_key_jwt, not {}",
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ))),
    }
}

/// Absolute URIs without fragment, trimmed, deduplicated in order.
fn uris(list: &[String], what: &str) -> Result<Vec<String>, CommandError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for raw in list {
        let uri = raw.trim();
        let parsed = url::Url::parse(uri).map_err(|e| {
            CommandError::invalid(format!("the {what} {uri:?} is not an absolute URI: {e}"))
        })?;
        if parsed.fragment().is_some() {
            return Err(CommandError::invalid(format!(
                "the {what} {uri:?} must not have a fragment (#…)"
            )));
        }
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    Ok(out)
}

/// `items` sorted and deduplicated; `[default]` when empty.
fn sorted<T: Ord>(mut items: Vec<T>, default: T) -> Vec<T> {
    if items.is_empty() {
        return vec![default];
    }
    items.sort();
    items.dedup();
    items
}

/// `secs`, or `default` for 0; at most `max`.
fn lifetime(secs: u64, default: u64, max: u64, what: &str) -> Result<u64, CommandError> {
    match secs {
        0 => Ok(default),
        s if s > max => Err(CommandError::invalid(format!(
            "the {what} must be at most {max} seconds"
        ))),
        s => Ok(s),
    }
}
