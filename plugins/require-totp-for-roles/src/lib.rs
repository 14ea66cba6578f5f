//! # require-totp-for-roles
//!
//! Login-flow plugin: a user who holds one of the configured roles must
//! pass a second factor (TOTP or a recovery code) before a login finishes.
//! After every passed check, and when a session finishes an OAuth request,
//! it answers "require a second factor" for such a user until the login
//! holds one. Everyone else logs in as before.
//!
//! Roles are spelled as login flows see them: administrative roles by name
//! (`IAM_OWNER`, `ORG_OWNER`, `PROJECT_OWNER`, …) and project roles as
//! `<project-id>:<role-key>`.
//!
//! Configuration:
//!
//! ```json
//! { "roles": ["IAM_OWNER", "ORG_OWNER", "2870…:admin"] }
//! ```
//!
//! A configuration it cannot read denies every login that reaches it
//! (fail closed), with a message naming the problem.

use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// The `auth-methods` name of a passed second factor.
const SECOND_FACTOR: &str = "totp";

/// The roles whose holders need a second factor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    roles: Vec<String>,
}

/// The `require-totp-for-roles` login flow.
pub struct RequireTotpForRoles;

impl LoginFlow for RequireTotpForRoles {
    fn manifest() -> Manifest {
        Manifest::new("require-totp-for-roles", env!("CARGO_PKG_VERSION"))
            .description("Users holding one of the configured roles must pass TOTP")
            .handles([Hook::AfterAuthentication])
            .capabilities([Capability::Config])
    }

    fn after_authentication(ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        let config: Config = match ctx.config() {
            Ok(config) => config,
            Err(error) => {
                return AuthDecision::Deny(format!(
                    "sign-in is unavailable: require-totp-for-roles is misconfigured ({error})"
                ));
            }
        };
        decide(&config, login)
    }
}

export_login_flow!(RequireTotpForRoles);

/// A second factor for holders of `config.roles` who have not passed one.
fn decide(config: &Config, login: &LoginContext) -> AuthDecision {
    let holds_one = config.roles.iter().any(|role| login.has_role(role));
    if holds_one && !login.has_auth_method(SECOND_FACTOR) {
        AuthDecision::RequireSecondFactor
    } else {
        AuthDecision::Allow
    }
}

#[cfg(test)]
mod tests;
