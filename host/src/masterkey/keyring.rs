//! The keys derived from masterkeys, and the sealed format of secrets.
//!
//! A masterkey is stretched once with Argon2id over a salt the store keeps
//! (a human-chosen key costs an attacker an Argon2id run per guess), and
//! every purpose gets its own AES-256-GCM key from it by HKDF-SHA256. A
//! sealed secret names its format version and the key it was sealed with,
//! and its associated data binds it to its purpose and owner:
//!
//! ```text
//! v1:<key id, 16 hex>:<base64url(nonce ‖ ciphertext ‖ tag)>
//! associated data: "rampart/v1|<key id>|<purpose>|<owner>"
//! ```
//!
//! A keyring holds the current key (which seals) and, during a rotation,
//! previous ones (which still open what they sealed).

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sha2::Sha256;

use super::MasterKey;

/// The version tag of sealed secrets.
const VERSION: &str = "v1";
/// Bytes of an AES-GCM nonce.
const NONCE_LEN: usize = 12;
/// Length of a salt, in bytes.
pub const SALT_LEN: usize = 16;

/// What a sealed secret is for: part of its associated data and of the key
/// that seals it, so a secret of one purpose cannot pass for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose(pub &'static str);

/// Why a sealed secret could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not `v1:<key id>:<data>`.
    #[error("not a sealed secret of a known format")]
    Malformed,
    /// Sealed with a masterkey this keyring does not hold.
    #[error("sealed with masterkey {0}, which this node was not given")]
    UnknownKey(String),
    /// The key is known but the data, purpose or owner do not match.
    #[error("the sealed secret was altered, or belongs to another owner or purpose")]
    Rejected,
}

/// One masterkey, stretched over the store's salt.
#[derive(Clone)]
struct Derived {
    id: String,
    root: [u8; 32],
}

impl Derived {
    fn new(key: &MasterKey, salt: &[u8]) -> Self {
        let mut root = [0u8; 32];
        // Parameters fixed by the format: every node derives the same root.
        let params = argon2::Params::new(19 * 1024, 2, 1, Some(32))
            .expect("constant Argon2id parameters are valid");
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(key.bytes(), salt, &mut root)
            .expect("a 16-byte salt and a 32-byte output are accepted");
        let mut id = [0u8; 8];
        expand(&root, "rampart/key-id", &mut id);
        Self {
            id: hex::encode(id),
            root,
        }
    }

    fn cipher(&self, purpose: Purpose) -> Aes256Gcm {
        let mut key = [0u8; 32];
        expand(
            &self.root,
            &format!("rampart/{VERSION}/{}", purpose.0),
            &mut key,
        );
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))
    }
}

fn expand(root: &[u8; 32], info: &str, out: &mut [u8]) {
    Hkdf::<Sha256>::from_prk(root)
        .expect("a 32-byte pseudorandom key")
        .expand(info.as_bytes(), out)
        .expect("outputs of at most 32 bytes");
}

fn associated_data(key_id: &str, purpose: Purpose, owner: &str) -> String {
    format!("rampart/{VERSION}|{key_id}|{}|{owner}", purpose.0)
}

/// The current key and, during a rotation, the previous ones.
#[derive(Clone)]
pub struct Keyring {
    current: Derived,
    previous: Vec<Derived>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|d| &d.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// `current` and `previous` keys stretched over `salt`.
    pub fn derive(current: &MasterKey, previous: &[MasterKey], salt: &[u8]) -> Self {
        Self {
            current: Derived::new(current, salt),
            previous: previous.iter().map(|k| Derived::new(k, salt)).collect(),
        }
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Whether `sealed` was sealed with the key that seals now (a secret
    /// sealed otherwise is re-sealed after a rotation).
    pub fn sealed_with_current(&self, sealed: &str) -> bool {
        Self::key_id_of(sealed).is_ok_and(|id| id == self.current_id())
    }

    /// Whether `key_id` is one of this keyring's keys.
    pub fn holds(&self, key_id: &str) -> bool {
        self.find(key_id).is_some()
    }

    fn find(&self, key_id: &str) -> Option<&Derived> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|d| d.id == key_id)
    }

    /// Seals `plaintext` for `purpose` and `owner` with the current key.
    pub fn seal(&self, purpose: Purpose, owner: &str, plaintext: &[u8]) -> String {
        let key = &self.current;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = associated_data(&key.id, purpose, owner);
        let sealed = key
            .cipher(purpose)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any in-memory message");
        let mut data = nonce.to_vec();
        data.extend(sealed);
        format!("{VERSION}:{}:{}", key.id, URL_SAFE_NO_PAD.encode(data))
    }

    /// The key id a sealed secret names.
    ///
    /// # Errors
    /// [`SealError::Malformed`].
    pub fn key_id_of(sealed: &str) -> Result<&str, SealError> {
        let mut parts = sealed.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(id), Some(_)) if id.len() == 16 => Ok(id),
            _ => Err(SealError::Malformed),
        }
    }

    /// Opens what [`Keyring::seal`] sealed for the same purpose and owner,
    /// with whichever of its keys sealed it.
    ///
    /// # Errors
    /// See [`SealError`].
    pub fn open(&self, purpose: Purpose, owner: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let key_id = Self::key_id_of(sealed)?;
        let data = sealed
            .rsplit(':')
            .next()
            .and_then(|d| URL_SAFE_NO_PAD.decode(d).ok())
            .filter(|d| d.len() > NONCE_LEN)
            .ok_or(SealError::Malformed)?;
        let key = self
            .find(key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let (nonce, body) = data.split_at(NONCE_LEN);
        let aad = associated_data(key_id, purpose, owner);
        key.cipher(purpose)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::Rejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &[u8; SALT_LEN] = b"0123456789abcdef";
    const SECRET: Purpose = Purpose("test-secret");

    fn key(text: &str) -> MasterKey {
        MasterKey::from_text(text, "test").unwrap()
    }

    fn a() -> MasterKey {
        key("Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe")
    }

    fn b() -> MasterKey {
        key("pR8sK2mN6vX0cQ4wE9tY3uI7oA1dF5gH")
    }

    #[test]
    fn a_sealed_secret_opens_for_its_purpose_and_owner_only() {
        let ring = Keyring::derive(&a(), &[], SALT);
        let sealed = ring.seal(SECRET, "app-1", b"client secret");
        assert!(sealed.starts_with(&format!("v1:{}:", ring.current_id())));
        assert_eq!(
            ring.open(SECRET, "app-1", &sealed).unwrap(),
            b"client secret"
        );
        assert_eq!(
            ring.open(SECRET, "app-2", &sealed),
            Err(SealError::Rejected)
        );
        assert_eq!(
            ring.open(Purpose("other"), "app-1", &sealed),
            Err(SealError::Rejected)
        );
        // One bit of the tag flipped (re-encoded, so the text stays valid
        // base64: changing its last character could leave non-zero padding
        // bits, which the decoder refuses as malformed).
        let (head, data) = sealed.rsplit_once(':').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(data).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let altered = format!("{head}:{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(
            ring.open(SECRET, "app-1", &altered),
            Err(SealError::Rejected)
        );
        assert_eq!(
            ring.open(SECRET, "app-1", "hello"),
            Err(SealError::Malformed)
        );
    }

    #[test]
    fn derivation_depends_on_key_and_salt_and_is_the_same_on_every_node() {
        let one = Keyring::derive(&a(), &[], SALT);
        assert_eq!(
            one.current_id(),
            Keyring::derive(&a(), &[], SALT).current_id()
        );
        assert_ne!(
            one.current_id(),
            Keyring::derive(&b(), &[], SALT).current_id()
        );
        let other_salt = Keyring::derive(&a(), &[], b"fedcba9876543210");
        assert_ne!(one.current_id(), other_salt.current_id());
        let sealed = one.seal(SECRET, "o", b"x");
        assert!(matches!(
            other_salt.open(SECRET, "o", &sealed),
            Err(SealError::UnknownKey(_))
        ));
    }

    #[test]
    fn during_a_rotation_the_previous_key_opens_and_the_new_one_seals() {
        let old = Keyring::derive(&a(), &[], SALT);
        let sealed_before = old.seal(SECRET, "o", b"before");
        let rotating = Keyring::derive(&b(), &[a()], SALT);
        assert_eq!(
            rotating.open(SECRET, "o", &sealed_before).unwrap(),
            b"before"
        );
        let sealed_after = rotating.seal(SECRET, "o", b"after");
        assert_eq!(
            Keyring::key_id_of(&sealed_after).unwrap(),
            rotating.current_id()
        );
        let new_only = Keyring::derive(&b(), &[], SALT);
        assert_eq!(new_only.open(SECRET, "o", &sealed_after).unwrap(), b"after");
        assert_eq!(
            new_only.open(SECRET, "o", &sealed_before),
            Err(SealError::UnknownKey(old.current_id().to_owned()))
        );
    }
}
