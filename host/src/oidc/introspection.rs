//! `POST /oauth/v2/introspect` (RFC 7662): an application (a resource
//! server) asks whether an access token is active. It sees only tokens
//! whose audience includes its project; everything else is
//! `{"active": false}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::client::{self, Authenticated};
use super::{OidcError, form, locate, scopes};
use crate::server::AppState;

/// The introspection endpoint.
pub(super) async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    let params = form(&headers, &body)?;
    let provider = at.provider.as_ref();
    let queries = provider.queries();
    let caller =
        client::authenticate(queries, &at.instance_id, &at.issuer, &headers, &params).await?;
    let project = match &caller {
        Authenticated::App(app) if caller.confidential() => app.project_id.clone(),
        _ => {
            return Err(OidcError::invalid_client(
                "introspection is for applications that authenticate (an API application, or a \
                 confidential OIDC application)",
            ));
        }
    };
    let token = client::required(&params, "token")?;
    let inactive = || no_store(serde_json::json!({ "active": false }));
    let Some(stored) = provider
        .access_token(&at.instance_id, &at.issuer, token)
        .await?
    else {
        return Ok(inactive());
    };
    let record = &stored.record;
    if !stored.active(Utc::now()) || !record.audience.contains(&project) {
        return Ok(inactive());
    }
    let user_active = queries
        .subject(&at.instance_id, &record.user_id)
        .await?
        .is_some_and(|s| s.active);
    if !user_active {
        return Ok(inactive());
    }
    let mut answer = serde_json::json!({
        "active": true,
        "scope": record.scopes.join(" "),
        "client_id": record.client_id,
        "username": record.username,
        "token_type": "Bearer",
        "exp": record.expires_at.timestamp(),
        "iat": record.issued_at.timestamp(),
        "nbf": record.issued_at.timestamp(),
        "sub": record.user_id,
        "aud": record.audience,
        "iss": at.issuer,
        "jti": stored.token_id,
    });
    if record.scopes.iter().any(|s| s == scopes::PROJECT_ROLES) {
        let projects: Vec<String> = record
            .audience
            .iter()
            .filter(|a| **a != at.issuer && **a != record.client_id)
            .cloned()
            .collect();
        let roles =
            scopes::roles_claim(queries, &at.instance_id, &record.user_id, &projects).await?;
        answer[scopes::ROLES_CLAIM] = serde_json::json!(roles);
    }
    Ok(no_store(answer))
}

/// `body` as JSON that no cache keeps.
pub(super) fn no_store(body: serde_json::Value) -> Response {
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
