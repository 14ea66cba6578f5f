//! # Native test harness
//!
//! Runs plugin logic under plain `cargo test`, no WebAssembly involved.
//! [`Harness`] plays the host: it hands the plugin a configuration and a
//! clock, captures its log lines, calls only what the manifest handles (as
//! the host does) and fails the test when the plugin uses a capability its
//! manifest does not ask for.
//!
//! ```
//! use rampart_plugin_sdk::prelude::*;
//! use rampart_plugin_sdk::testing::Harness;
//! use rampart_plugin_sdk::catalogue::RenameOrg;
//!
//! pub struct Shouty;
//! impl Validator for Shouty {
//!     fn manifest() -> Manifest {
//!         Manifest::new("shouty", "1.0.0").handles(["org.rename"]).capabilities([Capability::Log])
//!     }
//!     fn validate(ctx: &Ctx, command: &Command, _: &State) -> Result<(), Rejection> {
//!         ctx.info(format!("saw {}", command.name));
//!         Ok(())
//!     }
//! }
//!
//! let harness = Harness::new();
//! let command = Command::from_payload(&RenameOrg { name: "ACME".into() });
//! assert_eq!(harness.validate::<Shouty>(&command, &State::new()), Ok(()));
//! assert_eq!(harness.logs()[0].message, "saw org.rename");
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use crate::login::Hook;
use crate::{
    AuthDecision, Claim, Command, Ctx, DateTime, Event, ExternalIdentity, IdentityMapping,
    LoginContext, LoginFlow, Manifest, Projection, Rejection, State, Statement, Validator,
};

mod mock_host;

pub use mock_host::LogLine;
use mock_host::MockHost;

/// A stand-in for the host in native tests.
#[derive(Debug, Clone)]
pub struct Harness {
    config: String,
    now: DateTime,
    logs: Rc<RefCell<Vec<LogLine>>>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A harness with no configuration (`{}`) whose clock reads
    /// [`Harness::default_now`].
    pub fn new() -> Self {
        Self {
            config: "{}".to_owned(),
            now: Self::default_now(),
            logs: Rc::default(),
        }
    }

    /// The harness clock's default: 2025-01-01T00:00:00Z.
    pub fn default_now() -> DateTime {
        DateTime::from_timestamp(1_735_689_600, 0).unwrap_or_default()
    }

    /// Sets the plugin's configuration.
    #[must_use]
    pub fn config(mut self, config: serde_json::Value) -> Self {
        self.config = config.to_string();
        self
    }

    /// Serves `settings` as the settings in effect (the `settings` member of
    /// the configuration object, as the host serves them to validators),
    /// beside the configuration set before (call it after [`Harness::config`]).
    #[must_use]
    pub fn settings(mut self, settings: &crate::catalogue::Settings) -> Self {
        let mut config: serde_json::Value =
            serde_json::from_str(&self.config).unwrap_or_else(|_| serde_json::json!({}));
        if !config.is_object() {
            config = serde_json::json!({});
        }
        config["settings"] = serde_json::to_value(settings).unwrap_or_default();
        self.config = config.to_string();
        self
    }

    /// Sets the plugin's configuration as raw text (invalid JSON included).
    #[must_use]
    pub fn raw_config(mut self, config: impl Into<String>) -> Self {
        self.config = config.into();
        self
    }

    /// Sets what the clock reads (except during [`Harness::project`]).
    #[must_use]
    pub fn now(mut self, now: DateTime) -> Self {
        self.now = now;
        self
    }

    /// The lines the plugin logged through this harness so far.
    pub fn logs(&self) -> Vec<LogLine> {
        self.logs.borrow().clone()
    }

    /// A context for the plugin described by `manifest`, to call plugin
    /// helpers directly.
    pub fn ctx(&self, manifest: &Manifest) -> Ctx {
        self.ctx_at(manifest, self.now)
    }

    fn ctx_at(&self, manifest: &Manifest, now: DateTime) -> Ctx {
        Ctx::new(MockHost::new(manifest, &self.config, now, &self.logs))
    }

    /// Runs `V` on `command` like the host: `Ok(())` without calling it when
    /// its manifest does not handle the command.
    ///
    /// # Errors
    ///
    /// The validator's rejection.
    ///
    /// # Panics
    ///
    /// When the validator uses a capability its manifest does not ask for.
    pub fn validate<V: Validator>(
        &self,
        command: &Command,
        state: &State,
    ) -> Result<(), Rejection> {
        let manifest = V::manifest();
        if !manifest.is_handled(&command.name) {
            return Ok(());
        }
        V::validate(&self.ctx(&manifest), command, state)
    }

    /// Runs `P` on `event` like the host: the clock reads the event's
    /// creation time, and an event the manifest does not handle yields no
    /// statements without calling the projection.
    ///
    /// # Errors
    ///
    /// The projection's error.
    ///
    /// # Panics
    ///
    /// When the projection uses a capability its manifest does not ask for.
    pub fn project<P: Projection>(&self, event: &Event) -> Result<Vec<Statement>, String> {
        let manifest = P::manifest();
        if !manifest.is_handled(&event.event_type) {
            return Ok(Vec::new());
        }
        P::project(&self.ctx_at(&manifest, event.created_at), event)
    }

    /// Runs `F`'s `before-authentication` hook if its manifest handles it,
    /// else answers [`AuthDecision::Allow`] like the host.
    pub fn before_authentication<F: LoginFlow>(&self, login: &LoginContext) -> AuthDecision {
        let manifest = F::manifest();
        if !manifest.is_handled(Hook::BeforeAuthentication.as_str()) {
            return AuthDecision::Allow;
        }
        F::before_authentication(&self.ctx(&manifest), login)
    }

    /// Runs `F`'s `after-authentication` hook if its manifest handles it,
    /// else answers [`AuthDecision::Allow`] like the host.
    pub fn after_authentication<F: LoginFlow>(&self, login: &LoginContext) -> AuthDecision {
        let manifest = F::manifest();
        if !manifest.is_handled(Hook::AfterAuthentication.as_str()) {
            return AuthDecision::Allow;
        }
        F::after_authentication(&self.ctx(&manifest), login)
    }

    /// Runs `F`'s `complement-claims` hook if its manifest handles it, else
    /// answers no claims like the host.
    pub fn complement_claims<F: LoginFlow>(
        &self,
        login: &LoginContext,
        claims: &[Claim],
    ) -> Vec<Claim> {
        let manifest = F::manifest();
        if !manifest.is_handled(Hook::ComplementClaims.as_str()) {
            return Vec::new();
        }
        F::complement_claims(&self.ctx(&manifest), login, claims)
    }

    /// Runs `F`'s `map-identity` hook if its manifest handles it, else
    /// answers [`IdentityMapping::None`] like the host.
    pub fn map_identity<F: LoginFlow>(&self, identity: &ExternalIdentity) -> IdentityMapping {
        let manifest = F::manifest();
        if !manifest.is_handled(Hook::MapIdentity.as_str()) {
            return IdentityMapping::None;
        }
        F::map_identity(&self.ctx(&manifest), identity)
    }
}

#[cfg(test)]
mod tests;
