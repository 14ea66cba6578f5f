//! # OpenID Connect provider and OAuth 2.0 authorization server
//!
//! Every instance is an issuer of its own, at its own domains: its issuer
//! is `http(s)://<the host a request was sent to>` (`Oidc.ExternalSecure`
//! picks the scheme), so relying parties discover an instance where they
//! reach it. The endpoints:
//!
//! | path | what |
//! |---|---|
//! | `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` | discovery (OpenID Connect Discovery 1.0, RFC 8414) |
//! | `/oauth/v2/keys` | the instance's JWKS |
//! | `/oauth/v2/authorize` | authorization endpoint: the code flow with PKCE ([`authorize`]) |
//! | `/oauth/v2/token` | token endpoint: authorization code, refresh token, client credentials, JWT bearer (RFC 7523) |
//! | `/oauth/v2/userinfo` | the user's claims (OpenID Connect Core §5.3) |
//! | `/oauth/v2/introspect` | token introspection (RFC 7662) |
//! | `/oauth/v2/revoke` | token revocation (RFC 7009) |
//! | `/oidc/v1/end_session` | RP-initiated logout |
//!
//! Signing keys ([`keys`]), issued tokens ([`tokens`]), auth requests
//! ([`auth_request`]) and refresh token families ([`refresh`]) are events;
//! the API accepts the access tokens issued here through the same
//! authentication seam as personal access tokens
//! ([`crate::auth::Authenticator`]).
//!
//! A user's login happens in a login UI, not here: the authorize endpoint
//! stores the request and sends the browser to `Oidc.LoginUrl`; the login
//! UI authenticates the user into a session and finishes the request
//! through `rampart.oidc.v1.OidcService` ([`callback`]), which answers the
//! URL that takes the browser back to the application with a code.

pub mod assertion;
pub mod auth_request;
mod authorize;
pub mod callback;
pub mod claims;
pub mod client;
pub mod code_grant;
mod discovery;
mod end_session;
mod error;
pub mod grants;
mod introspection;
pub mod keys;
pub mod refresh;
mod revocation;
pub mod scopes;
pub mod session;
mod token_endpoint;
pub mod tokens;
pub mod user_tokens;
mod userinfo;

pub use error::OidcError;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::routing::{get, post};

use crate::config::OidcConfig;
use crate::eventstore::EventStore;
use crate::login_flow::{ClaimsContext, LoginFlows};
use crate::masterkey::Keyring;
use crate::query::Queries;
use crate::server::AppState;

/// Path of the OpenID Connect discovery document.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the RFC 8414 authorization server metadata.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// Path of the JWKS.
pub const JWKS_PATH: &str = "/oauth/v2/keys";
/// Path of the authorization endpoint.
pub const AUTHORIZE_PATH: &str = "/oauth/v2/authorize";
/// Path of the userinfo endpoint.
pub const USERINFO_PATH: &str = "/oauth/v2/userinfo";
/// Path of the RP-initiated logout endpoint.
pub const END_SESSION_PATH: &str = "/oidc/v1/end_session";
/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth/v2/token";
/// Path of the introspection endpoint.
pub const INTROSPECTION_PATH: &str = "/oauth/v2/introspect";
/// Path of the revocation endpoint.
pub const REVOCATION_PATH: &str = "/oauth/v2/revoke";
/// Largest form body an endpoint reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What the OAuth endpoints share: the store, the query side, the signing
/// keys and the configuration. Cheap to clone.
#[derive(Clone)]
pub struct Provider {
    store: Arc<dyn EventStore>,
    queries: Queries,
    /// The instances' signing keys.
    pub keys: keys::SigningKeys,
    config: OidcConfig,
    /// The sessions logins end in.
    sessions: Arc<dyn session::Sessions>,
    /// The login-flow plugins: their `after-authentication` when a session
    /// finishes a request, their claims in tokens and userinfo.
    login_flows: Option<LoginFlows>,
    /// The hosted login's limits on sign-in attempts.
    login_throttle: crate::login_ui::throttle::Throttle,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider over `store` and `queries`, configured by `Oidc`, sealing
    /// keys with the keyring set into `keyring` once the masterkey is
    /// verified, finishing logins with the sessions of `sessions`.
    pub fn new(
        store: Arc<dyn EventStore>,
        queries: Queries,
        config: OidcConfig,
        keyring: Arc<OnceLock<Keyring>>,
        sessions: Arc<dyn session::Sessions>,
    ) -> Self {
        Self {
            keys: keys::SigningKeys::new(store.clone(), config.signing_keys.clone(), keyring),
            login_throttle: crate::login_ui::throttle::Throttle::new(&config.login_rate_limit),
            store,
            queries,
            config,
            sessions,
            login_flows: None,
        }
    }

    /// The hosted login's limits on sign-in attempts
    /// (`Oidc.LoginRateLimit`).
    pub fn login_throttle(&self) -> &crate::login_ui::throttle::Throttle {
        &self.login_throttle
    }

    /// Whether clients reach the server over https (`Oidc.ExternalSecure`):
    /// cookies are then `Secure`.
    pub fn external_secure(&self) -> bool {
        self.config.external_secure
    }

    /// Session `session_id` of `instance_id` with `token`, while it is live
    /// and has checked a user (the hosted login's browser session).
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer.
    pub async fn login_session(
        &self,
        instance_id: &str,
        session_id: &str,
        token: &str,
    ) -> Result<Option<session::LoginSession>, OidcError> {
        self.sessions
            .authenticated(instance_id, session_id, token)
            .await
    }

    /// What the login-flow plugins' claims hook is told about `login`,
    /// read once per grant; `None` without such plugins.
    ///
    /// # Errors
    /// [`OidcError::login_flow`] when the user cannot be read for them.
    pub async fn claims_context(
        &self,
        login: &crate::login_flow::Login,
    ) -> Result<Option<ClaimsContext>, OidcError> {
        let Some(flows) = &self.login_flows else {
            return Ok(None);
        };
        flows
            .claims_context(login)
            .await
            .map_err(|e| OidcError::login_flow(&e))
    }

    /// Adds the claims of the login-flow plugins of `context` (if any) to
    /// `claims`.
    ///
    /// # Errors
    /// [`OidcError::login_flow`] when a plugin fails or sets a claim it
    /// may not: no token is issued (fail closed).
    pub async fn complement_claims(
        &self,
        context: Option<&ClaimsContext>,
        claims: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), OidcError> {
        let (Some(flows), Some(context)) = (&self.login_flows, context) else {
            return Ok(());
        };
        flows
            .complement_claims(context, claims)
            .await
            .map_err(|e| OidcError::login_flow(&e))
    }

    /// The same provider, asking `flows` about logins and claims.
    pub fn with_login_flows(mut self, flows: LoginFlows) -> Self {
        self.login_flows = Some(flows);
        self
    }

    /// The issuer of requests carrying `headers`: `http(s)://<Host>`.
    ///
    /// # Errors
    /// [`OidcError::invalid_request`] without a usable `Host` header.
    pub fn issuer(&self, headers: &HeaderMap) -> Result<String, OidcError> {
        issuer(self.config.external_secure, headers)
    }

    /// The issuer of a request to `authority` (the `Host` header, or
    /// HTTP/2's `:authority`).
    ///
    /// # Errors
    /// [`OidcError::invalid_request`] for a missing or unusable authority.
    pub fn issuer_at(&self, authority: Option<&str>) -> Result<String, OidcError> {
        issuer_at(self.config.external_secure, authority)
    }

    /// The stored access token `token` (a JWT this instance signed for
    /// `issuer`, or an opaque one) stands for, revoked or not; `None` for
    /// anything else (unknown, altered, an expired JWT, another
    /// instance's).
    ///
    /// # Errors
    /// The store's.
    pub async fn access_token(
        &self,
        instance_id: &str,
        issuer: &str,
        token: &str,
    ) -> Result<Option<tokens::StoredToken>, OidcError> {
        match tokens::Presented::parse(token) {
            None => Ok(None),
            Some(tokens::Presented::Opaque { token_id, hash }) => {
                tokens::find_opaque(self.store.as_ref(), instance_id, token_id, &hash).await
            }
            Some(tokens::Presented::Jwt(jwt)) => {
                let Some(claims) = self
                    .keys
                    .verify(instance_id, issuer, Some(grants::ACCESS_TOKEN_TYP), jwt)
                    .await?
                else {
                    return Ok(None);
                };
                let Some(jti) = claims.get("jti").and_then(|j| j.as_str()) else {
                    return Ok(None);
                };
                Ok(tokens::find(self.store.as_ref(), instance_id, jti)
                    .await?
                    .filter(|t| t.record.format == tokens::TokenFormat::Jwt))
            }
        }
    }

    /// The query side.
    pub fn queries(&self) -> &Queries {
        &self.queries
    }
}

/// `http(s)://<Host>` for a request with `headers`.
///
/// # Errors
/// [`OidcError::invalid_request`] without a usable `Host` header.
pub fn issuer(secure: bool, headers: &HeaderMap) -> Result<String, OidcError> {
    issuer_at(secure, headers.get(HOST).and_then(|h| h.to_str().ok()))
}

/// `http(s)://<authority>`: the host name lowercased; anything that is not
/// a host name, an IP literal and a port is refused (it ends up in
/// tokens).
///
/// # Errors
/// [`OidcError::invalid_request`] for a missing or unusable authority.
pub fn issuer_at(secure: bool, authority: Option<&str>) -> Result<String, OidcError> {
    let host = authority
        .map(str::to_ascii_lowercase)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .ok_or_else(|| {
            OidcError::invalid_request("the request names no valid host (Host header)")
        })?;
    let scheme = if secure { "https" } else { "http" };
    Ok(format!("{scheme}://{host}"))
}

/// Where a request to an OAuth endpoint is served: the provider, the
/// instance its host names, and that instance's issuer.
pub(crate) struct Located {
    pub(crate) provider: Arc<Provider>,
    pub(crate) instance_id: String,
    pub(crate) issuer: String,
}

/// Resolves the instance and issuer of a request with `headers`.
///
/// # Errors
/// 503 before start-up finished; 404 for a host no instance serves.
pub(crate) async fn locate(state: &AppState, headers: &HeaderMap) -> Result<Located, OidcError> {
    if !state.started.load(std::sync::atomic::Ordering::Acquire) {
        return Err(OidcError::unavailable(
            "the node is starting; retry shortly",
        ));
    }
    let cqrs = state
        .cqrs
        .as_ref()
        .ok_or_else(|| OidcError::unavailable("the command and query sides are not running"))?;
    let provider = cqrs.oidc.clone();
    let issuer = provider.issuer(headers)?;
    let host = issuer
        .split_once("://")
        .map(|(_, authority)| crate::api::tenant::strip_port(authority).to_owned())
        .unwrap_or_default();
    let instance = cqrs
        .queries
        .instance_by_host(&host, false)
        .await?
        .ok_or_else(|| {
            OidcError::not_found(format!(
                "no instance serves the domain {host:?} (add it to an instance's domains)"
            ))
        })?;
    Ok(Located {
        provider,
        instance_id: instance.id,
        issuer,
    })
}

/// The parameters of an `application/x-www-form-urlencoded` body; a
/// repeated parameter is refused (RFC 6749 §3.2).
///
/// # Errors
/// [`OidcError::invalid_request`] for another content type, a body too
/// large, or a repeated parameter.
pub(crate) fn form(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<std::collections::BTreeMap<String, String>, OidcError> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OidcError::invalid_request(
            "send the parameters as application/x-www-form-urlencoded",
        ));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(OidcError::invalid_request("the request body is too large"));
    }
    let mut params = std::collections::BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if params
            .insert(key.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(OidcError::invalid_request(format!(
                "the parameter {key} is repeated"
            )));
        }
    }
    Ok(params)
}

/// The OAuth and OpenID Connect routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(DISCOVERY_PATH, get(discovery::openid_configuration))
        .route(METADATA_PATH, get(discovery::authorization_server))
        .route(JWKS_PATH, get(discovery::jwks))
        .route(
            AUTHORIZE_PATH,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(TOKEN_PATH, post(token_endpoint::token))
        .route(
            USERINFO_PATH,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            END_SESSION_PATH,
            get(end_session::end_session_get).post(end_session::end_session_post),
        )
        .route(INTROSPECTION_PATH, post(introspection::introspect))
        .route(REVOCATION_PATH, post(revocation::revoke))
}

#[cfg(test)]
mod tests {
    use super::issuer_at;

    #[test]
    fn issuers_are_the_scheme_and_the_lowercased_authority() {
        assert_eq!(
            issuer_at(false, Some("Login.Example.com:8080")).unwrap(),
            "http://login.example.com:8080"
        );
        assert_eq!(
            issuer_at(true, Some("[::1]:443")).unwrap(),
            "https://[::1]:443"
        );
    }

    #[test]
    fn authorities_that_are_no_host_are_refused() {
        for bad in [
            None,
            Some(""),
            Some("a/b"),
            Some("evil.com/?x=\""),
            Some("a b"),
        ] {
            assert!(issuer_at(false, bad).is_err(), "{bad:?}");
        }
    }
}
