//! Password hashing: argon2id with the parameters of `Commands.PasswordHash`,
//! written as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) so a hash
//! carries its own parameters and old hashes keep verifying after the
//! configuration changes.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::error::CommandError;
use crate::config::PasswordHashConfig;

/// `Commands.PasswordHash` does not describe valid argon2id parameters.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Commands.PasswordHash: {0}")]
pub struct PasswordHashConfigError(String);

/// Hashes new passwords with argon2id. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Arc<Argon2<'static>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with `config`'s memory (whole KiB), iterations and lanes.
    ///
    /// # Errors
    /// [`PasswordHashConfigError`] when argon2 refuses the parameters (e.g.
    /// less than 8 KiB of memory per lane, zero iterations).
    pub fn new(config: &PasswordHashConfig) -> Result<Self, PasswordHashConfigError> {
        let kib = u32::try_from(config.memory.as_u64() / 1024).map_err(|_| {
            PasswordHashConfigError(format!("Memory {} is too large", config.memory))
        })?;
        let params =
            Params::new(kib, config.iterations, config.parallelism, None).map_err(|err| {
                PasswordHashConfigError(format!(
                    "Memory {}, Iterations {}, Parallelism {}: {err}",
                    config.memory, config.iterations, config.parallelism
                ))
            })?;
        Ok(Self {
            argon2: Arc::new(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
        })
    }

    /// The PHC string of `password` with a fresh random salt. Runs on the
    /// blocking pool: one hash takes tens of milliseconds of CPU.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] when argon2 refuses the password
    /// (longer than 4 GiB), [`CommandError::Internal`] when the hashing task
    /// died.
    pub async fn hash(&self, password: &str) -> Result<String, CommandError> {
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| {
                    CommandError::invalid(format!("the password cannot be hashed: {err}"))
                })
        })
        .await
        .map_err(|err| CommandError::Internal(format!("password hashing failed: {err}")))?
    }
}

/// Whether `password` matches the PHC string `hash` (with the parameters the
/// hash names). A malformed hash matches nothing. Blocking: call it from
/// `spawn_blocking` on a request path.
pub fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kib: u64, iterations: u32) -> PasswordHashConfig {
        PasswordHashConfig {
            memory: bytesize::ByteSize::kib(kib),
            iterations,
            parallelism: 1,
        }
    }

    #[tokio::test]
    async fn given_a_password_when_hashed_then_it_is_argon2id_and_verifies() {
        let hasher = PasswordHasher::new(&config(64, 1)).unwrap();
        let hash = hasher.hash("Correct-Horse-1").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(verify(&hash, "Correct-Horse-1"));
        assert!(!verify(&hash, "correct-horse-1"));
        assert!(!verify("not a hash", "Correct-Horse-1"));
        let again = hasher.hash("Correct-Horse-1").await.unwrap();
        assert_ne!(hash, again, "every hash gets its own salt");
    }

    #[test]
    fn given_invalid_parameters_when_building_then_the_config_key_is_named() {
        let err = PasswordHasher::new(&config(1, 1)).unwrap_err();
        assert!(
            err.to_string().starts_with("Commands.PasswordHash:"),
            "{err}"
        );
        assert!(PasswordHasher::new(&config(19 * 1024, 0)).is_err());
    }
}
