//! # Login flows
//!
//! Hooks in the login and token path. Implement [`LoginFlow`], overriding
//! only the hooks you need (and naming them in the manifest's `handles`),
//! and export it with [`export_login_flow!`](crate::export_login_flow):
//!
//! ```
//! use rampart_plugin_sdk::prelude::*;
//!
//! /// Refuses logins from one domain.
//! pub struct BlockDomain;
//!
//! impl LoginFlow for BlockDomain {
//!     fn manifest() -> Manifest {
//!         Manifest::new("block-domain", "1.0.0").handles([Hook::BeforeAuthentication])
//!     }
//!
//!     fn before_authentication(_ctx: &Ctx, login: &LoginContext) -> AuthDecision {
//!         if login.login_name.ends_with("@blocked.example") {
//!             return AuthDecision::Deny("this domain may not sign in".into());
//!         }
//!         AuthDecision::Allow
//!     }
//! }
//!
//! export_login_flow!(BlockDomain);
//! ```

use crate::{AuthDecision, Claim, Ctx, ExternalIdentity, IdentityMapping, LoginContext, Manifest};

/// A plugin of the `login-flow` world. Every hook has a neutral default;
/// the host only calls the hooks the manifest handles.
pub trait LoginFlow {
    /// Describes the plugin: name, version, the [`crate::Hook`]s it
    /// implements and its capabilities.
    fn manifest() -> Manifest;

    /// Runs before the user authenticates. Default: [`AuthDecision::Allow`].
    fn before_authentication(ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        let _ = (ctx, login);
        AuthDecision::Allow
    }

    /// Runs after each successful authentication step. Default:
    /// [`AuthDecision::Allow`].
    fn after_authentication(ctx: &Ctx, login: &LoginContext) -> AuthDecision {
        let _ = (ctx, login);
        AuthDecision::Allow
    }

    /// The claims to add to, or replace (by name) in, tokens and userinfo;
    /// `claims` are the ones the host would issue. Default: none.
    fn complement_claims(ctx: &Ctx, login: &LoginContext, claims: &[Claim]) -> Vec<Claim> {
        let _ = (ctx, login, claims);
        Vec::new()
    }

    /// Maps an external identity to a user. Default:
    /// [`IdentityMapping::None`] (not this plugin's concern).
    fn map_identity(ctx: &Ctx, identity: &ExternalIdentity) -> IdentityMapping {
        let _ = (ctx, identity);
        IdentityMapping::None
    }
}

/// Exports a [`LoginFlow`] as the plugin's `login-flow` world.
///
/// Write it once, at the crate root of a `cdylib` crate. It expands to the
/// component exports on `wasm32` and to nothing elsewhere.
#[macro_export]
macro_rules! export_login_flow {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type RampartLoginFlowExport = $crate::__private::LoginFlowExport<$plugin>;
            $crate::__private::bindings::login_flow::export!(
                RampartLoginFlowExport with_types_in $crate::__private::bindings::login_flow
            );
        };
    };
}
