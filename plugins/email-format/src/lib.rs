//! # email-format
//!
//! Validator plugin checking the e-mail address of `user.human.add` and
//! `user.human.email.change`: a pragmatic syntax check (one `@`, a plain
//! local part, a DNS domain with at least one dot) and optional domain
//! allow and block lists.
//!
//! Configuration (all optional):
//!
//! ```json
//! { "allowedDomains": [], "blockedDomains": [] }
//! ```
//!
//! An empty `allowedDomains` allows any domain. A list entry matches the
//! domain itself and its subdomains, ignoring case; blocking wins.

use rampart_plugin_sdk::catalogue::{AddHumanUser, ChangeHumanEmail};
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

mod address;

/// The domain lists, from the plugin's configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    allowed_domains: Vec<String>,
    blocked_domains: Vec<String>,
}

/// The `email-format` validator.
pub struct EmailFormat;

impl Validator for EmailFormat {
    fn manifest() -> Manifest {
        Manifest::new("email-format", env!("CARGO_PKG_VERSION"))
            .description("E-mail addresses: syntax, allowed and blocked domains")
            .handles([AddHumanUser::NAME, ChangeHumanEmail::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let address = if command.is::<AddHumanUser>() {
            command.payload::<AddHumanUser>()?.email.address
        } else {
            command.payload::<ChangeHumanEmail>()?.address
        };
        check(&ctx.config()?, &address)
    }
}

export_validator!(EmailFormat);

fn check(config: &Config, address: &str) -> Result<(), Rejection> {
    let domain = address::domain_of(address).map_err(|reason| {
        Rejection::new(
            "EMAIL_INVALID",
            format!("the e-mail address is not valid: {reason}"),
        )
    })?;
    let listed = |list: &[String]| list.iter().any(|entry| address::is_within(&domain, entry));
    let allowed = config.allowed_domains.is_empty() || listed(&config.allowed_domains);
    if !allowed || listed(&config.blocked_domains) {
        return Err(Rejection::new(
            "EMAIL_DOMAIN_NOT_ALLOWED",
            format!("e-mail addresses at {domain} are not allowed"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
