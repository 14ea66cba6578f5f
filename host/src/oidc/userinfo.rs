//! # `/oauth/v2/userinfo` (OpenID Connect Core §5.3)
//!
//! GET or POST with a bearer access token (RFC 6750: the `Authorization`
//! header, or `access_token` in a form body) that was granted `openid`:
//! the user's claims per the token's scopes ([`claims`]). A token that
//! does not work is answered 401 with a `WWW-Authenticate: Bearer`
//! challenge, one without `openid` 403 (`insufficient_scope`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::{OidcError, claims, form, locate, scopes};
use crate::login_flow::Login;
use crate::server::AppState;

/// A refusal with its `WWW-Authenticate: Bearer` challenge (RFC 6750 §3).
fn challenge(status: StatusCode, code: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": code, "error_description": description });
    let mut response = (status, axum::Json(body)).into_response();
    let value = format!("Bearer realm=\"rampart\", error=\"{code}\"");
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `GET` and `POST /oauth/v2/userinfo`.
pub(super) async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&state, &headers, &body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn answer(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, OidcError> {
    let at = locate(state, headers).await?;
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let form_token = if body.is_empty() {
        None
    } else {
        form(headers, body)?.remove("access_token")
    };
    let token = match (header_token, form_token) {
        (Some(_), Some(_)) => {
            return Err(OidcError::invalid_request(
                "send the access token once: in the Authorization header or the form",
            ));
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return Ok(challenge(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "send an access token: Authorization: Bearer <token>",
            ));
        }
    };
    let provider = at.provider.as_ref();
    let Some(stored) = provider
        .access_token(&at.instance_id, &at.issuer, &token)
        .await?
        .filter(|t| t.active(Utc::now()))
    else {
        return Ok(challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is invalid, expired or revoked",
        ));
    };
    let record = &stored.record;
    if !record.scopes.iter().any(|s| s == "openid") {
        return Ok(challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the access token was not granted the scope openid",
        ));
    }
    let queries = provider.queries();
    let Some(subject) = queries
        .subject(&at.instance_id, &record.user_id)
        .await?
        .filter(|s| s.active)
    else {
        return Ok(challenge(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the token's user is no longer active",
        ));
    };
    let mut body = claims::standard(&subject, &record.scopes);
    if record.scopes.iter().any(|s| s == scopes::PROJECT_ROLES) {
        // The audience's projects: neither the client (`app@project`) nor
        // the issuer.
        let projects: Vec<String> = record
            .audience
            .iter()
            .filter(|a| !a.contains('@') && !a.contains("://"))
            .cloned()
            .collect();
        claims::add_roles(
            &mut body,
            queries,
            &at.instance_id,
            &record.user_id,
            &projects,
        )
        .await?;
    }
    let login = Login {
        instance_id: at.instance_id.clone(),
        org_id: Some(subject.org_id.clone()),
        user_id: Some(subject.user_id.clone()),
        login_name: subject.username.clone(),
        client_id: Some(record.client_id.clone()),
        requested_scopes: record.scopes.clone(),
        ..Login::default()
    };
    let plugins = provider.claims_context(&login).await?;
    provider
        .complement_claims(plugins.as_ref(), &mut body)
        .await?;
    let mut response = axum::Json(serde_json::Value::Object(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
