//! # Login flows
//!
//! Where the login-flow plugins (`wit/worlds.wit`, world `login-flow`)
//! shape logins. The host calls them at these points:
//!
//! | hook | when | what it may decide |
//! |---|---|---|
//! | `before-authentication` | a session check names the user, before any credential is checked | allow, deny, require a second factor |
//! | `after-authentication` | after each credential check that passed, and when a session finishes an OAuth request (with the client and scopes) | the same |
//! | `complement-claims` | issuing an ID token, a JWT access token, answering userinfo | claims to add or replace |
//!
//! Every plugin handling a hook runs, in name order: the first denial
//! wins; a second factor is required when any plugin asks for one. The
//! context carries the user's roles and metadata ([`context`]), read only
//! when some plugin handles the hook.
//!
//! **Fail closed.** A plugin that traps, runs past its deadline, runs out
//! of memory or cannot be scheduled does not let the login through: the
//! call fails with [`LoginFlowError::Plugin`], which names the plugin and
//! what happened. The same holds for claims a plugin may not set.

mod claims;
pub mod context;

use std::sync::Arc;

use async_trait::async_trait;

pub use self::claims::{REGISTERED_CLAIMS, complement};
use crate::plugins::types::{AuthDecision, LoginContext, PluginKind};
use crate::plugins::{LoadedPlugin, PluginError, PluginRegistry, handles};
use crate::query::{Queries, QueryError};

/// The hook names a plugin's manifest lists in `handles`.
pub mod hook {
    /// Before any credential is checked.
    pub const BEFORE_AUTHENTICATION: &str = "before-authentication";
    /// After a credential check passed.
    pub const AFTER_AUTHENTICATION: &str = "after-authentication";
    /// Claims of tokens and userinfo.
    pub const COMPLEMENT_CLAIMS: &str = "complement-claims";
}

/// A login as the hooks are told about it; the user's roles and metadata
/// are added when a hook runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Login {
    /// The instance.
    pub instance_id: String,
    /// The user's organization, once known.
    pub org_id: Option<String>,
    /// The user, once identified.
    pub user_id: Option<String>,
    /// What the user typed to identify themselves (or the user id).
    pub login_name: String,
    /// The OAuth client the login is for, if known.
    pub client_id: Option<String>,
    /// The browser's address, if known.
    pub remote_addr: Option<String>,
    /// The browser's user agent, if known.
    pub user_agent: Option<String>,
    /// Credentials passed so far: `password`, `totp`, `recovery-code`.
    pub auth_methods: Vec<String>,
    /// The scopes the client asked for.
    pub requested_scopes: Vec<String>,
}

/// What the login-flow plugins decided together about a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Go on.
    Allow,
    /// Refuse, with the plugin's message for the user.
    Deny {
        /// The refusing plugin.
        plugin: String,
        /// What the user is told.
        message: String,
    },
    /// Go on only with a second factor.
    SecondFactor {
        /// The (first) plugin that asked for it.
        plugin: String,
    },
}

/// Why the login-flow plugins could not decide: the login does not go on.
#[derive(Debug, thiserror::Error)]
pub enum LoginFlowError {
    /// A plugin failed (trap, deadline, memory, overload) or answered what
    /// it may not (e.g. a registered claim).
    #[error("the login cannot go on: {0}")]
    Plugin(#[from] PluginError),
    /// The user's roles or metadata could not be read.
    #[error("the login cannot go on: {0}")]
    Query(#[from] QueryError),
}

/// The decisions a login's checks ask for; what the session side calls
/// (the command side knows no plugins' context).
#[async_trait]
pub trait LoginGate: Send + Sync {
    /// `before-authentication` of `login`.
    ///
    /// # Errors
    /// [`LoginFlowError`]: the login must not go on.
    async fn before_authentication(&self, login: &Login) -> Result<Gate, LoginFlowError>;

    /// `after-authentication` of `login`.
    ///
    /// # Errors
    /// [`LoginFlowError`]: the login must not go on.
    async fn after_authentication(&self, login: &Login) -> Result<Gate, LoginFlowError>;
}

/// The serving login-flow plugins, and what they read about users.
#[derive(Clone)]
pub struct LoginFlows {
    plugins: Arc<PluginRegistry>,
    queries: Queries,
}

impl std::fmt::Debug for LoginFlows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFlows").finish_non_exhaustive()
    }
}

impl LoginFlows {
    /// The login flows among `plugins`, reading users through `queries`.
    pub fn new(plugins: Arc<PluginRegistry>, queries: Queries) -> Self {
        Self { plugins, queries }
    }

    /// The serving login-flow plugins that handle `hook`, in name order.
    fn handling(&self, hook: &str) -> Vec<Arc<LoadedPlugin>> {
        self.plugins
            .catalog()
            .plugins
            .values()
            .filter(|p| p.kind == PluginKind::LoginFlow && handles(&p.manifest.handles, hook))
            .cloned()
            .collect()
    }

    /// The context of `login` for the plugins.
    ///
    /// # Errors
    /// The query side's.
    async fn context(&self, login: &Login) -> Result<LoginContext, LoginFlowError> {
        Ok(context::build(&self.queries, login).await?)
    }

    /// Runs `hook` of every plugin handling it and combines their
    /// decisions.
    async fn gate(
        &self,
        hook: &'static str,
        login: &Login,
        call: fn(&LoadedPlugin, &LoginContext) -> Result<AuthDecision, PluginError>,
    ) -> Result<Gate, LoginFlowError> {
        let plugins = self.handling(hook);
        if plugins.is_empty() {
            return Ok(Gate::Allow);
        }
        let context = Arc::new(self.context(login).await?);
        let mut gate = Gate::Allow;
        for plugin in plugins {
            let name = plugin.manifest.name.clone();
            let context = context.clone();
            let decision = self
                .plugins
                .call(plugin, move |p| call(p, &context))
                .await
                .inspect_err(|error| {
                    tracing::warn!(plugin = %name, hook, %error, "login-flow plugin failed; the login is refused");
                })?;
            match decision {
                AuthDecision::Allow => {}
                AuthDecision::Deny(message) => {
                    tracing::info!(plugin = %name, hook, "login denied by a login-flow plugin");
                    return Ok(Gate::Deny {
                        plugin: name,
                        message,
                    });
                }
                AuthDecision::RequireSecondFactor => {
                    if gate == Gate::Allow {
                        gate = Gate::SecondFactor { plugin: name };
                    }
                }
            }
        }
        Ok(gate)
    }

    /// What the plugins handling `complement-claims` are told about
    /// `login`, read once for all the tokens of one grant; `None` when no
    /// plugin handles the hook.
    ///
    /// # Errors
    /// [`LoginFlowError::Query`]: the user's roles or metadata cannot be
    /// read; no token is issued.
    pub async fn claims_context(
        &self,
        login: &Login,
    ) -> Result<Option<ClaimsContext>, LoginFlowError> {
        let plugins = self.handling(hook::COMPLEMENT_CLAIMS);
        if plugins.is_empty() {
            return Ok(None);
        }
        Ok(Some(ClaimsContext {
            plugins,
            context: Arc::new(self.context(login).await?),
        }))
    }

    /// Adds or replaces in `claims` (an ID token's, a JWT access token's or
    /// a userinfo answer's) what the plugins of `context` return.
    ///
    /// # Errors
    /// [`LoginFlowError`]: a plugin failed or set a registered claim or a
    /// value that is not JSON; the token is not issued.
    pub async fn complement_claims(
        &self,
        context: &ClaimsContext,
        claims: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), LoginFlowError> {
        for plugin in &context.plugins {
            let name = plugin.manifest.name.clone();
            let login = context.context.clone();
            let given = claims::to_wit(claims);
            let added = self
                .plugins
                .call(plugin.clone(), move |p| p.complement_claims(&login, &given))
                .await
                .inspect_err(|error| {
                    tracing::warn!(plugin = %name, %error, "login-flow plugin failed; no token is issued");
                })?;
            complement(&name, claims, added)?;
        }
        Ok(())
    }
}

/// The `complement-claims` plugins serving when a grant began, and the
/// login as they see it.
#[derive(Debug, Clone)]
pub struct ClaimsContext {
    plugins: Vec<Arc<LoadedPlugin>>,
    context: Arc<LoginContext>,
}

#[async_trait]
impl LoginGate for LoginFlows {
    async fn before_authentication(&self, login: &Login) -> Result<Gate, LoginFlowError> {
        self.gate(hook::BEFORE_AUTHENTICATION, login, |p, c| {
            p.before_authentication(c)
        })
        .await
    }

    async fn after_authentication(&self, login: &Login) -> Result<Gate, LoginFlowError> {
        self.gate(hook::AFTER_AUTHENTICATION, login, |p, c| {
            p.after_authentication(c)
        })
        .await
    }
}

impl From<LoginFlowError> for crate::command::CommandError {
    fn from(error: LoginFlowError) -> Self {
        match error {
            LoginFlowError::Plugin(error) => Self::Plugin(error),
            LoginFlowError::Query(error) => error.into_command_error("reading the login's user"),
        }
    }
}
