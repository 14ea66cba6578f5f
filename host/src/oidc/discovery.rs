//! Discovery (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) and the JWKS:
//! what each instance serves, at its own issuer. Only what is implemented
//! is advertised.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::grants::{CLIENT_CREDENTIALS, JWT_BEARER};
use super::keys::alg_name;
use super::{
    INTROSPECTION_PATH, JWKS_PATH, OidcError, REVOCATION_PATH, TOKEN_PATH, locate, scopes,
};
use crate::config::SigningAlgorithm;
use crate::server::AppState;

/// How long clients may cache discovery documents and the JWKS, in
/// seconds: far less than `PublishAhead`, so a new key is seen before it
/// signs.
const MAX_AGE_SECS: u32 = 300;

/// The authorization server metadata of `issuer`.
fn metadata(issuer: &str) -> serde_json::Value {
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
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECTION_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOCATION_PATH}"),
        "scopes_supported": scopes,
        "response_types_supported": [],
        "grant_types_supported": [CLIENT_CREDENTIALS, JWT_BEARER],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", scopes::ROLES_CLAIM],
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
