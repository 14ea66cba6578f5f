//! Discovery (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) and the JWKS:
//! what each instance serves, at its own issuer. Only what is implemented
//! is advertised.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::code_grant::{AUTHORIZATION_CODE, REFRESH_TOKEN};
use super::grants::{CLIENT_CREDENTIALS, JWT_BEARER};
use super::keys::alg_name;
use super::{
    AUTHORIZE_PATH, END_SESSION_PATH, INTROSPECTION_PATH, JWKS_PATH, OidcError, REVOCATION_PATH,
    TOKEN_PATH, USERINFO_PATH, locate, scopes,
};
use crate::config::SigningAlgorithm;
use crate::server::AppState;

/// How long clients may cache discovery documents and the JWKS, in
/// seconds: far less than `PublishAhead`, so a new key is seen before it
/// signs.
const MAX_AGE_SECS: u32 = 300;

/// The authorization server metadata of `issuer`.
fn metadata(issuer: &str) -> serde_json::Value {
    let token_auth_methods = [
        "none",
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    let algs = [
        alg_name(SigningAlgorithm::ES256),
        alg_name(SigningAlgorithm::RS256),
    ];
    let mut scopes: Vec<&str> = scopes::OPENID_SCOPES.to_vec();
    scopes.extend([scopes::PROJECT_ROLES, scopes::API_AUDIENCE]);
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECTION_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOCATION_PATH}"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS, JWT_BEARER],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": token_auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": [],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "nbf", "jti", "client_id", "scope",
            "auth_time", "nonce", "amr", "at_hash", "sid",
            "name", "given_name", "family_name", "preferred_username", "locale",
            "email", "email_verified", "phone_number", "phone_number_verified",
            scopes::ROLES_CLAIM,
        ],
    })
}

fn cached(body: serde_json::Value) -> Response {
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={MAX_AGE_SECS}"))
            .expect("a static header value"),
    );
    response
}

/// `GET /.well-known/openid-configuration`.
pub(super) async fn openid_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    Ok(cached(metadata(&at.issuer)))
}

/// `GET /.well-known/oauth-authorization-server`.
pub(super) async fn authorization_server(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    Ok(cached(metadata(&at.issuer)))
}

/// `GET /oauth/v2/keys`: the instance's published signing keys; makes the
/// first key, or the next one when due.
pub(super) async fn jwks(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    let jwks = at.provider.keys.jwks(&at.instance_id).await?;
    Ok(cached(jwks))
}
