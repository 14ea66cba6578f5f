//! # claims-flow
//!
//! A login flow implementing all four hooks, for the host's login tests:
//!
//! - before authentication: denies login names ending in `@blocked.test`;
//! - after authentication: requires a second factor when configured with
//!   `{"requireMfa": true}` and `totp` was not passed yet;
//! - complement claims: returns only `tenant`, the instance id;
//! - map identity: links verified e-mail identities to the user named by
//!   the subject, rejects the others.

use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    require_mfa: bool,
}

/// The `claims-flow` login flow.
pub struct ClaimsFlow;

impl LoginFlow for ClaimsFlow {
    fn manifest() -> Manifest {
        Manifest::new("claims-flow", "1.0.0")
            .description("Exercises every login-flow hook")
            .handles(Hook::ALL)
            .capabilities([Capability::Config])
    }

    fn before_authentication(_ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        if login.login_name.ends_with("@blocked.test") {
            return AuthDecision::Deny("blocked by claims-flow".to_owned());
        }
        AuthDecision::Allow
    }

    fn after_authentication(ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        match ctx.config::<Config>() {
            Ok(config) if config.require_mfa && !login.has_auth_method("totp") => {
                AuthDecision::RequireSecondFactor
            }
            Ok(_) => AuthDecision::Allow,
            Err(error) => AuthDecision::Deny(error.to_string()),
        }
    }

    fn complement_claims(_ctx: &Ctx, login: &LoginContext, _claims: &[Claim]) -> Vec<Claim> {
        vec![Claim::string("tenant", &login.instance_id)]
    }

    fn map_identity(_ctx: &Ctx, identity: &ExternalIdentity) -> IdentityMapping {
        if identity.email_verified {
            IdentityMapping::Link(identity.subject.clone())
        } else {
            IdentityMapping::Reject("email not verified".to_owned())
        }
    }
}

export_login_flow!(ClaimsFlow);
