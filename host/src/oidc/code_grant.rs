//! # The grants of users' logins
//!
//! - `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6): the client,
//!   authenticated by its registered method, exchanges the code a login
//!   UI finished the auth request with. The code works once: presented
//!   again, it revokes the tokens issued from it (§4.1.2). PKCE is
//!   verified, and `redirect_uri` must be the request's.
//! - `refresh_token` (RFC 6749 §6): rotation on every use; a spent token
//!   presented again revokes its family ([`refresh`]).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use chrono::Utc;
use rampart_plugin_sdk::catalogue::{GrantType, OidcConfig};

use super::auth_request::{self, AuthRequestError, CODE_EXCHANGED, CODE_REPLAYED, CodeExchanged};
use super::client::{self, Authenticated};
use super::grants::TokenResponse;
use super::refresh::{self, FamilyStarted, RefreshError, RevokeReason, Rotated};
use super::user_tokens::{self, UserGrant};
use super::{OidcError, Provider, scopes, tokens};
use crate::query::Client;

/// The authorization code grant type.
pub const AUTHORIZATION_CODE: &str = "authorization_code";
/// The refresh token grant type.
pub const REFRESH_TOKEN: &str = "refresh_token";

/// The application a request authenticated, with its OIDC settings, when
/// it may use `grant`.
async fn application(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
    grant: GrantType,
) -> Result<(Client, OidcConfig), OidcError> {
    let authenticated =
        client::authenticate(provider.queries(), instance_id, issuer, headers, params).await?;
    let Authenticated::App(client) = authenticated else {
        return Err(OidcError::unauthorized_client(
            "machine users cannot use this grant; it is for applications logging users in",
        ));
    };
    let config = client
        .oidc
        .clone()
        .filter(|c| c.grant_types.contains(&grant))
        .ok_or_else(|| {
            OidcError::unauthorized_client("the application is not registered for this grant type")
        })?;
    Ok((client, config))
}

fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// `grant_type=authorization_code`.
///
/// # Errors
/// [`OidcError`]: client authentication, `invalid_grant` for a code that
/// does not hold (replayed, expired, another client's, wrong
/// `redirect_uri` or `code_verifier`), storing, signing.
pub async fn authorization_code(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<TokenResponse, OidcError> {
    let (client, config) = application(
        provider,
        instance_id,
        issuer,
        headers,
        params,
        GrantType::AuthorizationCode,
    )
    .await?;
    let code = client::required(params, "code")?;
    let (request_id, hash) =
        auth_request::parse_code(code).ok_or_else(|| AuthRequestError::InvalidCode.oauth())?;
    let store = provider.store.as_ref();
    let model = auth_request::load(store, instance_id, request_id).await?;
    let now = Utc::now();
    let (request, code) = match model.exchange(
        &client.client_id,
        &hash,
        params.get("redirect_uri").map(String::as_str),
        params.get("code_verifier").map(String::as_str),
        now,
    ) {
        Ok(found) => found,
        Err(AuthRequestError::Replayed(exchanged)) => {
            revoke_exchanged(provider, instance_id, &model, &exchanged, &client.client_id).await?;
            return Err(AuthRequestError::Replayed(exchanged).oauth());
        }
        Err(e) => return Err(e.oauth()),
    };
    if request.issuer != issuer {
        return Err(OidcError::invalid_grant(
            "the code was issued at another domain of this instance; exchange it there",
        ));
    }
    let refresh = request.scopes.iter().any(|s| s == scopes::OFFLINE_ACCESS)
        && config.grant_types.contains(&GrantType::RefreshToken);
    let exchanged = CodeExchanged {
        access_token_id: new_id(),
        refresh_family_id: refresh.then(new_id),
    };
    // Recorded before any token exists: of two racing exchanges, one wins.
    auth_request::append(
        store,
        instance_id,
        &model,
        CODE_EXCHANGED,
        &exchanged,
        &client.client_id,
    )
    .await?;
    let refresh_token = match &exchanged.refresh_family_id {
        Some(family_id) => {
            let (token, secret_hash) = refresh::new_token(family_id);
            let started = FamilyStarted {
                user_id: code.user_id.clone(),
                org_id: code.org_id.clone(),
                client_id: client.client_id.clone(),
                scopes: request.scopes.clone(),
                session_id: code.session_id.clone(),
                auth_time: code.auth_time,
                amr: code.amr.clone(),
                secret_hash,
                expires_at: refresh::expiry(now, config.refresh_token_lifetime_secs),
            };
            refresh::start(store, instance_id, family_id, &started).await?;
            Some(token)
        }
        None => None,
    };
    let grant = UserGrant {
        client: &client,
        config: &config,
        user_id: &code.user_id,
        scopes: &request.scopes,
        session_id: &code.session_id,
        auth_time: code.auth_time,
        amr: &code.amr,
        nonce: request.nonce.as_deref(),
    };
    user_tokens::issue(
        provider,
        instance_id,
        issuer,
        &grant,
        &exchanged.access_token_id,
        refresh_token,
    )
    .await
}

/// A replayed code: revokes what its exchange issued, and records the
/// replay on the request.
async fn revoke_exchanged(
    provider: &Provider,
    instance_id: &str,
    model: &auth_request::AuthRequestModel,
    exchanged: &CodeExchanged,
    actor: &str,
) -> Result<(), OidcError> {
    let store = provider.store.as_ref();
    tracing::warn!(
        auth_request = %model.id,
        "an authorization code was presented again; revoking the tokens issued from it"
    );
    if let Some(token) = tokens::find(store, instance_id, &exchanged.access_token_id).await? {
        tokens::revoke(store, instance_id, &token, actor).await?;
    }
    if let Some(family_id) = &exchanged.refresh_family_id {
        refresh::revoke(
            store,
            instance_id,
            family_id,
            RevokeReason::CodeReplay,
            actor,
        )
        .await?;
    }
    // Best effort: a concurrent replay may have recorded it already.
    let recorded = auth_request::append(
        store,
        instance_id,
        model,
        CODE_REPLAYED,
        &serde_json::json!({}),
        actor,
    )
    .await;
    if let Err(e) = recorded
        && e.status.is_server_error()
    {
        return Err(e);
    }
    Ok(())
}

/// `grant_type=refresh_token`: rotates the token; reuse revokes the
/// family. The scopes stay those of the login (a `scope` parameter may
/// only narrow them, RFC 6749 §6).
///
/// # Errors
/// [`OidcError`]: client authentication, `invalid_grant` for a token that
/// does not hold, `invalid_scope` for a scope beyond the original grant.
pub async fn refresh_token(
    provider: &Provider,
    instance_id: &str,
    issuer: &str,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<TokenResponse, OidcError> {
    let (client, config) = application(
        provider,
        instance_id,
        issuer,
        headers,
        params,
        GrantType::RefreshToken,
    )
    .await?;
    let presented = client::required(params, "refresh_token")?;
    let (family_id, hash) = refresh::parse(presented)
        .ok_or_else(|| OidcError::invalid_grant(RefreshError::Unknown.to_string()))?;
    let store = provider.store.as_ref();
    let family = refresh::load(store, instance_id, family_id).await?;
    let now = Utc::now();
    let started = match family.refresh(&client.client_id, &hash, now) {
        Ok(started) => started.clone(),
        Err(RefreshError::Reused) => {
            tracing::warn!(
                family = %family.id,
                "a spent refresh token was presented again; revoking its family"
            );
            refresh::revoke(
                store,
                instance_id,
                family_id,
                RevokeReason::Reuse,
                &client.client_id,
            )
            .await?;
            return Err(OidcError::invalid_grant(RefreshError::Reused.to_string()));
        }
        Err(e) => return Err(OidcError::invalid_grant(e.to_string())),
    };
    let scopes = match params.get("scope").filter(|s| !s.is_empty()) {
        None => started.scopes.clone(),
        Some(asked) => {
            let asked: Vec<String> = asked
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(extra) = asked.iter().find(|s| !started.scopes.contains(s)) {
                return Err(OidcError::invalid_scope(format!(
                    "the scope {extra} was not granted by the login"
                )));
            }
            asked
        }
    };
    let (token, secret_hash) = refresh::new_token(family_id);
    let rotated = Rotated {
        secret_hash,
        expires_at: refresh::expiry(now, config.refresh_token_lifetime_secs),
    };
    refresh::rotate(store, instance_id, &family, &rotated, &client.client_id).await?;
    let grant = UserGrant {
        client: &client,
        config: &config,
        user_id: &started.user_id,
        scopes: &scopes,
        session_id: &started.session_id,
        auth_time: started.auth_time,
        amr: &started.amr,
        nonce: None,
    };
    user_tokens::issue(
        provider,
        instance_id,
        issuer,
        &grant,
        &new_id(),
        Some(token),
    )
    .await
}
