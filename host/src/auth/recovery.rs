//! Recovery codes: the one-time codes a user keeps (printed, in a password
//! manager) for when the TOTP authenticator is lost.
//!
//! A code reads `XXXX-XXXX-XXXX-XXXX`: 16 characters of Crockford's base32
//! alphabet (digits and letters without `I`, `L`, `O`, `U`), 80 random
//! bits, so a fast hash stores it as safely as a slow one. Only the SHA-256
//! of its normalized form is stored; what a user types is normalized the
//! same way before it is compared: upper case, no separators or spaces,
//! and the look-alikes `O` read as `0`, `I` and `L` as `1`.

use rand::RngExt;

use super::token::{digest, same_hash};

/// Codes made at a time.
pub const COUNT: usize = 10;
/// Characters of a code, without separators.
const LENGTH: usize = 16;
/// Characters between separators.
const GROUP: usize = 4;
/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// New codes just made: what to show once and what to store. `Debug`
/// shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCodes {
    /// The codes as the user sees them, shown once.
    pub plain: Vec<String>,
    /// The SHA-256 of each normalized code, hex, in the same order.
    pub hashes: Vec<String>,
}

impl std::fmt::Debug for NewCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCodes")
            .field("count", &self.plain.len())
            .finish_non_exhaustive()
    }
}

/// [`COUNT`] new random codes.
pub fn generate() -> NewCodes {
    let mut rng = rand::rng();
    let plain: Vec<String> = (0..COUNT)
        .map(|_| {
            let mut code = String::with_capacity(LENGTH + LENGTH / GROUP);
            for i in 0..LENGTH {
                if i > 0 && i % GROUP == 0 {
                    code.push('-');
                }
                let index = rng.random_range(0..ALPHABET.len());
                code.push(char::from(ALPHABET[index]));
            }
            code
        })
        .collect();
    let hashes = plain.iter().map(|code| hash(code)).collect();
    NewCodes { plain, hashes }
}

/// The stored hash of `code` as a user may type it.
pub fn hash(code: &str) -> String {
    digest(&normalize(code))
}

/// Which of `hashes` (skipping those `used` says are used up) `candidate`
/// is; every hash is compared, whatever matched.
pub fn find(hashes: &[String], used: impl Fn(usize) -> bool, candidate: &str) -> Option<usize> {
    let candidate = hash(candidate);
    let mut found = None;
    for (index, stored) in hashes.iter().enumerate() {
        if same_hash(stored, &candidate) && !used(index) && found.is_none() {
            found = Some(index);
        }
    }
    found
}

/// `code` upper-cased, without separators and spaces, look-alikes read
/// as the digits they resemble.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_new_codes_when_made_then_they_are_distinct_grouped_and_hashed() {
        let codes = generate();
        assert_eq!(codes.plain.len(), COUNT);
        assert_eq!(codes.hashes.len(), COUNT);
        let mut distinct = codes.plain.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), COUNT);
        for (code, stored) in codes.plain.iter().zip(&codes.hashes) {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.matches('-').count(), 3, "{code}");
            assert_eq!(&hash(code), stored);
            assert!(!stored.contains(code.as_str()));
        }
        assert!(!format!("{codes:?}").contains(&codes.plain[0]));
    }

    #[test]
    fn given_a_typed_code_when_found_then_case_and_separators_do_not_matter() {
        let codes = generate();
        let typed = codes.plain[3].to_lowercase().replace('-', " ");
        assert_eq!(find(&codes.hashes, |_| false, &typed), Some(3));
        assert_eq!(find(&codes.hashes, |i| i == 3, &typed), None);
        assert_eq!(find(&codes.hashes, |_| false, "AAAA-AAAA-AAAA-AAAA"), None);
        assert_eq!(hash("o1l0-aaaa"), hash("0110AAAA"));
    }
}
