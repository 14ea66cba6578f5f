//! # Grants of machine users
//!
//! - `client_credentials` (RFC 6749 §4.4): a machine user authenticates
//!   with its secret (client id = its username) or a client assertion.
//! - `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1, the JWT
//!   profile): a machine user signs an assertion with one of its keys
//!   (`iss` = `sub` = its user id, `aud` = the issuer).
//!
//! Both hand out an access token for the machine user, JWT or opaque as
//! the user is configured, for `Oidc.MachineTokenLifetime`.

use std::collections::BTreeMap;

use chrono::Utc;
use rampart_plugin_sdk::catalogue::AccessTokenType;
use serde::Serialize;

use super::client::{self, Authenticated, MachineClient};
use super::tokens::{self, TokenFormat, TokenRecord};
use super::{OidcError, Provider, assertion, scopes};
use crate::login_flow::ClaimsContext;

/// The JWT bearer grant type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The client credentials grant type.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// Header `typ` of JWT access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The granted scopes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The ID token, when `openid` was granted to a user's login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The refresh token, when `offline_access` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The token format of a machine user's access-token type.
pub fn machine_format(kind: AccessTokenType) -> TokenFormat {
    match kind {
        AccessTokenType::Jwt => TokenFormat::Jwt,
        AccessTokenType::Opaque => TokenFormat::Opaque,
    }
}

/// `client_credentials`: the authenticated client must be a machine user.
///
/// # Errors
/// [`OidcError`]: client authentication, an application as the client
/// (`unauthorized_client`), scopes, storing or signing.
pub async fn client_credentials(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    headers: &axum::http::HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<TokenResponse, OidcError> {
    let authenticated =
        client::authenticate(&provider.queries, instance_id, issuer, headers, params).await?;
    let Authenticated::Machine(machine) = authenticated else {
        return Err(OidcError::unauthorized_client(
            "client_credentials is for machine users (client id = the username, with its \
             secret); applications log users in with authorization_code",
        ));
    };
    machine_token(provider, instance_id, issuer, &machine, params.get("scope")).await
}

/// The JWT bearer grant: `assertion` signed by a key of the machine user
/// it names.
///
/// # Errors
/// [`OidcError::invalid_grant`] for an assertion that does not hold; as
/// [`client_credentials`] otherwise.
pub async fn jwt_bearer(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    params: &BTreeMap<String, String>,
) -> Result<TokenResponse, OidcError> {
    let token = client::required(params, "assertion")?;
    let unverified = assertion::parse(token).map_err(OidcError::invalid_grant)?;
    let signer = unverified.claims.sub.clone();
    let rejected = || OidcError::invalid_grant("the assertion's key or user is unknown or removed");
    let key = provider
        .queries
        .machine_key(instance_id, &signer, &unverified.key_id)
        .await?
        .ok_or_else(rejected)?;
    let audiences = client::endpoint_audiences(issuer);
    let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();
    unverified
        .verify(&key, &signer, &audiences, Utc::now())
        .map_err(OidcError::invalid_grant)?;
    let machine = client::machine_by_id(&provider.queries, instance_id, &signer)
        .await?
        .ok_or_else(|| OidcError::invalid_grant("the machine user is not active"))?;
    machine_token(provider, instance_id, issuer, &machine, params.get("scope")).await
}

/// An access token for `machine` with the scopes it asked for.
async fn machine_token(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    machine: &MachineClient,
    scope: Option<&String>,
) -> Result<TokenResponse, OidcError> {
    let granted = scopes::grant(&provider.queries, instance_id, scope.map(String::as_str)).await?;
    let lifetime = chrono::TimeDelta::from_std(provider.config.machine_token_lifetime)
        .map_err(|e| OidcError::server(e.to_string()))?;
    let now = Utc::now();
    let subject = &machine.subject;
    let mut audience = granted.audience(issuer);
    if audience.is_empty() {
        audience.push(machine.client_id.clone());
    }
    let record = TokenRecord {
        user_id: subject.user_id.clone(),
        org_id: subject.org_id.clone(),
        username: subject.username.clone(),
        client_id: machine.client_id.clone(),
        audience,
        scopes: granted.scopes.clone(),
        issued_at: now,
        expires_at: now + lifetime,
        format: machine.token_format,
        secret_hash: None,
    };
    let token_id = uuid::Uuid::now_v7().simple().to_string();
    let roles = granted.roles.then_some(granted.projects.as_slice());
    let access_token = hand_out(
        provider,
        instance_id,
        issuer,
        &token_id,
        record,
        AccessClaims {
            roles,
            ..AccessClaims::default()
        },
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime.num_seconds(),
        scope: granted.joined(),
        id_token: None,
        refresh_token: None,
    })
}

/// What a JWT access token carries beyond its record.
#[derive(Debug, Default)]
pub struct AccessClaims<'a> {
    /// The projects whose roles claim it carries, if any.
    pub roles: Option<&'a [String]>,
    /// Further claims (`auth_time`, `amr`).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// A user's login as the login-flow plugins' claims hook sees it.
    pub login: Option<&'a ClaimsContext>,
}

/// Stores access token `token_id` of `record` and hands it out: a JWT
/// (RFC 9068) signed for `issuer` with the roles claim of `roles`'
/// projects when given and the `extra` claims, complemented by the
/// login-flow plugins for a user's `login`, or an opaque token.
///
/// # Errors
/// [`OidcError`]: storing, signing, the query side.
pub async fn hand_out(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    token_id: &str,
    record: TokenRecord,
    claims: AccessClaims<'_>,
) -> Result<String, OidcError> {
    let AccessClaims {
        roles,
        extra,
        login,
    } = claims;
    let signed = match record.format {
        TokenFormat::Jwt => {
            let mut claims = serde_json::json!({
                "iss": issuer,
                "sub": record.user_id,
                "aud": record.audience,
                "exp": record.expires_at.timestamp(),
                "iat": record.issued_at.timestamp(),
                "nbf": record.issued_at.timestamp(),
                "jti": token_id,
                "client_id": record.client_id,
                "scope": record.scopes.join(" "),
            });
            if let Some(projects) = roles {
                let roles =
                    scopes::roles_claim(&provider.queries, instance_id, &record.user_id, projects)
                        .await?;
                claims[scopes::ROLES_CLAIM] = serde_json::json!(roles);
            }
            if let Some(object) = claims.as_object_mut() {
                object.extend(extra);
                provider.complement_claims(login, object).await?;
            }
            Some(
                provider
                    .keys
                    .sign(instance_id, ACCESS_TOKEN_TYP, &claims)
                    .await?,
            )
        }
        TokenFormat::Opaque => None,
    };
    let opaque = tokens::issue(provider.store.as_ref(), instance_id, token_id, record).await?;
    signed
        .or(opaque)
        .ok_or_else(|| OidcError::server("no token was made"))
}
