//! Password hashing: argon2id with the parameters of `Commands.PasswordHash`,
//! written as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) so a hash
//! carries its own parameters and old hashes keep verifying after the
//! configuration changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::error::CommandError;
use crate::config::PasswordHashConfig;

/// `Commands.PasswordHash` does not describe valid argon2id parameters.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Commands.PasswordHash: {0}")]
pub struct PasswordHashConfigError(String);

/// The gauge of password hashes being computed right now.
pub const HASHES_RUNNING_GAUGE: &str = "rampart_password_hashes_running";

/// Hashes new passwords with argon2id, at most `MaxConcurrent` at once.
/// Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Arc<Argon2<'static>>,
    params: Params,
    permits: Arc<Semaphore>,
    running: Arc<Running>,
}

/// How many hashes run, and the most that ever ran at once.
#[derive(Default)]
struct Running {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Running {
    fn start(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        metrics::gauge!(HASHES_RUNNING_GAUGE).set(now as f64);
    }

    fn end(&self) {
        let now = self.now.fetch_sub(1, Ordering::SeqCst) - 1;
        metrics::gauge!(HASHES_RUNNING_GAUGE).set(now as f64);
    }
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
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let permits = match config.max_concurrent {
            0 => cores.saturating_sub(1).max(1),
            n => n as usize,
        };
        Ok(Self {
            argon2: Arc::new(Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                params.clone(),
            )),
            params,
            permits: Arc::new(Semaphore::new(permits)),
            running: Arc::default(),
        })
    }

    /// The most hashes that ran at once so far (for tests and diagnosis).
    pub fn peak_concurrency(&self) -> usize {
        self.running.peak.load(Ordering::SeqCst)
    }

    /// The PHC string of `password` with a fresh random salt. Runs on the
    /// blocking pool, at most `MaxConcurrent` at once: one hash takes tens
    /// of milliseconds of CPU and `Memory` of RAM. Waiting for a turn holds
    /// no thread.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] when argon2 refuses the password
    /// (longer than 4 GiB), [`CommandError::Internal`] when the hashing task
    /// died.
    pub async fn hash(&self, password: &str) -> Result<String, CommandError> {
        let permit =
            self.permits.clone().acquire_owned().await.map_err(|err| {
                CommandError::Internal(format!("password hashing stopped: {err}"))
            })?;
        let argon2 = self.argon2.clone();
        let running = self.running.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            running.start();
            let salt = SaltString::generate(&mut OsRng);
            let hashed = argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| {
                    CommandError::invalid(format!("the password cannot be hashed: {err}"))
                });
            running.end();
            hashed
        })
        .await
        .map_err(|err| CommandError::Internal(format!("password hashing failed: {err}")))?
    }
}

impl PasswordHasher {
    /// Whether `hash` was made otherwise than this hasher would make it now
    /// (another algorithm, version, memory, iterations or lanes): a login
    /// that proved the password then stores it hashed anew. A hash that does
    /// not parse is not outdated (it matches nothing anyway).
    pub fn outdated(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let made_now = parsed.algorithm == Algorithm::Argon2id.ident()
            && parsed.version == Some(Version::V0x13.into())
            && Params::try_from(&parsed).is_ok_and(|params| {
                (params.m_cost(), params.t_cost(), params.p_cost())
                    == (
                        self.params.m_cost(),
                        self.params.t_cost(),
                        self.params.p_cost(),
                    )
            });
        !made_now
    }

    /// Whether `candidate` matches the PHC string `hash`, computed on the
    /// blocking pool under the same bound as [`PasswordHasher::hash`] (a
    /// burst of checks cannot take every core either).
    ///
    /// # Errors
    /// [`CommandError::Internal`] when the checking task died.
    pub async fn matches(&self, hash: &str, candidate: &str) -> Result<bool, CommandError> {
        let permit =
            self.permits.clone().acquire_owned().await.map_err(|err| {
                CommandError::Internal(format!("password hashing stopped: {err}"))
            })?;
        let (hash, candidate) = (hash.to_owned(), candidate.to_owned());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify(&hash, &candidate)
        })
        .await
        .map_err(|err| CommandError::Internal(format!("the password check task failed: {err}")))
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn given_a_burst_of_hashes_then_at_most_max_concurrent_run_at_once() {
        let hasher = PasswordHasher::new(&PasswordHashConfig {
            max_concurrent: 2,
            ..config(1024, 2)
        })
        .unwrap();
        let burst = (0..12).map(|i| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash(&format!("Burst-{i}")).await })
        });
        for hashed in futures::future::join_all(burst).await {
            assert!(hashed.unwrap().unwrap().starts_with("$argon2id$"));
        }
        let peak = hasher.peak_concurrency();
        assert!((1..=2).contains(&peak), "{peak} hashes ran at once");
    }

    fn config(kib: u64, iterations: u32) -> PasswordHashConfig {
        PasswordHashConfig {
            max_concurrent: 0,
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
