//! The store's record of its masterkey: a salt for stretching keys and a
//! value sealed with the current key, as events of the `system` instance.
//! A node started with another key fails at once instead of sealing
//! secrets no other node can open; a rotation re-seals under the new key.
//!
//! Events of aggregate `system/system/masterkey`:
//! - `system.masterkey.set`: the first record. Stores of versions before
//!   key derivation hold `{check}` (hex of a value sealed with the raw key,
//!   without associated data); the first start of this version replaces it.
//! - `system.masterkey.rotated`: a newer record, after a rotation or that
//!   replacement.
//!
//! Both carry `{format: 1, salt, keyId, check}` in this version.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde_json::{Value, json};

use rampart_plugin_sdk::catalogue::{EventPayload, SmtpConfigChanged};

use super::keyring::{Keyring, Purpose, SALT_LEN};
use super::{MasterKey, MasterKeyError};
use crate::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};
use crate::notifier::{NotificationConfig, SMTP_PASSWORD};

/// What the key check is sealed for.
pub const KEY_CHECK: Purpose = Purpose("masterkey-check");
/// The owner the key check is sealed to.
const CHECK_OWNER: &str = "system";
/// What the key check holds.
const CHECK_PLAINTEXT: &[u8] = b"rampart masterkey check";
/// The first record's event type.
const SET: &str = "system.masterkey.set";
/// A later record's event type.
const ROTATED: &str = "system.masterkey.rotated";

fn aggregate() -> AggregateRef {
    AggregateRef::new("system", "system", "masterkey")
}

/// The store's latest record.
enum Record {
    /// None yet: a new store.
    None,
    /// A record of a version before key derivation.
    Legacy { check: Vec<u8> },
    /// A record of this format.
    Current {
        salt: Vec<u8>,
        key_id: String,
        check: String,
    },
}

impl Record {
    fn parse(payload: &Value) -> Option<Self> {
        let text = |field: &str| payload[field].as_str();
        if payload.get("format").is_none() {
            return Some(Record::Legacy {
                check: hex::decode(text("check")?).ok()?,
            });
        }
        (payload["format"] == 1).then_some(())?;
        Some(Record::Current {
            salt: hex::decode(text("salt")?).ok()?,
            key_id: text("keyId")?.to_owned(),
            check: text("check")?.to_owned(),
        })
    }
}

/// The latest record and the aggregate's sequence.
async fn latest(store: &dyn EventStore) -> Result<(Record, u64), MasterKeyError> {
    let events = store.query(&EventQuery::aggregate(&aggregate())).await?;
    let Some(last) = events.last() else {
        return Ok((Record::None, 0));
    };
    let record = Record::parse(&last.payload).ok_or(MasterKeyError::UnreadableRecord)?;
    Ok((record, last.sequence))
}

/// Appends a record sealed with `ring`'s current key after `sequence`;
/// `Ok(false)` when another node appended first.
async fn record(
    store: &dyn EventStore,
    ring: &Keyring,
    salt: &[u8],
    sequence: u64,
) -> Result<bool, MasterKeyError> {
    let event = NewEvent::new(
        if sequence == 0 { SET } else { ROTATED },
        json!({
            "format": 1,
            "salt": hex::encode(salt),
            "keyId": ring.current_id(),
            "check": ring.seal(KEY_CHECK, CHECK_OWNER, CHECK_PLAINTEXT),
        }),
        "system",
    );
    let push = Push::new(aggregate(), ExpectedSequence::Exact(sequence), vec![event]);
    match store.push(push).await {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// Whether the raw `key` opens a record of the versions before derivation.
fn opens_legacy(key: &MasterKey, check: &[u8]) -> bool {
    if check.len() < 12 {
        return false;
    }
    let (nonce, body) = check.split_at(12);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.bytes()))
        .decrypt(Nonce::from_slice(nonce), body)
        .is_ok_and(|p| p == b"rampart masterkey check v1")
}

fn new_salt() -> [u8; SALT_LEN] {
    rand::random()
}

/// Checks `current` (and `previous`, during a rotation) against the store
/// and returns the keyring to seal and open secrets with. A new store
/// records `current`; a record of an older version is replaced.
///
/// # Errors
/// [`MasterKeyError::Mismatch`] when no given key is the recorded one.
pub async fn verify(
    store: &dyn EventStore,
    current: &MasterKey,
    previous: &[MasterKey],
) -> Result<Keyring, MasterKeyError> {
    loop {
        let (record, sequence) = latest(store).await?;
        let (salt, key_id, check) = match record {
            Record::Current {
                salt,
                key_id,
                check,
            } => (salt, key_id, check),
            Record::Legacy { check } if !opens_legacy(current, &check) => {
                return Err(MasterKeyError::Mismatch);
            }
            // A new store, or a record of a version before derivation that
            // `current` opens: record `current` under a new salt.
            Record::None | Record::Legacy { .. } => {
                let salt = new_salt();
                let ring = Keyring::derive(current, previous, &salt);
                if self::record(store, &ring, &salt, sequence).await? {
                    if sequence > 0 {
                        tracing::info!(
                            key_id = ring.current_id(),
                            "the masterkey record was upgraded to derived keys"
                        );
                    }
                    return Ok(ring);
                }
                continue;
            }
        };
        let ring = Keyring::derive(current, previous, &salt);
        if !ring.holds(&key_id) || ring.open(KEY_CHECK, CHECK_OWNER, &check).is_err() {
            return Err(MasterKeyError::Mismatch);
        }
        if key_id != ring.current_id() {
            tracing::warn!(
                recorded = %key_id,
                current = ring.current_id(),
                "the store's secrets are sealed with the previous masterkey: \
                 run `rampart masterkey rotate` to re-seal them with the new one"
            );
        }
        return Ok(ring);
    }
}

/// What [`rotate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key everything is sealed with now.
    pub key_id: String,
    /// How many sealed values were re-sealed (0: they were already).
    pub resealed: usize,
}

/// Re-seals every secret sealed with a previous key under `current`, and
/// records `current` as the store's key. Idempotent.
///
/// Sealed today: the key check, the instances' SMTP passwords and their
/// OIDC signing keys. Secrets
/// added by later features register here, so a rotation never leaves one
/// behind.
///
/// # Errors
/// [`MasterKeyError::Mismatch`] when neither key is the recorded one.
pub async fn rotate(
    store: &dyn EventStore,
    current: &MasterKey,
    previous: &[MasterKey],
) -> Result<Rotation, MasterKeyError> {
    loop {
        let ring = verify(store, current, previous).await?;
        let (record, sequence) = latest(store).await?;
        let Record::Current { salt, key_id, .. } = record else {
            return Err(MasterKeyError::UnreadableRecord);
        };
        if key_id == ring.current_id() {
            return Ok(Rotation {
                key_id,
                resealed: reseal_all(store, &ring).await?,
            });
        }
        if self::record(store, &ring, &salt, sequence).await? {
            return Ok(Rotation {
                key_id: ring.current_id().to_owned(),
                resealed: 1 + reseal_all(store, &ring).await?,
            });
        }
    }
}

/// Re-seals every secret sealed with another key than `ring`'s current
/// one: SMTP passwords, OIDC signing keys and TOTP secrets; how many it
/// re-sealed.
async fn reseal_all(store: &dyn EventStore, ring: &Keyring) -> Result<usize, MasterKeyError> {
    Ok(reseal_smtp_passwords(store, ring).await?
        + crate::oidc::keys::reseal(store, ring).await?
        + crate::command::user::totp::reseal(store, ring).await?)
}

/// Re-seals with `ring`'s current key every instance's SMTP password sealed
/// with another one (an instance's newest `instance.smtp.changed`, pushed
/// again with the password re-sealed); how many it re-sealed.
async fn reseal_smtp_passwords(
    store: &dyn EventStore,
    ring: &Keyring,
) -> Result<usize, MasterKeyError> {
    let with_smtp = EventQuery::new()
        .aggregate_type("instance")
        .event_type(SmtpConfigChanged::TYPE);
    let instances = crate::eventstore::aggregate_ids(store, &with_smtp).await?;
    let mut resealed = 0;
    for id in instances {
        // A concurrent change of the instance starts its check over.
        loop {
            let aggregate = AggregateRef::new(&id, "instance", &id);
            let events = store.query(&EventQuery::aggregate(&aggregate)).await?;
            let sequence = events.last().map_or(0, |e| e.sequence);
            let mut config = NotificationConfig::default();
            for event in &events {
                config.apply(event);
            }
            let Some(mut smtp) = config.smtp else { break };
            let Some(sealed) = smtp.password.take() else {
                break;
            };
            if ring.sealed_with_current(&sealed) {
                break;
            }
            let opened = ring
                .open(SMTP_PASSWORD, &id, &sealed)
                .map_err(|_| MasterKeyError::Mismatch)?;
            smtp.password = Some(ring.seal(SMTP_PASSWORD, &id, &opened));
            let payload = serde_json::to_value(SmtpConfigChanged(smtp))
                .map_err(|e| MasterKeyError::Store(StoreError::InvalidPush(e.to_string())))?;
            let event = NewEvent::new(SmtpConfigChanged::TYPE, payload, "system");
            let push = Push::new(aggregate, ExpectedSequence::Exact(sequence), vec![event]);
            match store.push(push).await {
                Ok(_) => {
                    resealed += 1;
                    break;
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(resealed)
}
