//! # Masterkey
//!
//! The 32-byte key secrets at rest are sealed with. It is given by
//! `--masterkey-file`, `RAMPART_MASTERKEY` or `--masterkey` (which shows in
//! `ps`: a warning says so); on the embedded SQLite default with none given,
//! one is generated into the data directory (mode 0600) so the first run
//! needs no flags. On PostgreSQL a missing key is an error: the nodes of a
//! cluster must share it, so it cannot be made up by one of them. A key that
//! looks human-chosen is refused.
//!
//! - [`keyring`]: keys derived per purpose (Argon2id, then HKDF), the sealed
//!   format with its key id and associated data;
//! - [`check`]: the store's record of its key, checked at every start, and
//!   the rotation to a new key (`rampart masterkey rotate`).
//!
//! During a rotation a node is given the previous key too
//! (`--previous-masterkey-file` or `RAMPART_MASTERKEY_PREVIOUS`): it opens
//! what either key sealed, and seals with the new one.

pub mod check;
pub mod keyring;

pub use check::{Rotation, rotate, verify};
pub use keyring::{Keyring, Purpose, SealError};

use std::path::{Path, PathBuf};

use rand::distr::{Alphanumeric, SampleString};

use crate::eventstore::StoreError;

/// Length of a masterkey in bytes.
pub const KEY_LEN: usize = 32;
/// Fewest different bytes a key may have: 32 random characters of even the
/// smallest usual alphabet (hex) have about 14; a repeated word has few.
pub const MIN_DISTINCT_BYTES: usize = 10;
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
    /// The key looks human-chosen.
    #[error(
        "the masterkey from {origin} has only {distinct} different characters and looks \
         human-chosen; use 32 random characters (tr -dc A-Za-z0-9 </dev/urandom | head -c 32)"
    )]
    Weak {
        /// Where it came from.
        origin: String,
        /// How many different bytes it has.
        distinct: usize,
    },
    /// The key does not decrypt what the store was set up with.
    #[error(
        "the masterkey does not match the one this store was set up with; \
         start with the original key (secrets sealed with it cannot be read otherwise), \
         or give it as the previous key to rotate (docs/operations.md, \"The masterkey\")"
    )]
    Mismatch,
    /// The store's masterkey record is of an unknown format (a newer
    /// version wrote it).
    #[error("the store's masterkey record is of a format this version does not know")]
    UnreadableRecord,
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
    /// `--previous-masterkey-file`, during a rotation.
    pub previous_file: Option<PathBuf>,
    /// `RAMPART_MASTERKEY_PREVIOUS`, during a rotation.
    pub previous_env: Option<String>,
}

impl KeyInputs {
    /// The previous key of a rotation, if one was given.
    ///
    /// # Errors
    /// As [`MasterKey::from_text`], or [`MasterKeyError::Io`].
    pub fn previous(&self) -> Result<Option<MasterKey>, MasterKeyError> {
        if let Some(path) = &self.previous_file {
            let text = read_key_file(path)?;
            let origin = format!("--previous-masterkey-file {}", path.display());
            return MasterKey::from_text(&text, &origin).map(Some);
        }
        self.previous_env
            .as_deref()
            .map(|k| MasterKey::from_text(k, "RAMPART_MASTERKEY_PREVIOUS"))
            .transpose()
    }
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
        crate::private_files::write_new(&path, text.as_bytes()).map_err(|error| {
            MasterKeyError::Io {
                path: path.clone(),
                error,
            }
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
        let distinct = key.iter().collect::<std::collections::BTreeSet<_>>().len();
        if distinct < MIN_DISTINCT_BYTES {
            return Err(MasterKeyError::Weak {
                origin: source.to_owned(),
                distinct,
            });
        }
        Ok(Self(key))
    }

    /// The key's bytes, for deriving keys from it.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

fn read_key_file(path: &Path) -> Result<String, MasterKeyError> {
    std::fs::read_to_string(path).map_err(|error| MasterKeyError::Io {
        path: path.to_owned(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_human_chosen_key_is_refused_naming_its_source() {
        for weak in [
            "a".repeat(32),
            "passwordpasswordpasswordpassword".to_owned(),
        ] {
            let err = MasterKey::from_text(&weak, "RAMPART_MASTERKEY")
                .unwrap_err()
                .to_string();
            assert!(err.contains("RAMPART_MASTERKEY"), "{err}");
            assert!(err.contains("looks human-chosen"), "{err}");
        }
        MasterKey::from_text("Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe", "test").unwrap();
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
        let flag = "Zq4V9xM2rT7pL0sB8nW3cY6hJ1kD5fGe";
        let inputs = KeyInputs {
            flag: Some(flag.to_owned()),
            file: Some("/nonexistent".into()),
            env: Some("pR8sK2mN6vX0cQ4wE9tY3uI7oA1dF5gH".to_owned()),
            ..KeyInputs::default()
        };
        let (key, source) = MasterKey::resolve(&inputs, None).unwrap();
        assert_eq!(source, KeySource::Flag);
        assert_eq!(&key.0, flag.as_bytes());
    }
}
