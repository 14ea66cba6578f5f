//! # Tokens of a user's login
//!
//! What a code exchange and a refresh hand out to an application for a
//! user: an access token (JWT per RFC 9068 or opaque, as the application
//! is configured, stored as an `oauth_token`), and with `openid` an ID
//! token (OpenID Connect Core §2): `iss sub aud azp exp iat auth_time
//! nonce amr at_hash sid`, the standard claims of the granted scopes
//! ([`claims`]) and the roles claim when asked for or when the project
//! asserts roles.

use chrono::{DateTime, TimeDelta, Utc};
use rampart_plugin_sdk::catalogue::{AccessTokenType, OidcConfig};

use super::grants::{AccessClaims, TokenResponse, hand_out};
use super::tokens::{TokenFormat, TokenRecord};
use super::{OidcError, Provider, claims, scopes};
use crate::login_flow::Login;
use crate::query::Client;

/// The `typ` of ID tokens.
const ID_TOKEN_TYP: &str = "JWT";

/// What a login grants a client.
#[derive(Debug, Clone)]
pub struct UserGrant<'a> {
    /// The application.
    pub client: &'a Client,
    /// Its OIDC settings.
    pub config: &'a OidcConfig,
    /// The user.
    pub user_id: &'a str,
    /// The granted scopes.
    pub scopes: &'a [String],
    /// The session of the login (`sid`).
    pub session_id: &'a str,
    /// When the user authenticated.
    pub auth_time: DateTime<Utc>,
    /// How (`amr`).
    pub amr: &'a [String],
    /// The request's `nonce` (code exchange only).
    pub nonce: Option<&'a str>,
}

fn seconds(secs: u64) -> TimeDelta {
    TimeDelta::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000).max(1))
}

/// Issues the access token `access_token_id` and, with `openid`, an ID
/// token for `grant`, at `issuer`; `refresh_token` goes into the answer
/// as it is.
///
/// # Errors
/// [`OidcError::invalid_grant`] when the user is no longer active;
/// storing, signing and the query side's errors.
pub async fn issue(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    grant: &UserGrant<'_>,
    access_token_id: &str,
    refresh_token: Option<String>,
) -> Result<TokenResponse, OidcError> {
    let queries = provider.queries();
    let subject = queries
        .subject(instance_id, grant.user_id)
        .await?
        .filter(|s| s.active && !s.machine)
        .ok_or_else(|| OidcError::invalid_grant("the user is no longer active"))?;
    let granted =
        scopes::grant(queries, instance_id, Some(grant.scopes.join(" ").as_str())).await?;
    let client = grant.client;
    let mut audience = vec![client.client_id.clone(), client.project_id.clone()];
    for aud in granted.audience(issuer) {
        if !audience.contains(&aud) {
            audience.push(aud);
        }
    }
    let mut role_projects = vec![client.project_id.clone()];
    role_projects.extend(
        granted
            .projects
            .iter()
            .filter(|p| **p != client.project_id)
            .cloned(),
    );
    let roles = (granted.roles || client.role_assertion).then_some(role_projects.as_slice());
    let now = Utc::now();
    let lifetime = seconds(grant.config.access_token_lifetime_secs);
    let record = TokenRecord {
        user_id: subject.user_id.clone(),
        org_id: subject.org_id.clone(),
        username: subject.username.clone(),
        client_id: client.client_id.clone(),
        audience,
        scopes: granted.scopes.clone(),
        issued_at: now,
        expires_at: now + lifetime,
        format: match grant.config.access_token_type {
            AccessTokenType::Jwt => TokenFormat::Jwt,
            AccessTokenType::Opaque => TokenFormat::Opaque,
        },
        secret_hash: None,
    };
    let mut extra = serde_json::Map::new();
    extra.insert("auth_time".into(), grant.auth_time.timestamp().into());
    extra.insert("amr".into(), serde_json::json!(grant.amr));
    let login = Login {
        instance_id: instance_id.to_owned(),
        org_id: Some(subject.org_id.clone()),
        user_id: Some(subject.user_id.clone()),
        login_name: subject.username.clone(),
        client_id: Some(client.client_id.clone()),
        auth_methods: super::session::auth_methods_of(grant.amr),
        requested_scopes: granted.scopes.clone(),
        ..Login::default()
    };
    let plugins = provider.claims_context(&login).await?;
    let access_token = hand_out(
        provider,
        instance_id,
        issuer,
        access_token_id,
        record,
        AccessClaims {
            roles,
            extra,
            login: plugins.as_ref(),
        },
    )
    .await?;
    let id_token = if granted.scopes.iter().any(|s| s == "openid") {
        let mut claims = claims::standard(&subject, &granted.scopes);
        let id_lifetime = seconds(grant.config.id_token_lifetime_secs);
        let fixed = serde_json::json!({
            "iss": issuer,
            "aud": [client.client_id],
            "azp": client.client_id,
            "exp": (now + id_lifetime).timestamp(),
            "iat": now.timestamp(),
            "auth_time": grant.auth_time.timestamp(),
            "amr": grant.amr,
            "at_hash": claims::at_hash(&access_token),
            "sid": grant.session_id,
        });
        if let serde_json::Value::Object(fixed) = fixed {
            claims.extend(fixed);
        }
        if let Some(nonce) = grant.nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        if let Some(projects) = roles {
            claims::add_roles(&mut claims, queries, instance_id, grant.user_id, projects).await?;
        }
        provider
            .complement_claims(plugins.as_ref(), &mut claims)
            .await?;
        Some(
            provider
                .keys
                .sign(
                    instance_id,
                    ID_TOKEN_TYP,
                    &serde_json::Value::Object(claims),
                )
                .await?,
        )
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        scope: granted.joined(),
        id_token,
        refresh_token,
    })
}
