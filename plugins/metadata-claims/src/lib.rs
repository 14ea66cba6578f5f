//! # metadata-claims
//!
//! Login-flow plugin: adds claims from the user's metadata to ID tokens,
//! JWT access tokens and userinfo. Each configured claim names the
//! metadata key it is read from; a value that is JSON text goes in as
//! that JSON (so `["a","b"]` becomes a list), other UTF-8 text as a
//! string, and a value that is neither, or a missing key, adds nothing.
//!
//! Configuration (claim name → metadata key):
//!
//! ```json
//! { "claims": { "department": "department", "employee_id": "hr.id" } }
//! ```
//!
//! Claims the server sets itself (`sub`, `aud`, `exp`, …) cannot be
//! configured: the host refuses them, and no token is issued.

use std::collections::BTreeMap;

use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// Which claim comes from which metadata key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    claims: BTreeMap<String, String>,
}

/// The `metadata-claims` login flow.
pub struct MetadataClaims;

impl LoginFlow for MetadataClaims {
    fn manifest() -> Manifest {
        Manifest::new("metadata-claims", env!("CARGO_PKG_VERSION"))
            .description("Claims in tokens and userinfo from user metadata")
            .handles([Hook::ComplementClaims])
            .capabilities([Capability::Config])
    }

    fn complement_claims(ctx: &Ctx, login: &LoginContext, _claims: &[Claim]) -> Vec<Claim> {
        // A configuration it cannot read adds nothing: the host's own
        // claims stand, and the problem is in the plugin's status.
        let config: Config = ctx.config().unwrap_or_default();
        claims(&config, login)
    }
}

export_login_flow!(MetadataClaims);

/// The configured claims whose metadata `login`'s user has.
fn claims(config: &Config, login: &LoginContext) -> Vec<Claim> {
    config
        .claims
        .iter()
        .filter_map(|(claim, key)| {
            let text = login.metadata_text(key)?;
            let value = serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::from(text.to_owned()));
            Some(Claim::new(claim.clone(), &value))
        })
        .collect()
}

#[cfg(test)]
mod tests;
