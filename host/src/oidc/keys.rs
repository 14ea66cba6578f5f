//! # Signing keys
//!
//! Each instance signs its tokens with keys the server makes itself, one
//! aggregate per instance (`signing_keys`, id = the instance's id). A key's
//! private half is sealed with the masterkey before it reaches an event;
//! its public half is a JWK, published in the instance's JWKS.
//!
//! A key's life, with `RotationInterval` R and `PublishAhead` P:
//! - the first key of an instance signs from the moment it is made;
//! - once the signing key is R − P old, the next key is added, to sign from
//!   `max(now + P, activation + R)`: relying parties see it in the JWKS at
//!   least P before any token carries it;
//! - a key stops signing when its successor activates, and stays published
//!   until the last token it signed has expired
//!   ([`MAX_SIGNED_TOKEN_LIFETIME`] later).
//!
//! Rotation happens when a node needs a key (signing, or serving the JWKS):
//! the push expects the aggregate's sequence, so two nodes never add two
//! successors; the loser reads the winner's key.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
use moka::sync::Cache;
use serde::{Deserialize, Serialize};

use super::OidcError;
use crate::config::{MAX_SIGNED_TOKEN_LIFETIME, SigningAlgorithm, SigningKeysConfig};
use crate::eventstore::{
    AggregateRef, Event, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};
use crate::masterkey::{Keyring, Purpose};

/// The aggregate type of an instance's signing keys.
pub const AGGREGATE_TYPE: &str = "signing_keys";
/// A key was made (its private half sealed).
pub const KEY_ADDED: &str = "signing_keys.key.added";
/// A key's private half was sealed again, with a newer masterkey.
pub const KEY_RESEALED: &str = "signing_keys.key.resealed";
/// The sealing purpose of signing keys' private halves.
pub const SIGNING_KEY: Purpose = Purpose("oidc-signing-key");
/// How long a node trusts its copy of a key set before reading it again
/// (keys are published [`SigningKeysConfig::publish_ahead`] before they
/// sign, far longer than this).
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Slack for clocks of nodes and relying parties that differ a little.
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Bits of RSA keys.
const RSA_BITS: usize = 2048;

/// `signing_keys.key.added`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyAdded {
    key_id: String,
    algorithm: String,
    /// The public JWK (without `kid`, `alg`, `use`, which are added when
    /// it is published).
    public_key: serde_json::Map<String, serde_json::Value>,
    /// The private key (PKCS#8 DER for ES256, PKCS#1 DER for RS256),
    /// sealed with [`SIGNING_KEY`] for the instance.
    private_key: String,
    activates_at: DateTime<Utc>,
}

/// `signing_keys.key.resealed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyResealed {
    key_id: String,
    private_key: String,
}

/// One signing key of an instance. `Debug` leaves the sealed private half
/// out.
#[derive(Clone)]
pub struct SigningKey {
    /// `kid` of the tokens it signs.
    pub key_id: String,
    /// Its algorithm.
    pub algorithm: SigningAlgorithm,
    /// When it starts signing.
    pub activates_at: DateTime<Utc>,
    public: serde_json::Map<String, serde_json::Value>,
    sealed: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .field("algorithm", &self.algorithm)
            .field("activates_at", &self.activates_at)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The public key as a JWK (RFC 7517) with `kid`, `alg` and `use`.
    pub fn jwk(&self) -> serde_json::Value {
        let mut jwk = self.public.clone();
        jwk.insert("kid".into(), self.key_id.clone().into());
        jwk.insert("alg".into(), alg_name(self.algorithm).into());
        jwk.insert("use".into(), "sig".into());
        serde_json::Value::Object(jwk)
    }

    /// The key that verifies its signatures.
    fn decoding_key(&self) -> Result<DecodingKey, OidcError> {
        let part = |name: &str| {
            self.public
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| {
                    OidcError::server(format!("signing key {} has no {name}", self.key_id))
                })
        };
        let key = match self.algorithm {
            SigningAlgorithm::ES256 => DecodingKey::from_ec_components(part("x")?, part("y")?),
            SigningAlgorithm::RS256 => DecodingKey::from_rsa_components(part("n")?, part("e")?),
        };
        key.map_err(|e| OidcError::server(format!("signing key {}: {e}", self.key_id)))
    }
}

/// The JWS `alg` of `algorithm`.
pub fn alg_name(algorithm: SigningAlgorithm) -> &'static str {
    match algorithm {
        SigningAlgorithm::ES256 => "ES256",
        SigningAlgorithm::RS256 => "RS256",
    }
}

fn jws_alg(algorithm: SigningAlgorithm) -> jsonwebtoken::Algorithm {
    match algorithm {
        SigningAlgorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        SigningAlgorithm::RS256 => jsonwebtoken::Algorithm::RS256,
    }
}

/// An instance's signing keys, oldest activation first, at the aggregate's
/// sequence.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<SigningKey>,
    sequence: u64,
}

impl KeySet {
    /// The set the events of a `signing_keys` aggregate describe.
    fn from_events(events: &[Event]) -> Self {
        let mut set = Self::default();
        for event in events {
            set.sequence = event.sequence;
            match event.event_type.as_str() {
                KEY_ADDED => {
                    let Ok(added) = serde_json::from_value::<KeyAdded>(event.payload.clone())
                    else {
                        tracing::warn!(sequence = event.sequence, "unreadable signing key event");
                        continue;
                    };
                    let algorithm = match added.algorithm.as_str() {
                        "ES256" => SigningAlgorithm::ES256,
                        "RS256" => SigningAlgorithm::RS256,
                        _ => continue,
                    };
                    set.keys.push(SigningKey {
                        key_id: added.key_id,
                        algorithm,
                        activates_at: added.activates_at,
                        public: added.public_key,
                        sealed: added.private_key,
                    });
                }
                KEY_RESEALED => {
                    if let Ok(resealed) =
                        serde_json::from_value::<KeyResealed>(event.payload.clone())
                        && let Some(key) = set.keys.iter_mut().find(|k| k.key_id == resealed.key_id)
                    {
                        key.sealed = resealed.private_key;
                    }
                }
                _ => {}
            }
        }
        set.keys.sort_by_key(|k| k.activates_at);
        set
    }

    /// The key that signs at `now`: the newest one active by then (the
    /// oldest when none is, which only a hand-written store can hold).
    pub fn signing(&self, now: DateTime<Utc>) -> Option<&SigningKey> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.activates_at <= now)
            .or_else(|| self.keys.first())
    }

    /// The keys a relying party may meet at `now`: every key not yet
    /// replaced (the signing one and the next), and replaced ones whose
    /// last tokens may still be alive.
    pub fn published(&self, now: DateTime<Utc>) -> Vec<&SigningKey> {
        let max = chrono::TimeDelta::from_std(MAX_SIGNED_TOKEN_LIFETIME)
            .unwrap_or(chrono::TimeDelta::MAX);
        self.keys
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let successor = self.keys.get(i + 1).map(|s| s.activates_at);
                successor.is_none_or(|replaced| replaced + max + CLOCK_SLACK > now)
            })
            .map(|(_, k)| k)
            .collect()
    }

    /// A key of the set by id.
    pub fn key(&self, key_id: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }

    /// When a key to be added now should start signing, if one is due:
    /// now for an empty set, and the successor's activation once the
    /// signing key is `RotationInterval − PublishAhead` old and has none.
    fn next_activation(
        &self,
        now: DateTime<Utc>,
        cfg: &SigningKeysConfig,
    ) -> Option<DateTime<Utc>> {
        let Some(current) = self.signing(now) else {
            return Some(now);
        };
        if self.keys.iter().any(|k| k.activates_at > now) {
            return None;
        }
        let interval = delta(cfg.rotation_interval);
        let ahead = delta(cfg.publish_ahead);
        (now >= current.activates_at + interval - ahead)
            .then(|| (now + ahead).max(current.activates_at + interval))
    }
}

fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// The instances' signing keys: reads, rotates, signs and verifies. Cheap
/// to clone.
#[derive(Clone)]
pub struct SigningKeys {
    store: Arc<dyn EventStore>,
    config: SigningKeysConfig,
    keyring: Arc<OnceLock<Keyring>>,
    sets: Cache<String, Arc<KeySet>>,
    opened: Cache<String, Arc<EncodingKey>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Keys in `store`, made as `config` says, sealed with the keyring set
    /// into `keyring` once the masterkey is verified.
    pub fn new(
        store: Arc<dyn EventStore>,
        config: SigningKeysConfig,
        keyring: Arc<OnceLock<Keyring>>,
    ) -> Self {
        Self {
            store,
            config,
            keyring,
            sets: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            opened: Cache::builder().max_capacity(10_000).build(),
        }
    }

    /// The key set of `instance_id`, rotated if a rotation is due.
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer or a key cannot be made.
    pub async fn current(&self, instance_id: &str) -> Result<Arc<KeySet>, OidcError> {
        let set = match self.sets.get(instance_id) {
            Some(set) => set,
            None => self.read(instance_id).await?,
        };
        if set.next_activation(Utc::now(), &self.config).is_none() {
            return Ok(set);
        }
        self.rotate(instance_id).await
    }

    /// Signs `claims` as a JWS of `instance_id`'s signing key, with header
    /// `typ` `typ` (`JWT`, or `at+jwt` for access tokens, RFC 9068).
    ///
    /// # Errors
    /// [`OidcError`] when no key can be had or opened.
    pub async fn sign(
        &self,
        instance_id: &str,
        typ: &str,
        claims: &serde_json::Value,
    ) -> Result<String, OidcError> {
        let set = self.current(instance_id).await?;
        let key = set
            .signing(Utc::now())
            .ok_or_else(|| OidcError::server("the instance has no signing key"))?;
        let encoding = self.open(instance_id, key)?;
        let mut header = jsonwebtoken::Header::new(jws_alg(key.algorithm));
        header.kid = Some(key.key_id.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &encoding)
            .map_err(|e| OidcError::server(format!("a token could not be signed: {e}")))
    }

    /// The claims of `token` when one of `instance_id`'s published keys
    /// signed it, it was issued by `issuer`, has not expired (a minute of
    /// leeway) and its header `typ` is `typ` (case-insensitive) when given.
    /// `None` for anything else: a foreign, altered or expired token.
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer.
    pub async fn verify(
        &self,
        instance_id: &str,
        issuer: &str,
        typ: Option<&str>,
        token: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, OidcError> {
        self.verify_with(instance_id, issuer, typ, token, true)
            .await
    }

    /// As [`Self::verify`], but an expired token passes: for an
    /// `id_token_hint`, which names a past login (RP-Initiated Logout
    /// 1.0 §2). It must still be signed by a key the instance publishes.
    ///
    /// # Errors
    /// [`OidcError`] when the store cannot answer.
    pub async fn verify_hint(
        &self,
        instance_id: &str,
        issuer: &str,
        typ: Option<&str>,
        token: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, OidcError> {
        self.verify_with(instance_id, issuer, typ, token, false)
            .await
    }

    async fn verify_with(
        &self,
        instance_id: &str,
        issuer: &str,
        typ: Option<&str>,
        token: &str,
        check_exp: bool,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, OidcError> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if let Some(typ) = typ
            && !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(typ))
        {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let mut set = self.current(instance_id).await?;
        if set.key(&kid).is_none() {
            // Another node may have added it since this one last read.
            self.sets.invalidate(instance_id);
            set = self.current(instance_id).await?;
        }
        let now = Utc::now();
        let Some(key) = set
            .published(now)
            .into_iter()
            .find(|k| k.key_id == kid && jws_alg(k.algorithm) == header.alg)
        else {
            return Ok(None);
        };
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_issuer(&[issuer]);
        validation.validate_aud = false;
        validation.validate_exp = check_exp;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let decoding = key.decoding_key()?;
        Ok(
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
                token,
                &decoding,
                &validation,
            )
            .ok()
            .map(|data| data.claims),
        )
    }

    /// The instance's JWKS (RFC 7517 §5): every published key.
    ///
    /// # Errors
    /// As [`SigningKeys::current`].
    pub async fn jwks(&self, instance_id: &str) -> Result<serde_json::Value, OidcError> {
        let set = self.current(instance_id).await?;
        let keys: Vec<serde_json::Value> = set
            .published(Utc::now())
            .into_iter()
            .map(SigningKey::jwk)
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Reads `instance_id`'s key set from the store and caches it.
    async fn read(&self, instance_id: &str) -> Result<Arc<KeySet>, OidcError> {
        let events = self
            .store
            .query(&EventQuery::aggregate(&aggregate(instance_id)))
            .await?;
        let set = Arc::new(KeySet::from_events(&events));
        self.sets.insert(instance_id.to_owned(), set.clone());
        Ok(set)
    }

    /// Adds the key that is due, unless another writer did first; the set
    /// afterwards.
    async fn rotate(&self, instance_id: &str) -> Result<Arc<KeySet>, OidcError> {
        loop {
            let set = self.read(instance_id).await?;
            let Some(activates_at) = set.next_activation(Utc::now(), &self.config) else {
                return Ok(set);
            };
            let keyring = self.keyring()?;
            let algorithm = self.config.algorithm;
            let (private, public) = tokio::task::spawn_blocking(move || generate(algorithm))
                .await
                .map_err(|e| OidcError::server(format!("key generation failed: {e}")))??;
            let key_id = uuid::Uuid::now_v7().simple().to_string();
            let added = KeyAdded {
                key_id: key_id.clone(),
                algorithm: alg_name(algorithm).to_owned(),
                public_key: public,
                private_key: keyring.seal(SIGNING_KEY, instance_id, &private),
                activates_at,
            };
            let event = NewEvent::new(KEY_ADDED, payload(&added)?, "system");
            let push = Push::new(
                aggregate(instance_id),
                ExpectedSequence::Exact(set.sequence),
                vec![event],
            );
            match self.store.push(push).await {
                Ok(_) => {
                    tracing::info!(instance = instance_id, key_id, %activates_at, "signing key added");
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// The private half of `key`, opened once per node.
    fn open(&self, instance_id: &str, key: &SigningKey) -> Result<Arc<EncodingKey>, OidcError> {
        let cache_key = format!("{}:{}", key.key_id, key.sealed.len());
        if let Some(opened) = self.opened.get(&cache_key) {
            return Ok(opened);
        }
        let der = self
            .keyring()?
            .open(SIGNING_KEY, instance_id, &key.sealed)
            .map_err(|e| OidcError::server(format!("signing key {}: {e}", key.key_id)))?;
        let encoding = Arc::new(match key.algorithm {
            SigningAlgorithm::ES256 => EncodingKey::from_ec_der(&der),
            SigningAlgorithm::RS256 => EncodingKey::from_rsa_der(&der),
        });
        self.opened.insert(cache_key, encoding.clone());
        Ok(encoding)
    }

    fn keyring(&self) -> Result<&Keyring, OidcError> {
        self.keyring
            .get()
            .ok_or_else(|| OidcError::unavailable("the masterkey is not verified yet"))
    }
}

fn aggregate(instance_id: &str) -> AggregateRef {
    AggregateRef::new(instance_id, AGGREGATE_TYPE, instance_id)
}

fn payload<T: Serialize>(value: &T) -> Result<serde_json::Value, OidcError> {
    serde_json::to_value(value).map_err(|e| OidcError::server(e.to_string()))
}

/// A new key pair of `algorithm`: the private key's DER (PKCS#8 for ES256,
/// PKCS#1 for RS256) and the public JWK's key members. Blocking (RSA key
/// generation takes a while).
fn generate(
    algorithm: SigningAlgorithm,
) -> Result<(Vec<u8>, serde_json::Map<String, serde_json::Value>), OidcError> {
    let b64 = |bytes: &[u8]| serde_json::Value::from(URL_SAFE_NO_PAD.encode(bytes));
    let mut jwk = serde_json::Map::new();
    match algorithm {
        SigningAlgorithm::ES256 => {
            use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
            let rng = ring::rand::SystemRandom::new();
            let failed = |e: &dyn std::fmt::Display| {
                OidcError::server(format!("an ES256 key could not be made: {e}"))
            };
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|e| failed(&e))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|e| failed(&e))?;
            // Uncompressed point: 0x04 ‖ x ‖ y.
            let point = pair.public_key().as_ref();
            jwk.insert("kty".into(), "EC".into());
            jwk.insert("crv".into(), "P-256".into());
            jwk.insert("x".into(), b64(&point[1..33]));
            jwk.insert("y".into(), b64(&point[33..65]));
            Ok((pkcs8.as_ref().to_vec(), jwk))
        }
        SigningAlgorithm::RS256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey as _;
            use rsa::traits::PublicKeyParts as _;
            let failed = |e: &dyn std::fmt::Display| {
                OidcError::server(format!("an RS256 key could not be made: {e}"))
            };
            let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
                .map_err(|e| failed(&e))?;
            let der = private.to_pkcs1_der().map_err(|e| failed(&e))?;
            jwk.insert("kty".into(), "RSA".into());
            jwk.insert("n".into(), b64(&private.n().to_bytes_be()));
            jwk.insert("e".into(), b64(&private.e().to_bytes_be()));
            Ok((der.as_bytes().to_vec(), jwk))
        }
    }
}

/// Seals again with `ring`'s current key every signing key sealed with
/// another one (each instance's keys, as `signing_keys.key.resealed`
/// events at the aggregate's sequence); how many it re-sealed. Part of a
/// masterkey rotation.
///
/// # Errors
/// The store's; [`crate::masterkey::SealError`] as text when a key cannot be
/// opened with any key of the ring.
pub async fn reseal(store: &dyn EventStore, ring: &Keyring) -> Result<usize, StoreError> {
    let added = EventQuery::new()
        .aggregate_type(AGGREGATE_TYPE)
        .event_type(KEY_ADDED);
    let instances = crate::eventstore::aggregate_ids(store, &added).await?;
    let mut resealed = 0;
    for instance in instances {
        loop {
            let events = store
                .query(&EventQuery::aggregate(&aggregate(&instance)))
                .await?;
            let set = KeySet::from_events(&events);
            let mut pending = Vec::new();
            for key in &set.keys {
                if ring.sealed_with_current(&key.sealed) {
                    continue;
                }
                let opened = ring
                    .open(SIGNING_KEY, &instance, &key.sealed)
                    .map_err(|e| {
                        StoreError::InvalidPush(format!(
                            "signing key {} of instance {instance}: {e}",
                            key.key_id
                        ))
                    })?;
                let event = KeyResealed {
                    key_id: key.key_id.clone(),
                    private_key: ring.seal(SIGNING_KEY, &instance, &opened),
                };
                let payload = serde_json::to_value(&event)
                    .map_err(|e| StoreError::InvalidPush(e.to_string()))?;
                pending.push(NewEvent::new(KEY_RESEALED, payload, "system"));
            }
            if pending.is_empty() {
                break;
            }
            let count = pending.len();
            let push = Push::new(
                aggregate(&instance),
                ExpectedSequence::Exact(set.sequence),
                pending,
            );
            match store.push(push).await {
                Ok(_) => {
                    resealed += count;
                    break;
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => return Err(other),
            }
        }
    }
    Ok(resealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SigningKeysConfig {
        SigningKeysConfig {
            algorithm: SigningAlgorithm::ES256,
            rotation_interval: Duration::from_secs(30 * 24 * 3600),
            publish_ahead: Duration::from_secs(3600),
        }
    }

    fn key(id: &str, activates_at: DateTime<Utc>) -> SigningKey {
        SigningKey {
            key_id: id.into(),
            algorithm: SigningAlgorithm::ES256,
            activates_at,
            public: serde_json::Map::new(),
            sealed: String::new(),
        }
    }

    fn set(keys: Vec<SigningKey>) -> KeySet {
        KeySet { keys, sequence: 1 }
    }

    #[test]
    fn given_no_key_then_one_is_due_at_once() {
        let now = Utc::now();
        assert_eq!(KeySet::default().next_activation(now, &config()), Some(now));
    }

    #[test]
    fn given_a_young_key_then_nothing_is_due() {
        let now = Utc::now();
        let keys = set(vec![key("a", now - chrono::TimeDelta::days(10))]);
        assert_eq!(keys.next_activation(now, &config()), None);
        assert_eq!(keys.signing(now).unwrap().key_id, "a");
    }

    #[test]
    fn given_a_key_near_its_rotation_then_the_next_activates_at_the_interval_and_is_published_first()
     {
        let now = Utc::now();
        let started = now - chrono::TimeDelta::days(30) + chrono::TimeDelta::minutes(30);
        let keys = set(vec![key("a", started)]);
        let next = keys.next_activation(now, &config()).unwrap();
        // Due 1h before the interval ends; it activates when it ends, which
        // is sooner than PublishAhead from now, so PublishAhead wins.
        assert_eq!(next, now + chrono::TimeDelta::hours(1));
        let keys = set(vec![key("a", started), key("b", next)]);
        assert_eq!(keys.next_activation(now, &config()), None, "one successor");
        assert_eq!(
            keys.signing(now).unwrap().key_id,
            "a",
            "b is not active yet"
        );
        let published: Vec<_> = keys
            .published(now)
            .iter()
            .map(|k| k.key_id.clone())
            .collect();
        assert_eq!(published, ["a", "b"], "b is published before it signs");
    }

    #[test]
    fn given_an_idle_instance_past_its_rotation_then_the_next_key_still_waits_publish_ahead() {
        let now = Utc::now();
        let keys = set(vec![key("a", now - chrono::TimeDelta::days(90))]);
        assert_eq!(
            keys.next_activation(now, &config()),
            Some(now + chrono::TimeDelta::hours(1))
        );
    }

    #[test]
    fn given_a_replaced_key_then_it_stays_published_until_its_last_token_expired() {
        let now = Utc::now();
        let replaced_at = now - chrono::TimeDelta::hours(23);
        let keys = set(vec![
            key("old", now - chrono::TimeDelta::days(60)),
            key("a", now - chrono::TimeDelta::days(31)),
            key("b", replaced_at),
        ]);
        let published: Vec<_> = keys
            .published(now)
            .iter()
            .map(|k| k.key_id.clone())
            .collect();
        assert_eq!(
            published,
            ["a", "b"],
            "old's successor activated a month ago"
        );
        let later = replaced_at + chrono::TimeDelta::hours(25);
        let published: Vec<_> = keys
            .published(later)
            .iter()
            .map(|k| k.key_id.clone())
            .collect();
        assert_eq!(published, ["b"]);
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for algorithm in [SigningAlgorithm::ES256, SigningAlgorithm::RS256] {
            let (der, public) = generate(algorithm).unwrap();
            let key = SigningKey {
                key_id: "k".into(),
                algorithm,
                activates_at: Utc::now(),
                public,
                sealed: String::new(),
            };
            let encoding = match algorithm {
                SigningAlgorithm::ES256 => EncodingKey::from_ec_der(&der),
                SigningAlgorithm::RS256 => EncodingKey::from_rsa_der(&der),
            };
            let claims =
                serde_json::json!({ "iss": "https://x", "exp": Utc::now().timestamp() + 60 });
            let token = jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jws_alg(algorithm)),
                &claims,
                &encoding,
            )
            .unwrap();
            let mut validation = jsonwebtoken::Validation::new(jws_alg(algorithm));
            validation.set_issuer(&["https://x"]);
            let decoded = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &key.decoding_key().unwrap(),
                &validation,
            );
            assert!(decoded.is_ok(), "{algorithm:?}: {decoded:?}");
            assert_eq!(key.jwk()["kid"], "k");
        }
    }
}
