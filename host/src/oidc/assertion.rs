//! # JWT assertions (RFC 7523)
//!
//! A machine user proves itself with a JWT signed by one of its keys (the
//! JWT bearer grant), an application with one signed by one of its keys
//! (`private_key_jwt` client authentication). Both are RS256 JWTs whose
//! `kid` names the key, whose `iss` and `sub` name the signer (the user id
//! or the client id), whose `aud` names this issuer or the endpoint, and
//! that expire within an hour.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::query::PublicKeyInfo;

/// Leeway for clocks that differ a little, in seconds.
const LEEWAY_SECS: i64 = 60;
/// Longest an assertion may live: `exp` at most this after now.
const MAX_LIFETIME_SECS: i64 = 3600;
/// Largest assertion read.
const MAX_LEN: usize = 16 * 1024;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The claims an assertion must carry.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// Who signed it.
    pub iss: String,
    /// Whom it is about (the same).
    pub sub: String,
    /// The issuer or endpoint it is for.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at.
    #[serde(default)]
    pub iat: Option<i64>,
    /// Not before.
    #[serde(default)]
    pub nbf: Option<i64>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(one) => vec![one],
        Aud::Many(many) => many,
    })
}

/// An assertion read but not yet verified.
#[derive(Debug, Clone)]
pub struct Unverified {
    /// The key it names (`kid`).
    pub key_id: String,
    /// Its claims.
    pub claims: Claims,
    signed: String,
    signature: Vec<u8>,
}

/// Reads `token` as an assertion: an RS256 JWT with a `kid` and the
/// claims above. The reason when it is not one.
///
/// # Errors
/// A message saying what is malformed.
pub fn parse(token: &str) -> Result<Unverified, String> {
    if token.len() > MAX_LEN {
        return Err("the assertion is too long".into());
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the assertion is not a JWT (header.payload.signature)".into());
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| format!("the assertion's {what} is not base64url"))
    };
    let header: Header = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|e| format!("the assertion's header is not valid: {e}"))?;
    if header.alg != "RS256" {
        return Err(format!(
            "the assertion is signed with {}; keys of Rampart sign RS256",
            header.alg
        ));
    }
    let key_id = header
        .kid
        .filter(|k| !k.is_empty())
        .ok_or("the assertion's header names no key (kid)")?;
    let claims: Claims = serde_json::from_slice(&decode(payload, "payload")?)
        .map_err(|e| format!("the assertion's claims are not valid: {e}"))?;
    Ok(Unverified {
        key_id,
        claims,
        signed: token[..token.len() - signature.len() - 1].to_owned(),
        signature: decode(signature, "signature")?,
    })
}

impl Unverified {
    /// Checks the assertion against `key` at `now`: the signature, the key
    /// and its owner, `iss` = `sub` = `signer`, an `aud` among `audiences`,
    /// and its times.
    ///
    /// # Errors
    /// A message saying what does not hold.
    pub fn verify(
        &self,
        key: &PublicKeyInfo,
        signer: &str,
        audiences: &[&str],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        if !key.verify_rs256(self.signed.as_bytes(), &self.signature) {
            return Err("the assertion's signature does not verify with the key it names".into());
        }
        if key.expired(now) {
            return Err(format!("the key {} has expired", self.key_id));
        }
        if !key.owner_active {
            return Err("the key's owner is not active".into());
        }
        let c = &self.claims;
        if c.iss != signer || c.sub != signer {
            return Err(format!(
                "the assertion's iss and sub must both be {signer:?}"
            ));
        }
        if !c.aud.iter().any(|a| {
            let a = a.trim_end_matches('/');
            audiences.iter().any(|ok| ok.trim_end_matches('/') == a)
        }) {
            return Err(format!(
                "the assertion's aud must name {}",
                audiences.first().unwrap_or(&"this issuer")
            ));
        }
        let now = now.timestamp();
        if c.exp + LEEWAY_SECS <= now {
            return Err("the assertion has expired".into());
        }
        if c.exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
            return Err("the assertion must expire within an hour".into());
        }
        if c.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS)
            || c.iat.is_some_and(|iat| iat > now + LEEWAY_SECS)
        {
            return Err("the assertion is not valid yet (iat or nbf in the future)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    #[test]
    fn assertions_name_their_key_and_claims() {
        let token = jwt(
            &serde_json::json!({ "alg": "RS256", "kid": "k1" }),
            &serde_json::json!({ "iss": "u", "sub": "u", "aud": "https://x", "exp": 1 }),
        );
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.key_id, "k1");
        assert_eq!(parsed.claims.aud, ["https://x"]);
        assert_eq!(parsed.signature, b"sig");
    }

    #[test]
    fn other_algorithms_and_missing_keys_are_refused() {
        let claims = serde_json::json!({ "iss": "u", "sub": "u", "aud": ["a"], "exp": 1 });
        for header in [
            serde_json::json!({ "alg": "none", "kid": "k" }),
            serde_json::json!({ "alg": "HS256", "kid": "k" }),
            serde_json::json!({ "alg": "RS256" }),
        ] {
            assert!(parse(&jwt(&header, &claims)).is_err(), "{header}");
        }
        assert!(parse("a.b").is_err());
    }
}
