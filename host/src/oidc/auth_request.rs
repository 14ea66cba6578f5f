//! # Auth requests
//!
//! An authorization request (`/oauth/v2/authorize`) lives as an aggregate
//! of its own, `auth_request` (id = the request's id), from the moment it
//! is accepted until its code is exchanged:
//!
//! | event | when |
//! |---|---|
//! | `auth_request.added` | the authorize endpoint accepted the request |
//! | `auth_request.code.added` | a login UI finished it with a session: the code's hash is stored |
//! | `auth_request.failed` | a login UI finished it with an error (e.g. `access_denied`) |
//! | `auth_request.code.exchanged` | the code was exchanged; names the tokens issued from it |
//! | `auth_request.code.replayed` | the code was presented again: the tokens issued from it are revoked |
//!
//! The decisions ([`AuthRequestModel::finish`], [`AuthRequestModel::exchange`])
//! are pure over the folded events, so they are tested as given events →
//! when a command → then events or an error. Pushes expect the sequence
//! the decision read, so a code is exchanged once even when two nodes race.
//!
//! A code reads `<auth request id>_<secret>`; only the secret's SHA-256 is
//! stored.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::OidcError;
use super::session::LoginSession;
use crate::auth::token::{digest, same_hash};
use crate::eventstore::{
    AggregateRef, Event, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};

/// The aggregate type of auth requests.
pub const AGGREGATE_TYPE: &str = "auth_request";
/// The request was accepted.
pub const ADDED: &str = "auth_request.added";
/// A login finished it: a code was issued.
pub const CODE_ADDED: &str = "auth_request.code.added";
/// A login UI finished it with an error.
pub const FAILED: &str = "auth_request.failed";
/// Its code was exchanged for tokens.
pub const CODE_EXCHANGED: &str = "auth_request.code.exchanged";
/// Its code was presented again after the exchange.
pub const CODE_REPLAYED: &str = "auth_request.code.replayed";
/// How long a login UI has to finish a request.
pub const REQUEST_LIFETIME: TimeDelta = TimeDelta::minutes(30);
/// How long a code may wait for its exchange (RFC 6749 §4.1.2: at most 10
/// minutes).
pub const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(5);

/// `auth_request.added`: the validated request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthRequestAdded {
    /// The issuer the request was made to (the tokens' `iss`).
    pub issuer: String,
    /// The client (`<app id>@<project id>`).
    pub client_id: String,
    /// The registered redirect URI it named.
    pub redirect_uri: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// `state`, returned as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `nonce`, put into the ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The S256 `code_challenge` (RFC 7636).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// `prompt` values (`login`, `consent`, `select_account`).
    #[serde(default)]
    pub prompt: Vec<String>,
    /// `max_age` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// `login_hint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// `ui_locales`, in order of preference.
    #[serde(default)]
    pub ui_locales: Vec<String>,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
}

/// `auth_request.code.added`: who logged in, and the code's hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeAdded {
    /// The session the login UI presented.
    pub session_id: String,
    /// Its user.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// When the user last authenticated.
    pub auth_time: DateTime<Utc>,
    /// How (`amr`).
    pub amr: Vec<String>,
    /// SHA-256 of the code's secret, hex.
    pub code_hash: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for CodeAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeAdded")
            .field("session_id", &self.session_id)
            .field("user_id", &self.user_id)
            .field("auth_time", &self.auth_time)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `auth_request.failed`: the error sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failed {
    /// The `error` code (OpenID Connect Core §3.1.2.6).
    pub error: String,
    /// `error_description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `auth_request.code.exchanged`: the tokens issued from the code, to
/// revoke if it is replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeExchanged {
    /// The access token's id.
    pub access_token_id: String,
    /// The refresh token family, when one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_family_id: Option<String>,
}

/// Why a decision on an auth request refuses. Each maps to one OAuth
/// error ([`AuthRequestError::oauth`]) or API status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthRequestError {
    /// No such request (or not in this instance).
    #[error("the auth request does not exist")]
    NotFound,
    /// A login UI already finished it.
    #[error("the auth request was already finished")]
    Finished,
    /// It was not finished in time.
    #[error("the auth request expired; the client has to start again")]
    Expired,
    /// The session's user is not active, or it checked no password.
    #[error("the session has no active user with a checked password")]
    NotAuthenticated,
    /// The last authentication is older than the request's `max_age`.
    #[error("the session's authentication is older than the request's max_age")]
    TooOld,
    /// `prompt=login`: the password was checked before the request.
    #[error("the request asks for a fresh login (prompt=login): check the password again")]
    FreshLoginRequired,
    /// The code is unknown, altered, expired or not yet issued.
    #[error("the code is invalid or expired")]
    InvalidCode,
    /// The code was issued to another client.
    #[error("the code was issued to another client")]
    OtherClient,
    /// `redirect_uri` is not the one of the request.
    #[error("redirect_uri differs from the one of the authorization request")]
    RedirectMismatch,
    /// PKCE failed: a verifier is missing, not expected, or wrong.
    #[error("{0}")]
    Pkce(&'static str),
    /// The code was exchanged before; the tokens it gave are to be revoked.
    #[error("the code was already used; the tokens issued from it are revoked")]
    Replayed(CodeExchanged),
}

impl AuthRequestError {
    /// The OAuth error of the token endpoint.
    pub fn oauth(&self) -> OidcError {
        OidcError::invalid_grant(self.to_string())
    }
}

/// What the events of one auth request say.
#[derive(Debug, Clone, Default)]
pub struct AuthRequestModel {
    /// The request's id.
    pub id: String,
    /// The last event's sequence.
    pub sequence: u64,
    /// The request, once added.
    pub request: Option<AuthRequestAdded>,
    /// The code, once a login finished it.
    pub code: Option<CodeAdded>,
    /// The error a login UI finished it with.
    pub failed: Option<Failed>,
    /// The exchange, once it happened.
    pub exchanged: Option<CodeExchanged>,
}

impl AuthRequestModel {
    /// The model of request `id` after `events`.
    pub fn fold(id: &str, events: &[Event]) -> Self {
        let mut model = Self {
            id: id.to_owned(),
            ..Self::default()
        };
        for event in events {
            model.apply(&event.event_type, &event.payload);
            model.sequence = event.sequence;
        }
        model
    }

    /// Applies one event.
    fn apply(&mut self, event_type: &str, payload: &serde_json::Value) {
        let read = |what| {
            tracing::warn!(auth_request = %self.id, event = what, "unreadable auth request event");
        };
        match event_type {
            ADDED => match serde_json::from_value(payload.clone()) {
                Ok(added) => self.request = Some(added),
                Err(_) => read(ADDED),
            },
            CODE_ADDED => match serde_json::from_value(payload.clone()) {
                Ok(code) => self.code = Some(code),
                Err(_) => read(CODE_ADDED),
            },
            FAILED => match serde_json::from_value(payload.clone()) {
                Ok(failed) => self.failed = Some(failed),
                Err(_) => read(FAILED),
            },
            CODE_EXCHANGED => match serde_json::from_value(payload.clone()) {
                Ok(exchanged) => self.exchanged = Some(exchanged),
                Err(_) => read(CODE_EXCHANGED),
            },
            _ => {}
        }
    }

    /// The request while a login UI may still finish it at `now`.
    ///
    /// # Errors
    /// [`AuthRequestError::NotFound`], [`AuthRequestError::Finished`],
    /// [`AuthRequestError::Expired`].
    pub fn pending(&self, now: DateTime<Utc>) -> Result<&AuthRequestAdded, AuthRequestError> {
        let request = self.request.as_ref().ok_or(AuthRequestError::NotFound)?;
        if self.code.is_some() || self.failed.is_some() {
            return Err(AuthRequestError::Finished);
        }
        if now > request.created_at + REQUEST_LIFETIME {
            return Err(AuthRequestError::Expired);
        }
        Ok(request)
    }

    /// A login UI finishes the request with `session` at `now`: the code
    /// whose secret hashes to `code_hash` is stored.
    ///
    /// # Errors
    /// As [`Self::pending`]; [`AuthRequestError::NotAuthenticated`],
    /// [`AuthRequestError::TooOld`] (`max_age`),
    /// [`AuthRequestError::FreshLoginRequired`] (`prompt=login`).
    pub fn finish(
        &self,
        session: &LoginSession,
        code_hash: String,
        now: DateTime<Utc>,
    ) -> Result<CodeAdded, AuthRequestError> {
        let request = self.pending(now)?;
        let auth_time = session
            .auth_time()
            .filter(|_| session.user_active)
            .ok_or(AuthRequestError::NotAuthenticated)?;
        if let Some(max_age) = request.max_age {
            let max_age = TimeDelta::seconds(i64::try_from(max_age).unwrap_or(i64::MAX / 1000));
            if now - auth_time > max_age {
                return Err(AuthRequestError::TooOld);
            }
        }
        if request.prompt.iter().any(|p| p == "login") && auth_time < request.created_at {
            return Err(AuthRequestError::FreshLoginRequired);
        }
        Ok(CodeAdded {
            session_id: session.session_id.clone(),
            user_id: session.user_id.clone(),
            org_id: session.org_id.clone(),
            auth_time,
            amr: session.amr(),
            code_hash,
            expires_at: now + CODE_LIFETIME,
        })
    }

    /// The client presents the code (secret hashing to `code_hash`) with
    /// `redirect_uri` and `code_verifier`, at `now`.
    ///
    /// # Errors
    /// [`AuthRequestError::Replayed`] for a code exchanged before (the
    /// tokens to revoke); [`AuthRequestError::InvalidCode`],
    /// [`AuthRequestError::OtherClient`],
    /// [`AuthRequestError::RedirectMismatch`], [`AuthRequestError::Pkce`].
    pub fn exchange(
        &self,
        client_id: &str,
        code_hash: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(&AuthRequestAdded, &CodeAdded), AuthRequestError> {
        let (Some(request), Some(code)) = (&self.request, &self.code) else {
            return Err(AuthRequestError::InvalidCode);
        };
        if !same_hash(&code.code_hash, code_hash) {
            return Err(AuthRequestError::InvalidCode);
        }
        if request.client_id != client_id {
            return Err(AuthRequestError::OtherClient);
        }
        if let Some(exchanged) = &self.exchanged {
            return Err(AuthRequestError::Replayed(exchanged.clone()));
        }
        if now > code.expires_at {
            return Err(AuthRequestError::InvalidCode);
        }
        if redirect_uri != Some(request.redirect_uri.as_str()) {
            return Err(AuthRequestError::RedirectMismatch);
        }
        match (&request.code_challenge, code_verifier) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(AuthRequestError::Pkce(
                    "code_verifier was sent but the authorization request had no code_challenge",
                ));
            }
            (Some(_), None) => return Err(AuthRequestError::Pkce("code_verifier is missing")),
            (Some(challenge), Some(verifier)) => {
                if !valid_verifier(verifier) || !same_hash(&s256(verifier), challenge) {
                    return Err(AuthRequestError::Pkce(
                        "code_verifier does not match the code_challenge",
                    ));
                }
            }
        }
        Ok((request, code))
    }
}

/// Whether `verifier` has the shape RFC 7636 §4.1 sets: 43 to 128 of
/// `[A-Za-z0-9-._~]`.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// A new code of request `id`: the string to hand out and its secret's
/// hash.
pub fn new_code(id: &str) -> (String, String) {
    let secret = crate::auth::token::new_secret();
    (format!("{id}_{}", secret.plain), secret.hash)
}

/// The request id and the secret's hash of a presented code; `None` for
/// anything not shaped like one.
pub fn parse_code(code: &str) -> Option<(&str, String)> {
    let (id, secret) = code.split_once('_')?;
    let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    let secret_ok = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    (id_ok && secret_ok).then(|| (id, digest(secret)))
}

fn aggregate(instance_id: &str, id: &str) -> AggregateRef {
    AggregateRef::new(instance_id, AGGREGATE_TYPE, id)
}

fn payload<T: Serialize>(value: &T) -> Result<serde_json::Value, OidcError> {
    serde_json::to_value(value).map_err(|e| OidcError::server(e.to_string()))
}

/// Request `id` of `instance_id`, folded.
///
/// # Errors
/// The store's.
pub async fn load(
    store: &dyn EventStore,
    instance_id: &str,
    id: &str,
) -> Result<AuthRequestModel, StoreError> {
    let events = store
        .query(&EventQuery::aggregate(&aggregate(instance_id, id)))
        .await?;
    Ok(AuthRequestModel::fold(id, &events))
}

/// Stores a new request with id `id`, by `actor` (the client).
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn add(
    store: &dyn EventStore,
    instance_id: &str,
    id: &str,
    added: &AuthRequestAdded,
) -> Result<(), OidcError> {
    store
        .push(Push::new(
            aggregate(instance_id, id),
            ExpectedSequence::Exact(0),
            vec![NewEvent::new(ADDED, payload(added)?, &added.client_id)],
        ))
        .await?;
    Ok(())
}

/// Appends `event_type` with `value` to `model`'s aggregate, expecting its
/// sequence (a concurrent change makes this fail).
///
/// # Errors
/// The store's, as [`OidcError`]; a concurrent change is
/// `invalid_grant`.
pub async fn append<T: Serialize>(
    store: &dyn EventStore,
    instance_id: &str,
    model: &AuthRequestModel,
    event_type: &str,
    value: &T,
    actor: &str,
) -> Result<(), OidcError> {
    let push = Push::new(
        aggregate(instance_id, &model.id),
        ExpectedSequence::Exact(model.sequence),
        vec![NewEvent::new(event_type, payload(value)?, actor)],
    );
    match store.push(push).await {
        Ok(_) => Ok(()),
        Err(StoreError::Conflict { .. }) => Err(OidcError::invalid_grant(
            "the auth request was changed concurrently; it can be used once",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `redirect_uri` with the query parameters `params` added (the
/// authorization response, RFC 6749 §4.1.2).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let sep = if redirect_uri.contains('?') { '&' } else { '?' };
            format!("{redirect_uri}{sep}{query}")
        }
    }
}

#[cfg(test)]
#[path = "auth_request_tests.rs"]
mod tests;
