//! RSA key pairs for machine users and `private_key_jwt` applications,
//! and the JSON key files their private halves are handed out in.
//!
//! The host generates a 2048-bit pair per added key (the `rsa` crate, the
//! operating system's randomness), keeps only the public half (PEM,
//! SubjectPublicKeyInfo, in the `…key.added` event) and returns the private
//! half once, PKCS#1 PEM inside a JSON key file shaped like ZITADEL's, so
//! the same client libraries read it:
//!
//! ```json
//! {"type":"serviceaccount","keyId":"…","key":"-----BEGIN RSA PRIVATE KEY-----…","userId":"…","expirationDate":"…"}
//! {"type":"application","keyId":"…","key":"-----BEGIN RSA PRIVATE KEY-----…","appId":"…","clientId":"<app>@<project>"}
//! ```
//!
//! Generating takes tens to hundreds of milliseconds of CPU: it runs on the
//! blocking pool, [`MAX_CONCURRENT`] at once, once per command execution
//! and only when the decision allows the key (a retry after a conflict
//! reuses the pair).

use std::fmt;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rsa::pkcs1::der::zeroize::Zeroizing;
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::EncodePublicKey;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::CommandError;

/// Bits of a generated RSA modulus.
pub(crate) const KEY_BITS: usize = 2048;

/// Key pairs generated at once, at most; more wait for a turn (holding no
/// thread), so a burst of key requests cannot take every core.
pub(crate) const MAX_CONCURRENT: usize = 2;

/// How long a key lives when the caller names no expiry.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::days(365);

/// The longest a key may live: 10 years (and the leap days in them).
pub(crate) const MAX_LIFETIME: Duration = Duration::days(3653);

/// Turns to generate a pair.
static PERMITS: Semaphore = Semaphore::const_new(MAX_CONCURRENT);

/// A freshly generated RSA key pair. `Debug` leaves the private key out;
/// the host's own copy of the private PEM is wiped from memory when
/// dropped (the copy an API answer is encoded into is not).
#[derive(Clone)]
pub(crate) struct KeyPair {
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`): stored.
    pub(crate) public_pem: String,
    /// The private key, PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`):
    /// handed out once, never stored.
    private_pem: Zeroizing<String>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_pem", &self.public_pem)
            .field("private_pem", &"<redacted>")
            .finish()
    }
}

impl KeyPair {
    /// A new pair of [`KEY_BITS`], generated on the blocking pool, at most
    /// [`MAX_CONCURRENT`] at once.
    ///
    /// # Errors
    /// [`CommandError::Internal`] when generating or encoding failed, or
    /// the generating task died.
    pub(crate) async fn generate() -> Result<Self, CommandError> {
        let permit = PERMITS
            .acquire()
            .await
            .map_err(|err| CommandError::Internal(format!("key generation stopped: {err}")))?;
        // The permit goes with the work: a caller that stops waiting does
        // not free a turn while the pair is still being made.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            Self::generate_now()
        })
        .await
        .map_err(|err| CommandError::Internal(format!("key generation failed: {err}")))?
    }

    /// A new pair, generated on this thread.
    fn generate_now() -> Result<Self, CommandError> {
        let failed = |err: &dyn fmt::Display| {
            CommandError::Internal(format!("an RSA key pair could not be made: {err}"))
        };
        let private =
            RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS).map_err(|e| failed(&e))?;
        let public_pem = RsaPublicKey::from(&private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| failed(&e))?;
        let private_pem = private
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| failed(&e))?;
        Ok(Self {
            public_pem,
            private_pem,
        })
    }

    /// The private key, PKCS#1 PEM.
    pub(crate) fn private_pem(&self) -> &str {
        &self.private_pem
    }
}

/// The expiry of a new key: `requested`, or [`DEFAULT_LIFETIME`] from
/// `now`.
///
/// # Errors
/// [`CommandError::InvalidArgument`] when `requested` is not after `now`
/// or more than [`MAX_LIFETIME`] away.
pub(crate) fn expiry(
    requested: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, CommandError> {
    let Some(at) = requested else {
        return Ok(now + DEFAULT_LIFETIME);
    };
    if at <= now {
        return Err(CommandError::invalid(format!(
            "the key's expiration date {} is not in the future",
            at.to_rfc3339()
        )));
    }
    if at > now + MAX_LIFETIME {
        return Err(CommandError::invalid(format!(
            "the key's expiration date {} is more than 10 years away",
            at.to_rfc3339()
        )));
    }
    Ok(at)
}

/// A machine user's JSON key file (`"type": "serviceaccount"`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MachineKeyFile<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    key_id: &'a str,
    key: &'a str,
    user_id: &'a str,
    expiration_date: String,
}

/// An application's JSON key file (`"type": "application"`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppKeyFile<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    key_id: &'a str,
    key: &'a str,
    app_id: &'a str,
    client_id: &'a str,
}

/// The JSON key file of machine user `user_id`'s key `key_id`.
pub(crate) fn machine_key_file(
    pair: &KeyPair,
    key_id: &str,
    user_id: &str,
    expires_at: DateTime<Utc>,
) -> Zeroizing<String> {
    to_json(&MachineKeyFile {
        kind: "serviceaccount",
        key_id,
        key: pair.private_pem(),
        user_id,
        expiration_date: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// The JSON key file of application `app_id`'s key `key_id`.
pub(crate) fn app_key_file(
    pair: &KeyPair,
    key_id: &str,
    app_id: &str,
    client_id: &str,
) -> Zeroizing<String> {
    to_json(&AppKeyFile {
        kind: "application",
        key_id,
        key: pair.private_pem(),
        app_id,
        client_id,
    })
}

/// `file` as JSON text.
fn to_json<T: Serialize>(file: &T) -> Zeroizing<String> {
    // A struct of strings always serializes.
    Zeroizing::new(serde_json::to_string(file).expect("key files serialize to JSON"))
}

/// What adding a key wrote, and the key file (shown only here). `Debug`
/// leaves the key file out.
#[derive(Clone)]
pub struct KeyWritten {
    /// Where the events landed.
    pub written: super::Written,
    /// The new key's id.
    pub key_id: String,
    /// When the key stops working.
    pub expires_at: DateTime<Utc>,
    /// The JSON key file with the private key; this copy is wiped from
    /// memory when dropped (the API answer's encoded copy is not).
    pub key_file: Zeroizing<String>,
}

impl fmt::Debug for KeyWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyWritten")
            .field("written", &self.written)
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .field("key_file", &"<redacted>")
            .finish()
    }
}

/// One pair for every test of this crate: generated once, on first use.
#[cfg(test)]
pub(crate) async fn test_pair() -> KeyPair {
    static PAIR: tokio::sync::OnceCell<KeyPair> = tokio::sync::OnceCell::const_new();
    PAIR.get_or_try_init(KeyPair::generate)
        .await
        .expect("a test key pair")
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_no_expiry_then_a_year_and_a_past_or_far_one_is_refused() {
        let now = Utc::now();
        assert_eq!(expiry(None, now).unwrap(), now + DEFAULT_LIFETIME);
        let soon = now + Duration::hours(1);
        assert_eq!(expiry(Some(soon), now).unwrap(), soon);
        for bad in [now, now - Duration::days(1), now + Duration::days(3654)] {
            let err = expiry(Some(bad), now).unwrap_err();
            assert_eq!(err.code(), "INVALID_ARGUMENT", "{err}");
        }
    }

    #[tokio::test]
    async fn given_a_generated_pair_then_the_file_holds_the_private_half_and_debug_hides_it() {
        let pair = KeyPair::generate().await.unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(
            pair.private_pem()
                .starts_with("-----BEGIN RSA PRIVATE KEY-----")
        );
        assert!(!format!("{pair:?}").contains("PRIVATE KEY"));
        let at = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let file = machine_key_file(&pair, "k-1", "u-1", at);
        let json: serde_json::Value = serde_json::from_str(&file).unwrap();
        assert_eq!(json["type"], "serviceaccount");
        assert_eq!(json["keyId"], "k-1");
        assert_eq!(json["userId"], "u-1");
        assert_eq!(json["expirationDate"], "2030-01-01T00:00:00Z");
        assert_eq!(json["key"], pair.private_pem());
        let file = app_key_file(&pair, "k-2", "a-1", "a-1@p-1");
        let json: serde_json::Value = serde_json::from_str(&file).unwrap();
        assert_eq!(json["type"], "application");
        assert_eq!(json["clientId"], "a-1@p-1");
        assert_eq!(json["appId"], "a-1");
    }
}
