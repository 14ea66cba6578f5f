//! # User claims
//!
//! The standard claims (OpenID Connect Core §5.1) a granted scope releases,
//! read from the user's events ([`Queries::subject`]), for ID tokens and
//! userinfo alike:
//!
//! | scope | claims |
//! |---|---|
//! | `profile` | `name`, `given_name`, `family_name`, `preferred_username`, `locale` |
//! | `email` | `email`, `email_verified` |
//! | `phone` | `phone_number`, `phone_number_verified` |
//!
//! and, with `urn:rampart:iam:project:roles` or a project that asserts
//! roles, the roles claim ([`scopes::roles_claim`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::Digest as _;

use super::{OidcError, scopes};
use crate::query::{Queries, Subject};

/// The claims `granted` releases about `subject`, `sub` included.
pub fn standard(subject: &Subject, granted: &[String]) -> Map<String, Value> {
    let has = |scope: &str| granted.iter().any(|s| s == scope);
    let mut claims = Map::new();
    claims.insert("sub".into(), subject.user_id.clone().into());
    let mut put = |name: &str, value: Value| {
        claims.insert(name.to_owned(), value);
    };
    if has("profile") {
        let full = [subject.given_name.as_str(), subject.family_name.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let name = subject
            .display_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or(full);
        if !name.is_empty() {
            put("name", name.into());
        }
        if !subject.given_name.is_empty() {
            put("given_name", subject.given_name.clone().into());
        }
        if !subject.family_name.is_empty() {
            put("family_name", subject.family_name.clone().into());
        }
        put("preferred_username", subject.username.clone().into());
        if let Some(locale) = &subject.preferred_language {
            put("locale", locale.clone().into());
        }
    }
    if has("email") && !subject.email.is_empty() {
        put("email", subject.email.clone().into());
        put("email_verified", subject.email_verified.into());
    }
    if has("phone")
        && let Some(phone) = &subject.phone
    {
        put("phone_number", phone.clone().into());
        put("phone_number_verified", subject.phone_verified.into());
    }
    claims
}

/// Adds the roles claim for `user_id` in `projects` to `claims`.
///
/// # Errors
/// The query side's.
pub async fn add_roles(
    claims: &mut Map<String, Value>,
    queries: &Queries,
    instance_id: &str,
    user_id: &str,
    projects: &[String],
) -> Result<(), OidcError> {
    let roles = scopes::roles_claim(queries, instance_id, user_id, projects).await?;
    claims.insert(scopes::ROLES_CLAIM.into(), serde_json::json!(roles));
    Ok(())
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the
/// SHA-256 of the access token, base64url. Both signing algorithms
/// (ES256, RS256) hash with SHA-256.
pub fn at_hash(access_token: &str) -> String {
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Subject {
        Subject {
            user_id: "ada".into(),
            org_id: "org".into(),
            username: "ada".into(),
            active: true,
            machine: false,
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: None,
            preferred_language: Some("en".into()),
            email: "ada@example.com".into(),
            email_verified: true,
            phone: None,
            phone_verified: false,
        }
    }

    #[test]
    fn only_the_granted_scopes_release_claims() {
        let claims = standard(&ada(), &["openid".into()]);
        assert_eq!(claims.len(), 1, "{claims:?}");
        let claims = standard(&ada(), &["openid".into(), "profile".into(), "email".into()]);
        assert_eq!(claims["name"], "Ada Lovelace");
        assert_eq!(claims["preferred_username"], "ada");
        assert_eq!(claims["email_verified"], true);
        assert!(!claims.contains_key("phone_number"), "no phone: {claims:?}");
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256() {
        // OpenID Connect Core §A.3's example token and at_hash (RS256, SHA-256).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
