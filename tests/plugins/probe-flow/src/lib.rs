//! # probe-flow
//!
//! A login flow for the host's login-flow tests. It shows what the host
//! told it, and misbehaves when the user's metadata `probe` asks it to:
//!
//! | `probe` | before-authentication | after-authentication | complement-claims |
//! |---|---|---|---|
//! | `deny` | denies: "denied by probe-flow" | | |
//! | `trap` | traps | | |
//! | `spin` | runs until stopped | | |
//! | `deny-client` | | denies, when finishing an OAuth request: "denied for this client by probe-flow" | |
//! | `trap-claims` | | | traps |
//! | anything else | allows | allows | adds `probe_roles`, `probe_methods`, `probe_client` |

use rampart_plugin_sdk::prelude::*;

/// The `probe-flow` login flow.
pub struct ProbeFlow;

/// The user's `probe` metadata, if any.
fn probe(login: &LoginContext) -> &str {
    login.metadata_text("probe").unwrap_or_default()
}

impl LoginFlow for ProbeFlow {
    fn manifest() -> Manifest {
        Manifest::new("probe-flow", "1.0.0")
            .description("Shows what login-flow hooks are told; misbehaves on demand")
            .handles([
                Hook::BeforeAuthentication,
                Hook::AfterAuthentication,
                Hook::ComplementClaims,
            ])
    }

    fn before_authentication(_ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        match probe(login) {
            "deny" => AuthDecision::Deny("denied by probe-flow".to_owned()),
            "trap" => panic!("probe-flow traps as asked"),
            "spin" => loop {
                std::hint::spin_loop();
            },
            _ => AuthDecision::Allow,
        }
    }

    fn after_authentication(_ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        if probe(login) == "deny-client" && login.client_id.is_some() {
            return AuthDecision::Deny("denied for this client by probe-flow".to_owned());
        }
        AuthDecision::Allow
    }

    fn complement_claims(_ctx: &Ctx, login: &LoginContext, _claims: &[Claim]) -> Vec<Claim> {
        if probe(login) == "trap-claims" {
            panic!("probe-flow traps in complement-claims as asked");
        }
        vec![
            Claim::new("probe_roles", &serde_json::json!(login.roles)),
            Claim::new("probe_methods", &serde_json::json!(login.auth_methods)),
            Claim::new("probe_client", &serde_json::json!(login.client_id)),
        ]
    }
}

export_login_flow!(ProbeFlow);
