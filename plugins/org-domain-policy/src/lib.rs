//! # org-domain-policy
//!
//! Validator plugin checking the domain an organization claims, on
//! `org.add` (when it names a domain) and `org.domain.add`: DNS syntax
//! (lowercase labels of 1–63 characters from `a-z`, `0-9` and inner hyphens,
//! at least one dot, at most `maxLength` characters), then the suffix allow
//! list and the block list.
//!
//! Configuration (all optional):
//!
//! ```json
//! { "allowedSuffixes": [], "blockedDomains": ["localhost"], "maxLength": 253 }
//! ```
//!
//! An empty `allowedSuffixes` allows any domain; a suffix `example.com`
//! allows `example.com` and its subdomains. A blocked domain blocks itself
//! and its subdomains.

use rampart_plugin_sdk::catalogue::{AddOrg, AddOrgDomain};
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// Longest DNS label.
const MAX_LABEL: usize = 63;

/// The rules, from the plugin's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    allowed_suffixes: Vec<String>,
    blocked_domains: Vec<String>,
    max_length: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allowed_suffixes: Vec::new(),
            blocked_domains: vec!["localhost".to_owned()],
            max_length: 253,
        }
    }
}

/// The `org-domain-policy` validator.
pub struct OrgDomainPolicy;

impl Validator for OrgDomainPolicy {
    fn manifest() -> Manifest {
        Manifest::new("org-domain-policy", env!("CARGO_PKG_VERSION"))
            .description("Organization domains: DNS syntax, allowed suffixes, blocked domains")
            .handles([AddOrg::NAME, AddOrgDomain::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let domain = if command.is::<AddOrg>() {
            match command.payload::<AddOrg>()?.domain {
                Some(domain) => domain,
                None => return Ok(()),
            }
        } else {
            command.payload::<AddOrgDomain>()?.domain
        };
        check(&ctx.config()?, &domain)
    }
}

export_validator!(OrgDomainPolicy);

fn check(config: &Config, domain: &str) -> Result<(), Rejection> {
    syntax(config, domain).map_err(|reason| {
        Rejection::new(
            "ORG_DOMAIN_INVALID",
            format!("the domain is not valid: {reason}"),
        )
    })?;
    let allowed = config.allowed_suffixes.is_empty()
        || config
            .allowed_suffixes
            .iter()
            .any(|suffix| is_within(domain, suffix));
    if !allowed {
        return Err(Rejection::new(
            "ORG_DOMAIN_NOT_ALLOWED",
            format!(
                "{domain} does not end with an allowed suffix ({})",
                config.allowed_suffixes.join(", ")
            ),
        ));
    }
    if config
        .blocked_domains
        .iter()
        .any(|blocked| is_within(domain, blocked))
    {
        return Err(Rejection::new(
            "ORG_DOMAIN_NOT_ALLOWED",
            format!("{domain} may not be claimed by an organization"),
        ));
    }
    Ok(())
}

/// Why `domain` is not a lowercase DNS name, if it is not.
fn syntax(config: &Config, domain: &str) -> Result<(), String> {
    if domain.len() > config.max_length {
        return Err(format!(
            "it is longer than {} characters",
            config.max_length
        ));
    }
    if !domain.contains('.') {
        return Err("it needs at least one dot".to_owned());
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL {
            return Err("each part between dots must have 1 to 63 characters".to_owned());
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("only lowercase letters a-z, digits and hyphens are allowed".to_owned());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part between dots must not start or end with a hyphen".to_owned());
        }
    }
    Ok(())
}

/// Whether `domain` is `entry` or one of its subdomains.
fn is_within(domain: &str, entry: &str) -> bool {
    let entry = entry.trim_start_matches('.');
    domain == entry
        || domain
            .strip_suffix(entry)
            .is_some_and(|head| head.ends_with('.'))
}

#[cfg(test)]
mod tests;
