//! One-time codes a human user proves something with (an e-mail address, a
//! password reset): generated here, stored only as an argon2id hash with
//! their expiry, void after `Commands.Codes.MaxAttempts` wrong tries.

use chrono::{DateTime, Utc};
use rand::RngExt;

use crate::command::CommandError;
use crate::command::pipeline::Env;
use crate::config::CodesConfig;

/// The letters codes are made of: no `0`/`O`, `1`/`I` to confuse.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters per code: 40 bits, against at most `MaxAttempts` tries.
pub(crate) const LENGTH: usize = 8;

/// A code waiting to be used, as the write model holds it. `Debug` never
/// shows the hash.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PendingCode {
    /// Its argon2id hash.
    pub(crate) hash: String,
    /// When it stops working.
    pub(crate) expires_at: DateTime<Utc>,
    /// Wrong tries so far.
    pub(crate) failures: u32,
}

/// `Debug` for `$ty` showing `$shown` and standing
/// [`REDACTED`](rampart_plugin_sdk::catalogue::REDACTED) in for `$secret`.
macro_rules! redacted_debug {
    ($ty:ident { $($shown:ident),* }, $secret:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($shown), &self.$shown))*
                    .field(stringify!($secret), &rampart_plugin_sdk::catalogue::REDACTED)
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use redacted_debug;

redacted_debug!(
    PendingCode {
        expires_at,
        failures
    },
    hash
);

impl PendingCode {
    /// A fresh code's record.
    pub(crate) fn new(hash: String, expires_at: DateTime<Utc>) -> Self {
        Self {
            hash,
            expires_at,
            failures: 0,
        }
    }
}

/// A new random code.
pub(crate) fn generate() -> String {
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A code as typed, in the form it was generated in: spaces and dashes
/// dropped, uppercase.
pub(crate) fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// What trying `code` against `pending` comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tried {
    /// It matches: the proof succeeds.
    Valid,
    /// It does not: `left` tries remain.
    Wrong {
        /// Tries left after this one.
        left: u32,
    },
}

/// Tries `code` against the `pending` code of `what` (e.g. "e-mail
/// verification").
///
/// # Errors
/// [`CommandError::FailedPrecondition`] when there is no code, it expired
/// or it was tried too often (request a new one), or an empty code
/// ([`CommandError::InvalidArgument`]).
pub(crate) async fn try_code(
    pending: Option<&PendingCode>,
    code: &str,
    what: &str,
    codes: &CodesConfig,
    env: &Env<'_>,
) -> Result<Tried, CommandError> {
    let Some(pending) = pending else {
        return Err(CommandError::precondition(format!(
            "no {what} code is pending: request one first"
        )));
    };
    if pending.expires_at <= Utc::now() {
        return Err(CommandError::precondition(format!(
            "the {what} code expired: request a new one"
        )));
    }
    if pending.failures >= codes.max_attempts {
        return Err(CommandError::precondition(format!(
            "the {what} code was tried too often: request a new one"
        )));
    }
    let code = normalize(code);
    if code.is_empty() {
        return Err(CommandError::invalid("the code must not be empty"));
    }
    if env.matches(&pending.hash, &code).await? {
        return Ok(Tried::Valid);
    }
    Ok(Tried::Wrong {
        left: codes.max_attempts.saturating_sub(pending.failures + 1),
    })
}

/// The expiry of a code made now.
pub(crate) fn expiry(codes: &CodesConfig) -> DateTime<Utc> {
    let lifetime = chrono::Duration::from_std(codes.lifetime).unwrap_or(chrono::Duration::hours(1));
    Utc::now() + lifetime
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_codes_when_generated_then_they_use_the_alphabet_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), LENGTH);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn given_a_code_typed_loosely_when_normalized_then_it_is_the_generated_form() {
        assert_eq!(normalize(" abcd-ef 23 "), "ABCDEF23");
    }
}
