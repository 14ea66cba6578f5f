//! # Client authentication (RFC 6749 §2.3, RFC 7523 §2.2)
//!
//! Who calls the token, introspection and revocation endpoints:
//! - an **application**, client id `<app id>@<project id>`, by the method
//!   it is registered with: `client_secret_basic` (HTTP Basic),
//!   `client_secret_post` (`client_id` and `client_secret` in the form),
//!   `private_key_jwt` (a `client_assertion` signed by one of its keys), or
//!   `none` (a public client: its `client_id` alone);
//! - a **machine user**, by its secret (client id = its username; Basic
//!   or form) or by a `client_assertion` signed by one of its keys (`iss`
//!   and `sub` = its user id).
//!
//! One method per request: a request that uses two is refused.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use rampart_plugin_sdk::catalogue::ClientAuthMethod;

use super::tokens::{StoredToken, TokenFormat};
use super::{INTROSPECTION_PATH, OidcError, REVOCATION_PATH, TOKEN_PATH, assertion};
use crate::query::{Client, Queries, Subject};

/// The `client_assertion_type` of JWT client assertions.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A machine user acting as a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineClient {
    /// The machine user.
    pub subject: Subject,
    /// The client id it authenticated with (its username for a secret,
    /// its user id for an assertion).
    pub client_id: String,
    /// How its access tokens are handed out.
    pub token_format: TokenFormat,
}

/// An authenticated caller of the OAuth endpoints.
#[derive(Debug, Clone)]
pub enum Authenticated {
    /// An application, by its registered method (a public one by its id
    /// alone).
    App(Client),
    /// A machine user.
    Machine(MachineClient),
}

impl Authenticated {
    /// Whether `token` was issued to this client.
    pub fn issued(&self, token: &StoredToken) -> bool {
        match self {
            Authenticated::App(client) => token.record.client_id == client.client_id,
            Authenticated::Machine(machine) => {
                token.record.user_id == machine.subject.user_id
                    && [&machine.subject.user_id, &machine.subject.username]
                        .contains(&&token.record.client_id)
            }
        }
    }

    /// Whether the client authenticated with a credential (not a public
    /// client's id alone).
    pub fn confidential(&self) -> bool {
        match self {
            Authenticated::App(client) => client_method(client) != ClientAuthMethod::None,
            Authenticated::Machine(_) => true,
        }
    }
}

/// The method `client` is registered with.
fn client_method(client: &Client) -> ClientAuthMethod {
    client
        .oidc
        .as_ref()
        .map(|o| o.auth_method)
        .or(client.api.as_ref().map(|a| a.auth_method))
        .unwrap_or_default()
}

/// Authenticates the client of a request with `headers` and form
/// `params`, at `issuer` of `instance_id`.
///
/// # Errors
/// [`OidcError::invalid_client`] for a client that is unknown, inactive,
/// or whose credential does not hold (without saying which);
/// [`OidcError::invalid_request`] for two methods at once or a malformed
/// credential.
pub async fn authenticate(
    queries: &Queries,
    instance_id: &str,
    issuer: &str,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<Authenticated, OidcError> {
    let basic = basic_credentials(headers)?;
    let posted_secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let methods = [
        basic.is_some(),
        posted_secret.is_some(),
        assertion.is_some(),
    ];
    if methods.iter().filter(|used| **used).count() > 1 {
        return Err(OidcError::invalid_request(
            "use one client authentication method: HTTP Basic, client_secret in the form, \
             or client_assertion",
        ));
    }
    if let Some(assertion) = assertion {
        return by_assertion(queries, instance_id, issuer, params, assertion).await;
    }
    let (client_id, secret, method) = match (basic, posted_secret) {
        (Some((id, secret)), _) => {
            if params
                .get("client_id")
                .is_some_and(|form_id| *form_id != id)
            {
                return Err(OidcError::invalid_request(
                    "client_id in the form differs from the one in HTTP Basic",
                ));
            }
            (id, Some(secret), ClientAuthMethod::ClientSecretBasic)
        }
        (None, Some(secret)) => (
            required(params, "client_id")?.to_owned(),
            Some(secret.clone()),
            ClientAuthMethod::ClientSecretPost,
        ),
        (None, None) => (
            params
                .get("client_id")
                .cloned()
                .ok_or_else(|| OidcError::invalid_client("the client did not authenticate"))?,
            None,
            ClientAuthMethod::None,
        ),
    };
    if client_id.contains('@') {
        let client = queries
            .client(instance_id, &client_id)
            .await?
            .filter(|c| c.active)
            .ok_or_else(unknown_client)?;
        let registered = client_method(&client);
        let proven = match &secret {
            Some(secret) => registered == method && client.verify_secret(secret),
            None => registered == ClientAuthMethod::None,
        };
        if !proven {
            return Err(unknown_client());
        }
        return Ok(Authenticated::App(client));
    }
    let secret = secret.ok_or_else(unknown_client)?;
    let machine = queries
        .machine_client(instance_id, &client_id)
        .await?
        .filter(|m| m.active && m.verify_secret(&secret))
        .ok_or_else(unknown_client)?;
    let subject = queries
        .subject(instance_id, &machine.user_id)
        .await?
        .filter(|s| s.active && s.machine)
        .ok_or_else(unknown_client)?;
    Ok(Authenticated::Machine(MachineClient {
        subject,
        client_id,
        token_format: super::grants::machine_format(machine.access_token_type),
    }))
}

/// A `client_assertion` of an application (`sub` has an `@`) or a
/// machine user.
async fn by_assertion(
    queries: &Queries,
    instance_id: &str,
    issuer: &str,
    params: &BTreeMap<String, String>,
    token: &str,
) -> Result<Authenticated, OidcError> {
    if params.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(OidcError::invalid_request(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    let unverified = assertion::parse(token).map_err(OidcError::invalid_client)?;
    let signer = unverified.claims.sub.clone();
    if params.get("client_id").is_some_and(|id| *id != signer) {
        return Err(OidcError::invalid_request(
            "client_id differs from the client assertion's sub",
        ));
    }
    let audiences = endpoint_audiences(issuer);
    let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();
    let now = Utc::now();
    if signer.contains('@') {
        let key = queries
            .app_key(instance_id, &signer, &unverified.key_id)
            .await?
            .ok_or_else(unknown_client)?;
        unverified
            .verify(&key, &signer, &audiences, now)
            .map_err(OidcError::invalid_client)?;
        let client = queries
            .client(instance_id, &signer)
            .await?
            .filter(|c| c.active && client_method(c) == ClientAuthMethod::PrivateKeyJwt)
            .ok_or_else(unknown_client)?;
        return Ok(Authenticated::App(client));
    }
    let key = queries
        .machine_key(instance_id, &signer, &unverified.key_id)
        .await?
        .ok_or_else(unknown_client)?;
    unverified
        .verify(&key, &signer, &audiences, now)
        .map_err(OidcError::invalid_client)?;
    machine_by_id(queries, instance_id, &signer)
        .await?
        .ok_or_else(unknown_client)
        .map(Authenticated::Machine)
}

/// Active machine user `user_id` as a client authenticated by a key.
///
/// # Errors
/// The query side's.
pub async fn machine_by_id(
    queries: &Queries,
    instance_id: &str,
    user_id: &str,
) -> Result<Option<MachineClient>, OidcError> {
    let Some(subject) = queries
        .subject(instance_id, user_id)
        .await?
        .filter(|s| s.active && s.machine)
    else {
        return Ok(None);
    };
    let format = match queries
        .machine_client(instance_id, &subject.username)
        .await?
    {
        Some(machine) => super::grants::machine_format(machine.access_token_type),
        None => TokenFormat::Opaque,
    };
    Ok(Some(MachineClient {
        client_id: user_id.to_owned(),
        subject,
        token_format: format,
    }))
}

/// What an assertion's `aud` may name: the issuer, or one of the endpoints
/// that take assertions.
pub fn endpoint_audiences(issuer: &str) -> Vec<String> {
    [
        issuer.to_owned(),
        format!("{issuer}{TOKEN_PATH}"),
        format!("{issuer}{INTROSPECTION_PATH}"),
        format!("{issuer}{REVOCATION_PATH}"),
    ]
    .to_vec()
}

/// The same answer for every failure, so a caller cannot tell an unknown
/// client from a wrong secret.
fn unknown_client() -> OidcError {
    OidcError::invalid_client("the client is unknown, inactive, or its credential is wrong")
}

/// `params[name]`, or `invalid_request` naming it.
///
/// # Errors
/// [`OidcError::invalid_request`].
pub fn required<'a>(
    params: &'a BTreeMap<String, String>,
    name: &str,
) -> Result<&'a str, OidcError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OidcError::invalid_request(format!("the parameter {name} is missing")))
}

/// HTTP Basic credentials, form-url-decoded (RFC 6749 §2.3.1); `None`
/// without an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OidcError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || OidcError::invalid_request("the Authorization header is not valid HTTP Basic");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(OidcError::invalid_client(
            "authenticate the client with HTTP Basic, not another scheme",
        ));
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}
