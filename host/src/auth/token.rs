//! Personal access tokens: opaque bearer strings with 256 bits of entropy.
//!
//! A token reads `rp_<user id>_<token id>_<secret>`: the ids let the server
//! find the token's owner with one indexed read, the secret (32 random
//! bytes, hex) is the credential. Only the secret's SHA-256 is stored; the
//! token is shown once, when it is created.
//!
//! Client secrets (of applications and of machine users) are made the same
//! way ([`new_secret`]): 32 random bytes, hex, shown once, stored as their
//! SHA-256 and checked with [`secret_matches`].

use rand::RngExt;
use sha2::{Digest, Sha256};

/// Every token starts with this.
const PREFIX: &str = "rp_";
/// Random bytes of a secret (256 bits).
const SECRET_BYTES: usize = 32;

/// A token just made: the string to show once and what to store.
#[derive(Clone)]
pub struct NewToken {
    /// The token's id (stored, listed).
    pub token_id: String,
    /// The full bearer string, shown once.
    pub token: String,
    /// SHA-256 of the secret, hex: the only thing stored.
    pub hash: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

/// A token as a request presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken {
    /// Whose token it claims to be.
    pub user_id: String,
    /// Which of the user's tokens.
    pub token_id: String,
    /// SHA-256 of the presented secret, hex.
    pub hash: String,
}

/// A client secret just made: what to show once and what to store.
/// `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSecret {
    /// The secret, 32 random bytes in hex: shown once, never stored.
    pub plain: String,
    /// Its SHA-256, hex: the only thing stored.
    pub hash: String,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret").finish_non_exhaustive()
    }
}

/// A new client secret: 256 random bits, so a fast hash stores it as
/// safely as a slow one and checking it at the token endpoint stays cheap.
pub fn new_secret() -> NewSecret {
    let plain = random_hex();
    NewSecret {
        hash: digest(&plain),
        plain,
    }
}

/// Whether `secret` is the one whose hash is `hash` (as [`new_secret`]
/// stores it), in time independent of where a wrong one differs.
pub fn secret_matches(hash: &str, secret: &str) -> bool {
    same_hash(hash, &digest(secret))
}

/// [`SECRET_BYTES`] random bytes, hex.
fn random_hex() -> String {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    hex::encode(secret)
}

/// A new token for `user_id` with id `token_id`.
pub fn generate(user_id: &str, token_id: &str) -> NewToken {
    let secret = random_hex();
    NewToken {
        token_id: token_id.to_owned(),
        token: format!("{PREFIX}{user_id}_{token_id}_{secret}"),
        hash: digest(&secret),
    }
}

/// Splits a presented token; `None` when it is not shaped like one.
pub fn parse(token: &str) -> Option<PresentedToken> {
    let rest = token.strip_prefix(PREFIX)?;
    let mut parts = rest.split('_');
    let (user_id, token_id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let id =
        |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let secret_ok =
        secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.next().is_some() || !id(user_id) || !id(token_id) || !secret_ok {
        return None;
    }
    Some(PresentedToken {
        user_id: user_id.to_owned(),
        token_id: token_id.to_owned(),
        hash: digest(secret),
    })
}

/// SHA-256 of `text`, hex.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether two hashes are equal, in time independent of where they differ.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_its_ids_and_hash() {
        let new = generate("u1", "t1");
        assert_eq!(new.token.len(), PREFIX.len() + "u1_t1_".len() + 64);
        let presented = parse(&new.token).unwrap();
        assert_eq!(presented.user_id, "u1");
        assert_eq!(presented.token_id, "t1");
        assert!(same_hash(&presented.hash, &new.hash));
        assert_ne!(generate("u1", "t1").token, new.token, "random");
    }

    #[test]
    fn a_new_secret_is_random_hex_whose_hash_matches_it_alone() {
        let secret = new_secret();
        assert_eq!(secret.plain.len(), SECRET_BYTES * 2);
        assert!(secret.plain.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(secret.hash, digest(&secret.plain));
        assert!(secret_matches(&secret.hash, &secret.plain));
        assert!(!secret_matches(&secret.hash, &new_secret().plain));
        assert!(!secret_matches(&secret.hash, ""));
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.plain) && !shown.contains(&secret.hash));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for bad in [
            "",
            "rp_",
            "rp_u_t",
            "xx_u_t_00",
            &format!("rp_u_t_{}", "g".repeat(64)),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
