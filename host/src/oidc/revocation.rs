//! `POST /oauth/v2/revoke` (RFC 7009): a client revokes an access token or
//! a refresh token it was issued (a refresh token: its whole family). An
//! unknown, expired or malformed token is answered 200 like a revoked one
//! (§2.2), so the answer says nothing about other clients' tokens.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::client::Authenticated;
use super::introspection::no_store;
use super::refresh::{self, RevokeReason};
use super::{OidcError, client, form, locate, tokens};
use crate::server::AppState;

/// The revocation endpoint.
pub(super) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    let params = form(&headers, &body)?;
    let provider = at.provider.as_ref();
    let caller = client::authenticate(
        provider.queries(),
        &at.instance_id,
        &at.issuer,
        &headers,
        &params,
    )
    .await?;
    let token = client::required(&params, "token")?;
    match params.get("token_type_hint").map(String::as_str) {
        None | Some("access_token") | Some("refresh_token") => {}
        Some(other) => {
            return Err(OidcError::unsupported_token_type(format!(
                "token_type_hint {other:?} is not one of access_token, refresh_token"
            )));
        }
    }
    if let Some((family_id, hash)) = refresh::parse(token) {
        let store = provider.store.as_ref();
        let family = refresh::load(store, &at.instance_id, family_id).await?;
        let Some(started) = family.started.as_ref().filter(|_| family.holds(&hash)) else {
            return Ok(no_store(serde_json::json!({})));
        };
        let own = matches!(&caller, Authenticated::App(app) if app.client_id == started.client_id);
        if !own {
            return Err(OidcError::unauthorized_client(
                "the token was not issued to this client",
            ));
        }
        refresh::revoke(
            store,
            &at.instance_id,
            family_id,
            RevokeReason::Revocation,
            &started.client_id,
        )
        .await?;
        return Ok(no_store(serde_json::json!({})));
    }
    let Some(stored) = provider
        .access_token(&at.instance_id, &at.issuer, token)
        .await?
    else {
        return Ok(no_store(serde_json::json!({})));
    };
    if !caller.issued(&stored) {
        return Err(OidcError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    tokens::revoke(
        provider.store.as_ref(),
        &at.instance_id,
        &stored,
        &stored.record.client_id,
    )
    .await?;
    if let Some(cqrs) = &state.cqrs {
        cqrs.auth
            .forget_user(&at.instance_id, &stored.record.user_id);
    }
    Ok(no_store(serde_json::json!({})))
}
