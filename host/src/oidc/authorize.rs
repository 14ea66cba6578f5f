//! # `/oauth/v2/authorize` (OpenID Connect Core §3.1.2, RFC 6749 §4.1.1)
//!
//! Checks an authorization request, stores it as an auth request
//! ([`super::auth_request`]) and sends the browser to the login UI
//! (`Oidc.LoginUrl`, `{id}` replaced by the request's id). The login UI
//! finishes it through `rampart.oidc.v1.OidcService/CreateCallback`.
//!
//! Until the client and its redirect URI are known to be good, an error is
//! answered here (400, JSON) and never redirected: an open redirector
//! otherwise. After that, errors go back to the client's redirect URI
//! (`error`, `error_description`, `state`, `iss`).
//!
//! Only the `code` response type, `query` response mode and PKCE method
//! `S256` exist; PKCE is required for public clients (auth method
//! `none`) and for confidential ones registered with `pkceRequired`.
//!
//! Single sign-on: when the browser holds a hosted-login session
//! (`rampart_login`) that satisfies the request (password checked within
//! `max_age`, a second factor if one is needed, the login-flow plugins
//! agreeing), the request is finished at once and the browser goes back
//! to the client with a code, for every application of the instance.
//! `prompt=login` and `prompt=select_account` always show the login page;
//! `prompt=none` never does: without such a session it is answered
//! `login_required` (`interaction_required` when only a second factor is
//! missing).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rampart_plugin_sdk::catalogue::{ClientAuthMethod, GrantType, OidcConfig, ResponseType};

use super::auth_request::{self, AuthRequestAdded, redirect_with};
use super::callback::CallbackError;
use super::{OidcError, Provider, form, locate, scopes};
use crate::query::Client;
use crate::server::AppState;

/// The `prompt` values a request may carry.
const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];
/// Longest `state`, `nonce`, `login_hint` accepted.
const MAX_PARAM_CHARS: usize = 2048;

/// An error for the client, sent to its redirect URI.
struct Redirected {
    code: &'static str,
    description: String,
}

fn refuse(code: &'static str, description: impl Into<String>) -> Redirected {
    Redirected {
        code,
        description: description.into(),
    }
}

/// `GET /oauth/v2/authorize`.
pub(super) async fn authorize_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match query_params(query.as_deref().unwrap_or_default()) {
        Ok(params) => authorize(&state, &headers, params).await,
        Err(e) => e.into_response(),
    }
}

/// `POST /oauth/v2/authorize` (a form).
pub(super) async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match form(&headers, &body) {
        Ok(params) => authorize(&state, &headers, params).await,
        Err(e) => e.into_response(),
    }
}

/// The parameters of a query string; a repeated one is refused.
pub(super) fn query_params(query: &str) -> Result<BTreeMap<String, String>, OidcError> {
    let mut params = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
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

async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    params: BTreeMap<String, String>,
) -> Response {
    let at = match locate(state, headers).await {
        Ok(at) => at,
        Err(e) => return e.into_response(),
    };
    let provider = at.provider.as_ref();
    let (client, config, redirect_uri) =
        match client_and_redirect(provider.queries(), &at.instance_id, &params).await {
            Ok(found) => found,
            Err(e) => return e.into_response(),
        };
    let state_param = params.get("state").filter(|s| !s.is_empty()).cloned();
    let back = |code: &str, description: &str| {
        let mut query = vec![("error", code), ("error_description", description)];
        if let Some(s) = &state_param {
            query.push(("state", s));
        }
        query.push(("iss", &at.issuer));
        found(&redirect_with(&redirect_uri, &query))
    };
    let added = match checked(
        provider,
        &at.instance_id,
        &at.issuer,
        &client,
        &config,
        &redirect_uri,
        &params,
    )
    .await
    {
        Ok(added) => added,
        Err(Ok(refused)) => return back(refused.code, &refused.description),
        Err(Err(e)) if e.status.is_server_error() => return e.into_response(),
        Err(Err(e)) => return back(e.code, &e.description),
    };
    let id = uuid::Uuid::now_v7().simple().to_string();
    if let Err(e) = auth_request::add(provider.store.as_ref(), &at.instance_id, &id, &added).await {
        return e.into_response();
    }
    match single_sign_on(provider, &at.instance_id, &id, &added.prompt, headers).await {
        Ok(Some(callback)) => found(&callback),
        Ok(None) => found(&provider.config.login_url.replace("{id}", &id)),
        Err(e) => e.into_response(),
    }
}

/// Single sign-on: request `id` finished at once with the browser's
/// hosted-login session when it satisfies the request (and `prompt` asks
/// for no login); `prompt=none` without such a session finished with
/// `login_required` (or `interaction_required` when only a second factor
/// is missing). The redirect to the client, or `None` for the login page.
///
/// # Errors
/// The store's, finishing the request.
async fn single_sign_on(
    provider: &Provider,
    instance_id: &str,
    id: &str,
    prompt: &[String],
    headers: &HeaderMap,
) -> Result<Option<String>, OidcError> {
    let none = prompt.iter().any(|p| p == "none");
    let interactive = prompt.iter().any(|p| p == "login" || p == "select_account");
    let mut error = "login_required";
    if let (false, Some((session_id, token))) =
        (interactive, crate::login_ui::browser_session(headers))
    {
        let actor = crate::login_ui::ACTOR;
        match provider
            .callback_with_session(instance_id, id, &session_id, &token, actor)
            .await
        {
            Ok(callback) => return Ok(Some(callback)),
            Err(CallbackError::SecondFactorRequired) => error = "interaction_required",
            Err(CallbackError::Oidc(e)) if e.status.is_server_error() => return Err(e),
            Err(_) => {}
        }
    }
    if !none {
        return Ok(None);
    }
    provider
        .callback_with_error(
            instance_id,
            id,
            error,
            Some("the browser has no login session that satisfies the request"),
            crate::login_ui::ACTOR,
        )
        .await
        .map(Some)
        .map_err(|e| match e {
            CallbackError::Oidc(e) => e,
            other => OidcError::server(other.to_string()),
        })
}

/// A `302 Found` to `location`, not to be cached.
fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The client (an active OIDC application) and the redirect URI it
/// registered and named.
///
/// # Errors
/// [`OidcError::invalid_request`] (400, not redirected) for an unknown
/// client, a missing or unregistered redirect URI.
async fn client_and_redirect(
    queries: &crate::query::Queries,
    instance_id: &str,
    params: &BTreeMap<String, String>,
) -> Result<(Client, OidcConfig, String), OidcError> {
    let client_id = params
        .get("client_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| OidcError::invalid_request("the parameter client_id is missing"))?;
    let unknown = || {
        OidcError::invalid_request(format!(
            "the client {client_id:?} is unknown, inactive or not an OpenID Connect application"
        ))
    };
    if !client_id.contains('@') {
        return Err(unknown());
    }
    let client = queries
        .client(instance_id, client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(unknown)?;
    let config = client.oidc.clone().ok_or_else(unknown)?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| !uri.is_empty())
        .ok_or_else(|| OidcError::invalid_request("the parameter redirect_uri is missing"))?;
    if !config.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(OidcError::invalid_request(
            "redirect_uri is not one the application registered (they must match exactly)",
        ));
    }
    Ok((client, config, redirect_uri.clone()))
}

/// The rest of the request, once the redirect URI can be trusted.
///
/// # Errors
/// `Ok(Redirected)` for a request to refuse at the client; `Err` with an
/// [`OidcError`] from the scopes (sent back too) or the query side.
async fn checked(
    provider: &super::Provider,
    instance_id: &str,
    issuer: &str,
    client: &Client,
    config: &OidcConfig,
    redirect_uri: &str,
    params: &BTreeMap<String, String>,
) -> Result<AuthRequestAdded, Result<Redirected, OidcError>> {
    if params.contains_key("request") {
        return Err(Ok(refuse(
            "request_not_supported",
            "request objects are not supported",
        )));
    }
    if params.contains_key("request_uri") {
        return Err(Ok(refuse(
            "request_uri_not_supported",
            "request_uri is not supported",
        )));
    }
    match params.get("response_type").map(String::as_str) {
        Some("code") => {}
        None | Some("") => return Err(Ok(refuse("invalid_request", "response_type is missing"))),
        Some(other) => {
            return Err(Ok(refuse(
                "unsupported_response_type",
                format!("the response type {other:?} is not supported; use code"),
            )));
        }
    }
    if !config.response_types.contains(&ResponseType::Code)
        || !config.grant_types.contains(&GrantType::AuthorizationCode)
    {
        return Err(Ok(refuse(
            "unauthorized_client",
            "the application is not registered for the code flow",
        )));
    }
    if params
        .get("response_mode")
        .is_some_and(|m| !m.is_empty() && m != "query")
    {
        return Err(Ok(refuse(
            "invalid_request",
            "only response_mode=query is supported",
        )));
    }
    for name in [
        "state",
        "nonce",
        "login_hint",
        "ui_locales",
        "code_challenge",
    ] {
        if params
            .get(name)
            .is_some_and(|v| v.chars().count() > MAX_PARAM_CHARS)
        {
            return Err(Ok(refuse("invalid_request", format!("{name} is too long"))));
        }
    }
    let prompt: Vec<String> = params
        .get("prompt")
        .map(|p| {
            p.split(' ')
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = prompt.iter().find(|p| !PROMPTS.contains(&p.as_str())) {
        return Err(Ok(refuse(
            "invalid_request",
            format!("prompt {unknown:?} is unknown"),
        )));
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(Ok(refuse(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        )));
    }
    let code_challenge = pkce(client, params).map_err(Ok)?;
    let max_age = match params.get("max_age").filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(m.parse::<u64>().map_err(|_| {
            Ok(refuse(
                "invalid_request",
                "max_age must be a number of seconds",
            ))
        })?),
    };
    let mut granted = scopes::grant(
        provider.queries(),
        instance_id,
        params.get("scope").map(String::as_str),
    )
    .await
    .map_err(Err)?;
    if !config.grant_types.contains(&GrantType::RefreshToken) {
        granted.scopes.retain(|s| s != scopes::OFFLINE_ACCESS);
    }
    let text = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    Ok(AuthRequestAdded {
        issuer: issuer.to_owned(),
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: granted.scopes,
        state: text("state"),
        nonce: text("nonce"),
        code_challenge,
        prompt,
        max_age,
        login_hint: text("login_hint"),
        ui_locales: params
            .get("ui_locales")
            .map(|l| {
                l.split(' ')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        created_at: Utc::now(),
    })
}

/// The S256 `code_challenge`: required for public clients and for
/// confidential ones registered with `pkceRequired`; `plain` (or a
/// challenge without a method, which means plain) is refused.
fn pkce(client: &Client, params: &BTreeMap<String, String>) -> Result<Option<String>, Redirected> {
    let challenge = params.get("code_challenge").filter(|c| !c.is_empty());
    let method = params.get("code_challenge_method").map(String::as_str);
    let oidc = client.oidc.as_ref();
    let public = oidc.is_some_and(|o| o.auth_method == ClientAuthMethod::None);
    let required = oidc.is_some_and(|o| o.pkce_required);
    match (challenge, method) {
        (None, Some(_)) => Err(refuse(
            "invalid_request",
            "code_challenge_method without code_challenge",
        )),
        (None, None) if public => Err(refuse(
            "invalid_request",
            "public clients must use PKCE: code_challenge with code_challenge_method=S256",
        )),
        (None, None) if required => Err(refuse(
            "invalid_request",
            "this client is registered to require PKCE: code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
        (Some(challenge), Some("S256")) => {
            let shaped = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if shaped {
                Ok(Some(challenge.clone()))
            } else {
                Err(refuse(
                    "invalid_request",
                    "code_challenge is not a base64url SHA-256",
                ))
            }
        }
        (Some(_), _) => Err(refuse(
            "invalid_request",
            "only code_challenge_method=S256 is supported (plain is not)",
        )),
    }
}
