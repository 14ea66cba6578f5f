//! Merging the claims of `complement-claims` into a token or userinfo
//! answer: a plugin adds claims or replaces others by name, but never a
//! claim the protocol gives its meaning (issuer, subject, audience,
//! lifetimes, the login's proof), and every value must be JSON.

use serde_json::{Map, Value};

use super::hook::COMPLEMENT_CLAIMS;
use crate::plugins::PluginError;
use crate::plugins::types::Claim;

/// Claims no plugin may set: JWT's registered claims (RFC 7519 §4.1), the
/// ID token's (OpenID Connect Core §2) and the access token's (RFC 9068
/// §2.2).
pub const REGISTERED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    "c_hash",
    "sid",
    "client_id",
    "scope",
];

/// `claims` as the plugins see them: each value as JSON text.
pub(super) fn to_wit(claims: &Map<String, Value>) -> Vec<Claim> {
    claims
        .iter()
        .map(|(name, value)| Claim {
            name: name.clone(),
            value: value.to_string(),
        })
        .collect()
}

/// Adds or replaces `added` (from `plugin`) in `claims`.
///
/// # Errors
/// [`PluginError::InvalidOutput`] for a registered claim, an empty name or
/// a value that is not JSON: nothing of `added` is applied.
pub fn complement(
    plugin: &str,
    claims: &mut Map<String, Value>,
    added: Vec<Claim>,
) -> Result<(), PluginError> {
    let invalid = |message: String| PluginError::InvalidOutput {
        plugin: plugin.to_owned(),
        hook: COMPLEMENT_CLAIMS,
        message,
    };
    let mut parsed = Vec::with_capacity(added.len());
    for claim in added {
        let name = claim.name.trim();
        if name.is_empty() {
            return Err(invalid("a claim has an empty name".into()));
        }
        if REGISTERED_CLAIMS.contains(&name) {
            return Err(invalid(format!(
                "the claim {name:?} is set by the server and cannot be replaced"
            )));
        }
        let value: Value = serde_json::from_str(&claim.value).map_err(|e| {
            invalid(format!(
                "the value of the claim {name:?} is not JSON ({e}); a string needs quotes"
            ))
        })?;
        parsed.push((name.to_owned(), value));
    }
    claims.extend(parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claim(name: &str, value: &str) -> Claim {
        Claim {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn given_claims_when_a_plugin_adds_and_replaces_then_both_apply() {
        let mut claims = json!({"sub": "u1", "email": "a@b.c"})
            .as_object()
            .cloned()
            .unwrap();
        complement(
            "p",
            &mut claims,
            vec![claim("email", "\"x@y.z\""), claim("dept", "[\"ops\"]")],
        )
        .unwrap();
        assert_eq!(claims["email"], "x@y.z");
        assert_eq!(claims["dept"], json!(["ops"]));
        assert_eq!(claims["sub"], "u1");
    }

    #[test]
    fn given_a_registered_claim_when_a_plugin_sets_it_then_nothing_is_applied() {
        let mut claims = json!({"sub": "u1"}).as_object().cloned().unwrap();
        let error = complement(
            "evil",
            &mut claims,
            vec![claim("dept", "\"ops\""), claim("sub", "\"admin\"")],
        )
        .unwrap_err();
        assert!(error.to_string().contains("\"sub\""), "{error}");
        assert!(error.to_string().contains("evil"), "{error}");
        assert_eq!(claims, json!({"sub": "u1"}).as_object().cloned().unwrap());
    }

    #[test]
    fn given_a_value_that_is_not_json_when_added_then_the_plugin_is_named() {
        let mut claims = Map::new();
        let error = complement("p", &mut claims, vec![claim("dept", "ops")]).unwrap_err();
        assert!(error.to_string().contains("not JSON"), "{error}");
        assert!(claims.is_empty());
    }
}
