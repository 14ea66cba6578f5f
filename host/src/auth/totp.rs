//! Time-based one-time passwords (TOTP, RFC 6238) as authenticator apps
//! make them: HMAC-SHA1 over the 30-second time step, 6 digits, a 20-byte
//! secret shown as base32 (RFC 4648, no padding) in an `otpauth://` URI.
//!
//! A code is accepted for the current step and one step either side (clock
//! skew), and only for a step after the last one that passed, so an
//! observed code cannot be replayed ([`matching_step`]). HMAC-SHA1 is
//! `ring`'s (already the node's crypto library); SHA-1 is what every
//! authenticator computes and is sound inside HMAC.

use rand::RngExt;
use ring::hmac;

/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Seconds per time step.
pub const PERIOD: u64 = 30;
/// Steps accepted on either side of the current one.
pub const SKEW: u64 = 1;

/// The RFC 4648 base32 alphabet.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret[..]);
    secret
}

/// The time step of Unix time `unix_seconds` (0 before the epoch).
pub fn step_at(unix_seconds: i64) -> u64 {
    u64::try_from(unix_seconds).unwrap_or(0) / PERIOD
}

/// The code of `secret` at time step `step`, `digits` long (RFC 4226's
/// dynamic truncation).
fn code_digits(secret: &[u8], step: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let value = binary % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The 6-digit code of `secret` at time step `step`.
pub fn code(secret: &[u8], step: u64) -> String {
    code_digits(secret, step, DIGITS)
}

/// The step within [`SKEW`] of `now_step` whose code is `candidate` and
/// which comes after `last_used` (the step of the last code that passed);
/// `None` for a wrong, stale or replayed code. Every candidate step is
/// compared in full, whatever matched.
pub fn matching_step(
    secret: &[u8],
    candidate: &str,
    now_step: u64,
    last_used: Option<u64>,
) -> Option<u64> {
    let candidate = candidate.trim();
    let mut found = None;
    for step in now_step.saturating_sub(SKEW)..=now_step.saturating_add(SKEW) {
        let matches = same_text(&code(secret, step), candidate);
        let fresh = last_used.is_none_or(|last| step > last);
        if matches && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `bytes` in base32 (RFC 4648), without padding: how authenticators take
/// a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 0x1f) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// The bytes of base32 `text` (case-insensitive; padding, spaces and
/// hyphens ignored); `None` when it holds another character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if matches!(c, b'=' | b' ' | b'-') {
            continue;
        }
        let value = BASE32.iter().position(|&a| a == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// The key URI an authenticator app scans (the de-facto `otpauth://`
/// format): label `issuer:account`, the base32 secret and the parameters.
pub fn uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer = percent(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_base32}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        account = percent(account),
    )
}

/// `text` with every byte but RFC 3986's unreserved ones percent-encoded.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and (time, 8-digit code).
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn given_the_rfc_6238_vectors_when_codes_are_made_then_they_match() {
        for (time, expected) in RFC_VECTORS {
            assert_eq!(code_digits(RFC_SECRET, step_at(time), 8), expected);
            assert_eq!(code(RFC_SECRET, step_at(time)), expected[2..]);
        }
    }

    #[test]
    fn given_rfc_4648_vectors_when_encoded_and_decoded_then_they_round_trip() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZ1"), None);
        let secret = new_secret();
        assert_eq!(base32(&secret).len(), 32);
        assert_eq!(base32_decode(&base32(&secret)).unwrap(), secret);
    }

    #[test]
    fn given_a_code_when_matched_then_skew_is_allowed_and_replays_are_not() {
        let now = step_at(1_234_567_890);
        let at = |step| code(RFC_SECRET, step);
        assert_eq!(matching_step(RFC_SECRET, &at(now), now, None), Some(now));
        assert_eq!(
            matching_step(RFC_SECRET, &at(now - 1), now, None),
            Some(now - 1)
        );
        assert_eq!(
            matching_step(RFC_SECRET, &at(now + 1), now, None),
            Some(now + 1)
        );
        assert_eq!(matching_step(RFC_SECRET, &at(now - 2), now, None), None);
        assert_eq!(matching_step(RFC_SECRET, &at(now + 2), now, None), None);
        // The step that passed, or an earlier one, never passes again.
        assert_eq!(matching_step(RFC_SECRET, &at(now), now, Some(now)), None);
        assert_eq!(
            matching_step(RFC_SECRET, &at(now - 1), now, Some(now - 1)),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &at(now + 1), now, Some(now)),
            Some(now + 1)
        );
        assert_eq!(matching_step(RFC_SECRET, "12345", now, None), None);
        assert_eq!(matching_step(RFC_SECRET, "", now, None), None);
    }

    #[test]
    fn given_an_issuer_and_account_when_a_uri_is_made_then_they_are_encoded() {
        assert_eq!(
            uri("ACME Corp", "ada@acme.example", "MZXW6"),
            "otpauth://totp/ACME%20Corp:ada%40acme.example?secret=MZXW6&issuer=ACME%20Corp\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
