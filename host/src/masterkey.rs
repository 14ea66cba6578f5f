//! # Masterkey
//!
//! The 32-byte key that encrypts secrets at rest (signing keys, client
//! secrets, TOTP seeds) with AES-256-GCM. It is given by `--masterkey`,
//! `--masterkey-file` or `RAMPART_MASTERKEY`; on the embedded SQLite default
//! with none given, one is generated into the data directory (mode 0600) so
//! the first run needs no flags. On PostgreSQL a missing key is an error: the
//! nodes of a cluster must share it, so it cannot be made up by one of them.
//!
//! The store remembers a value encrypted with the key it was set up with
//! ([`MasterKey::verify_against`]), so starting with a different key fails
//! at once instead of corrupting secrets later.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::distr::{Alphanumeric, SampleString};

use crate::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};

/// Length of a masterkey in bytes.
pub const KEY_LEN: usize = 32;
/// File name of a generated masterkey inside the SQLite data directory.
pub const GENERATED_FILE: &str = "masterkey";

/// The key that encrypts secrets at rest.
#[derive(Clone)]
pub struct MasterKey([u8; KEY_LEN]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Where the masterkey came from (for the start-up notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--masterkey`.
    Flag,
    /// `--masterkey-file`.
    File(PathBuf),
    /// `RAMPART_MASTERKEY`.
    Env,
    /// Read from the data directory, where an earlier run generated it.
    DataDir(PathBuf),
    /// Generated now into the data directory.
    Generated(PathBuf),
}

/// Why no usable masterkey was found.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// The key is not 32 bytes.
    #[error(
        "the masterkey from {origin} is {len} bytes long; it must be exactly 32 bytes (e.g. 32 ASCII characters)"
    )]
    WrongLength {
        /// Where it came from.
        origin: String,
        /// Its length.
        len: usize,
    },
    /// None given where one is required.
    #[error(
        "no masterkey given: PostgreSQL deployments must pass the same 32-byte key to every node, \
         by --masterkey-file FILE, --masterkey KEY or the RAMPART_MASTERKEY environment variable \
         (generate one with: tr -dc A-Za-z0-9 </dev/urandom | head -c 32 > masterkey)"
    )]
    Missing,
    /// A key file could not be read or written.
    #[error("masterkey file {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The key does not decrypt what the store was set up with.
    #[error(
        "the masterkey does not match the one this store was set up with; \
         start with the original key (secrets encrypted with it cannot be read otherwise)"
    )]
    Mismatch,
    /// Reading or writing the key check in the store failed.
    #[error("checking the masterkey against the store failed: {0}")]
    Store(#[from] StoreError),
}

/// The masterkey inputs, highest priority first.
#[derive(Debug, Clone, Default)]
pub struct KeyInputs {
    /// `--masterkey`.
    pub flag: Option<String>,
    /// `--masterkey-file`.
    pub file: Option<PathBuf>,
    /// `RAMPART_MASTERKEY`.
    pub env: Option<String>,
}

impl MasterKey {
    /// Picks the key from `inputs`; when none is given and `generate_in` is a
    /// directory (the SQLite default), reads or creates `<dir>/masterkey`.
    ///
    /// # Errors
    /// [`MasterKeyError::Missing`], [`MasterKeyError::WrongLength`] or
    /// [`MasterKeyError::Io`].
    pub fn resolve(
        inputs: &KeyInputs,
        generate_in: Option<&Path>,
    ) -> Result<(Self, KeySource), MasterKeyError> {
        if let Some(k) = &inputs.flag {
            return Ok((Self::from_text(k, "--masterkey")?, KeySource::Flag));
        }
        if let Some(path) = &inputs.file {
            let text = read_key_file(path)?;
            let source = format!("--masterkey-file {}", path.display());
            return Ok((
                Self::from_text(&text, &source)?,
                KeySource::File(path.clone()),
            ));
        }
        if let Some(k) = &inputs.env {
            return Ok((Self::from_text(k, "RAMPART_MASTERKEY")?, KeySource::Env));
        }
        let Some(dir) = generate_in else {
            return Err(MasterKeyError::Missing);
        };
        let path = dir.join(GENERATED_FILE);
        if path.exists() {
            let text = read_key_file(&path)?;
            return Ok((
                Self::from_text(&text, &path.display().to_string())?,
                KeySource::DataDir(path),
            ));
        }
        let text = Alphanumeric.sample_string(&mut rand::rng(), KEY_LEN);
        write_private(&path, &text).map_err(|error| MasterKeyError::Io {
            path: path.clone(),
            error,
        })?;
        Ok((
            Self::from_text(&text, "generated")?,
            KeySource::Generated(path),
        ))
    }

    /// A key from its text form (trailing newlines ignored).
    ///
    /// # Errors
    /// [`MasterKeyError::WrongLength`] unless exactly 32 bytes.
    pub fn from_text(text: &str, source: &str) -> Result<Self, MasterKeyError> {
        let bytes = text.trim_end_matches(['\n', '\r']).as_bytes();
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| MasterKeyError::WrongLength {
            origin: source.to_owned(),
            len: bytes.len(),
        })?;
        Ok(Self(key))
    }

    /// Encrypts `plaintext`; the output carries its own random nonce.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        out.extend(cipher.encrypt(&nonce, plaintext).unwrap_or_default());
        out
    }

    /// Decrypts what [`MasterKey::encrypt`] produced; `None` when the key is
    /// wrong or the data was altered.
    pub fn decrypt(&self, data: &[u8]) -> Option<Vec<u8>> {
        if data.len() < 12 {
            return None;
        }
        let (nonce, body) = data.split_at(12);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        cipher.decrypt(Nonce::from_slice(nonce), body).ok()
    }

    /// Checks the key against the store: the first start records a value
    /// encrypted with it (an event of the `system` instance), later starts
    /// must decrypt that value.
    ///
    /// # Errors
    /// [`MasterKeyError::Mismatch`] when the key differs from the recorded one.
    pub async fn verify_against(&self, store: &Arc<dyn EventStore>) -> Result<(), MasterKeyError> {
        let aggregate = AggregateRef::new("system", "system", "masterkey");
        let recorded = store
            .query(&EventQuery::aggregate(&aggregate).limit(1))
            .await?;
        if let Some(event) = recorded.first() {
            let data = event.payload["check"].as_str().and_then(hex_decode);
            return match data.and_then(|d| self.decrypt(&d)) {
                Some(p) if p == CHECK_PLAINTEXT => Ok(()),
                _ => Err(MasterKeyError::Mismatch),
            };
        }
        let check = hex_encode(&self.encrypt(CHECK_PLAINTEXT));
        let event = NewEvent::new(
            "system.masterkey.set",
            serde_json::json!({ "check": check }),
            "system",
        );
        match store
            .push(Push::new(
                aggregate,
                ExpectedSequence::Exact(0),
                vec![event],
            ))
            .await
        {
            // Another node recorded it first: verify against theirs.
            Err(StoreError::Conflict { .. }) => Box::pin(self.verify_against(store)).await,
            other => other.map(drop).map_err(Into::into),
        }
    }
}

const CHECK_PLAINTEXT: &[u8] = b"rampart masterkey check v1";

fn read_key_file(path: &Path) -> Result<String, MasterKeyError> {
    std::fs::read_to_string(path).map_err(|error| MasterKeyError::Io {
        path: path.to_owned(),
        error,
    })
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        crate::private_files::create_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_then_decrypt_round_trips_and_a_wrong_key_fails() {
        let key = MasterKey::from_text("0123456789abcdef0123456789abcdef", "test").unwrap();
        let other = MasterKey::from_text("fedcba9876543210fedcba9876543210", "test").unwrap();
        let sealed = key.encrypt(b"client secret");
        assert_eq!(key.decrypt(&sealed).as_deref(), Some(&b"client secret"[..]));
        assert_eq!(other.decrypt(&sealed), None);
    }

    #[test]
    fn a_key_of_the_wrong_length_names_its_source_and_length() {
        let err = MasterKey::from_text("short", "--masterkey")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--masterkey is 5 bytes long"), "{err}");
        assert!(err.contains("exactly 32 bytes"), "{err}");
    }

    #[test]
    fn without_inputs_a_key_is_generated_once_with_mode_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = MasterKey::resolve(&KeyInputs::default(), Some(dir.path())).unwrap();
        assert!(matches!(source, KeySource::Generated(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(GENERATED_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = MasterKey::resolve(&KeyInputs::default(), Some(dir.path())).unwrap();
        assert!(matches!(source, KeySource::DataDir(_)));
        assert_eq!(first.0, again.0);
    }

    #[test]
    fn without_inputs_and_without_a_data_dir_the_error_says_how_to_give_one() {
        let err = MasterKey::resolve(&KeyInputs::default(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--masterkey-file"), "{err}");
        assert!(err.contains("RAMPART_MASTERKEY"), "{err}");
    }

    #[test]
    fn flag_wins_over_file_and_env() {
        let inputs = KeyInputs {
            flag: Some("a".repeat(32)),
            file: Some("/nonexistent".into()),
            env: Some("b".repeat(32)),
        };
        let (key, source) = MasterKey::resolve(&inputs, None).unwrap();
        assert_eq!(source, KeySource::Flag);
        assert_eq!(key.0, [b'a'; 32]);
    }
}
