//! # `/oidc/v1/end_session` (OpenID Connect RP-Initiated Logout 1.0)
//!
//! A relying party sends the browser here (GET, or POST as a form) to log
//! the user out:
//! - `id_token_hint`: an ID token this instance issued (verified with its
//!   keys; it may have expired). Its `sid` names the session to end: the
//!   session is terminated and the refresh tokens issued under it are
//!   revoked.
//! - `post_logout_redirect_uri`: where to send the browser afterwards; it
//!   must be registered on the application the hint (or `client_id`)
//!   names, matched exactly. `state` is passed through.
//!
//! Without a redirect URI the answer is a short page saying the user is
//! logged out. Errors are answered here (400) and never redirected.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth_request::redirect_with;
use super::authorize::query_params;
use super::{OidcError, form, locate, refresh};
use crate::server::AppState;

/// `GET /oidc/v1/end_session`.
pub(super) async fn end_session_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let result = match query_params(query.as_deref().unwrap_or_default()) {
        Ok(params) => end_session(&state, &headers, &params).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /oidc/v1/end_session` (a form).
pub(super) async fn end_session_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = match form(&headers, &body) {
        Ok(params) => end_session(&state, &headers, &params).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<Response, OidcError> {
    let at = locate(state, headers).await?;
    let provider = at.provider.as_ref();
    let param = |name: &str| params.get(name).filter(|v| !v.is_empty());
    let hint = match param("id_token_hint") {
        Some(token) => Some(
            provider
                .keys
                .verify_hint(&at.instance_id, &at.issuer, Some("JWT"), token)
                .await?
                .ok_or_else(|| {
                    OidcError::invalid_request(
                        "id_token_hint is not an ID token this issuer signed",
                    )
                })?,
        ),
        None => None,
    };
    let claim = |name: &str| {
        hint.as_ref()
            .and_then(|c| c.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let hinted_client = claim("azp");
    let client_id = match (param("client_id"), &hinted_client) {
        (Some(asked), Some(hinted)) if asked != hinted => {
            return Err(OidcError::invalid_request(
                "client_id differs from the id_token_hint's client",
            ));
        }
        (Some(asked), _) => Some(asked.clone()),
        (None, hinted) => hinted.clone(),
    };
    let redirect = match param("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client_id = client_id.as_deref().ok_or_else(|| {
                OidcError::invalid_request(
                    "post_logout_redirect_uri needs id_token_hint or client_id to name the \
                     application",
                )
            })?;
            let registered = provider
                .queries()
                .client(&at.instance_id, client_id)
                .await?
                .and_then(|c| c.oidc)
                .is_some_and(|o| o.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Err(OidcError::invalid_request(
                    "post_logout_redirect_uri is not one the application registered",
                ));
            }
            Some(uri.clone())
        }
    };
    if let Some(session_id) = claim("sid") {
        let actor = client_id.clone().unwrap_or_else(|| session_id.clone());
        provider
            .sessions
            .terminate(&at.instance_id, &session_id, &actor)
            .await?;
        refresh::revoke_session(
            provider.store.as_ref(),
            &at.instance_id,
            &session_id,
            &actor,
        )
        .await?;
        if let (Some(cqrs), Some(user)) = (&state.cqrs, claim("sub")) {
            cqrs.auth.forget_user(&at.instance_id, &user);
        }
    }
    let mut response = match redirect {
        Some(uri) => {
            let mut query = Vec::new();
            if let Some(s) = param("state") {
                query.push(("state", s.as_str()));
            }
            let location = if query.is_empty() {
                uri
            } else {
                redirect_with(&uri, &query)
            };
            let mut response = StatusCode::FOUND.into_response();
            let value = HeaderValue::from_str(&location).map_err(|_| {
                OidcError::invalid_request("post_logout_redirect_uri is not usable")
            })?;
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Logged out</title><p>You are logged out.</p>\n",
        )
            .into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
