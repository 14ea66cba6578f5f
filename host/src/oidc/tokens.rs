//! # Issued access tokens
//!
//! Every access token, JWT or opaque, is an aggregate of its own
//! (`oauth_token`, id = the token's id, the JWT's `jti`): `issued` when it
//! is handed out, `revoked` when revoked. Introspection, revocation and the
//! API's authentication read the token's two events at most, so a
//! revocation counts at once on every node, and a busy machine user's own
//! aggregate does not grow with every token it asks for.
//!
//! An opaque token reads `ra_<token id>_<secret>`; only the secret's
//! SHA-256 is stored.

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::OidcError;
use crate::auth::token::{digest, same_hash};
use crate::eventstore::{AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Push};

/// The aggregate type of issued tokens.
pub const AGGREGATE_TYPE: &str = "oauth_token";
/// A token was issued.
pub const ISSUED: &str = "oauth_token.issued";
/// A token was revoked.
pub const REVOKED: &str = "oauth_token.revoked";
/// Every opaque access token starts with this.
const OPAQUE_PREFIX: &str = "ra_";
/// Random bytes of an opaque token's secret (256 bits).
const SECRET_BYTES: usize = 32;

/// How an access token is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// A JWT signed by the instance (RFC 9068), verifiable offline.
    Jwt,
    /// An opaque string, checked by introspection.
    Opaque,
}

/// What an access token grants, as stored with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// The user the token acts for.
    pub user_id: String,
    /// The user's organization.
    pub org_id: String,
    /// The user's login name, for introspection's `username`.
    pub username: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Its audience.
    pub audience: Vec<String>,
    /// Its granted scopes.
    pub scopes: Vec<String>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// JWT or opaque.
    pub format: TokenFormat,
    /// SHA-256 of an opaque token's secret, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) secret_hash: Option<String>,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("audience", &self.audience)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// `oauth_token.revoked`: names the user, so principal caches can forget
/// what the token authenticated.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Revoked {
    user_id: String,
}

/// A stored token and whether it was revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// Its id (`jti`).
    pub token_id: String,
    /// What it grants.
    pub record: TokenRecord,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl StoredToken {
    /// Whether the token works at `now`: not revoked, not expired.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && self.record.expires_at > now
    }
}

/// A token as presented: a JWT, or the id and secret of an opaque one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented<'a> {
    /// Three dot-separated parts.
    Jwt(&'a str),
    /// `ra_<token id>_<secret>`: the id and the secret's SHA-256.
    Opaque {
        /// The token's id.
        token_id: &'a str,
        /// SHA-256 of the secret, hex.
        hash: String,
    },
}

impl<'a> Presented<'a> {
    /// What `token` is shaped like; `None` for neither shape.
    pub fn parse(token: &'a str) -> Option<Self> {
        if let Some(rest) = token.strip_prefix(OPAQUE_PREFIX) {
            let (token_id, secret) = rest.split_once('_')?;
            let id_ok = !token_id.is_empty()
                && token_id.len() <= 64
                && token_id.bytes().all(|b| b.is_ascii_alphanumeric());
            let secret_ok =
                secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
            return (id_ok && secret_ok).then(|| Presented::Opaque {
                token_id,
                hash: digest(secret),
            });
        }
        (token.split('.').count() == 3 && token.len() <= 16 * 1024).then_some(Presented::Jwt(token))
    }
}

/// A new opaque token with id `token_id`: the string to hand out and the
/// hash to store.
fn opaque(token_id: &str) -> (String, String) {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    let secret = hex::encode(secret);
    (
        format!("{OPAQUE_PREFIX}{token_id}_{secret}"),
        digest(&secret),
    )
}

fn aggregate(instance_id: &str, token_id: &str) -> AggregateRef {
    AggregateRef::new(instance_id, AGGREGATE_TYPE, token_id)
}

/// Stores a new token of `record` (its `format` decides) with id
/// `token_id`; for an opaque token, the string to hand out.
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn issue(
    store: &dyn EventStore,
    instance_id: &str,
    token_id: &str,
    mut record: TokenRecord,
) -> Result<Option<String>, OidcError> {
    let handed_out = match record.format {
        TokenFormat::Jwt => None,
        TokenFormat::Opaque => {
            let (token, hash) = opaque(token_id);
            record.secret_hash = Some(hash);
            Some(token)
        }
    };
    let payload = serde_json::to_value(&record).map_err(|e| OidcError::server(e.to_string()))?;
    let creator = record.user_id.clone();
    store
        .push(Push::new(
            aggregate(instance_id, token_id),
            ExpectedSequence::Exact(0),
            vec![NewEvent::new(ISSUED, payload, creator)],
        ))
        .await?;
    Ok(handed_out)
}

/// Token `token_id` of `instance_id`, if it was issued there.
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn find(
    store: &dyn EventStore,
    instance_id: &str,
    token_id: &str,
) -> Result<Option<StoredToken>, OidcError> {
    let events = store
        .query(&EventQuery::aggregate(&aggregate(instance_id, token_id)))
        .await?;
    let mut found: Option<StoredToken> = None;
    for event in events {
        match event.event_type.as_str() {
            ISSUED => {
                let Ok(record) = serde_json::from_value(event.payload) else {
                    tracing::warn!(token_id, "unreadable token event");
                    return Ok(None);
                };
                found = Some(StoredToken {
                    token_id: token_id.to_owned(),
                    record,
                    revoked: false,
                });
            }
            REVOKED => {
                if let Some(token) = found.as_mut() {
                    token.revoked = true;
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// The opaque token `token_id` whose secret hashes to `hash`.
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn find_opaque(
    store: &dyn EventStore,
    instance_id: &str,
    token_id: &str,
    hash: &str,
) -> Result<Option<StoredToken>, OidcError> {
    Ok(find(store, instance_id, token_id).await?.filter(|token| {
        token.record.format == TokenFormat::Opaque
            && token
                .record
                .secret_hash
                .as_deref()
                .is_some_and(|stored| same_hash(stored, hash))
    }))
}

/// Revokes `token` (idempotent: a revoked token stays revoked).
///
/// # Errors
/// The store's, as [`OidcError`].
pub async fn revoke(
    store: &dyn EventStore,
    instance_id: &str,
    token: &StoredToken,
    actor: &str,
) -> Result<(), OidcError> {
    if token.revoked {
        return Ok(());
    }
    let payload = serde_json::to_value(Revoked {
        user_id: token.record.user_id.clone(),
    })
    .map_err(|e| OidcError::server(e.to_string()))?;
    store
        .push(Push::new(
            aggregate(instance_id, &token.token_id),
            ExpectedSequence::Any,
            vec![NewEvent::new(REVOKED, payload, actor)],
        ))
        .await?;
    Ok(())
}

/// The user a `revoked` event's payload names (for principal caches).
pub fn revoked_user(payload: &serde_json::Value) -> Option<&str> {
    payload.get("userId")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_parse_back_to_their_id_and_hash() {
        let (token, hash) = opaque("0192abc");
        assert_eq!(
            Presented::parse(&token),
            Some(Presented::Opaque {
                token_id: "0192abc",
                hash
            })
        );
    }

    #[test]
    fn malformed_tokens_parse_to_nothing() {
        for bad in [
            "",
            "ra_",
            "ra_x_short",
            "ra__",
            "rp_a_b_c",
            "a.b",
            "no dots",
        ] {
            assert_eq!(Presented::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Presented::parse("a.b.c"), Some(Presented::Jwt("a.b.c")));
    }
}
