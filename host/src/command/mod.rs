//! # Command side
//!
//! Every change to an IAM resource enters here as a command and leaves as
//! events in the eventstore. [`Commands`] is the service the API edge and
//! the start-up code call, one method per command; each runs the same
//! pipeline (`pipeline`):
//!
//! 1. **Load** the aggregate's write model: query its events and fold them
//!    (`write_model`), noting the latest sequence.
//! 2. **Validate**: the validator plugins that handle the command's
//!    catalogue name see its payload (a password in plain text included)
//!    and the write model as JSON; the first rejection fails the command
//!    with the plugin's code and message. A validator that fails to run
//!    fails the command too.
//! 3. **Decide**: the command's own rules against the write model (exists?
//!    in the right state?) produce the events, created by the actor, and
//!    the unique values to claim or release.
//! 4. **Push** expecting the sequence from step 1. When another writer
//!    moved the aggregate in between, start again at 1
//!    (`Commands.MaxRetries` times at most); a taken unique value is
//!    [`CommandError::AlreadyExists`].
//!
//! The commands live by aggregate, ZITADEL-style, each with its write model
//! (`model.rs`), one file per command group, and given/when/then tests:
//! `instance/`, `org/`, `user/` (human and machine users, personal access
//! tokens, machine keys, phone numbers, metadata), `project/` (projects,
//! their roles, grants, applications and application keys),
//! `authorization/` (which users may use a project, with which roles),
//! `settings/` (the instance's policies, overridable per organization),
//! `session/` (sessions a login UI creates with user, password and second
//! factor checks).
//! Members of instances and organizations (`member`) are kept on the
//! instance and org aggregates. Input is normalized before validation
//! (usernames and domains trimmed and lowercased, roles trimmed, distinct
//! and sorted), so validators and the store see the same values.
//!
//! The query side reads some write models directly (members, personal
//! access tokens: reads that must see a write at once), reusing their folds.
//!
//! ```ignore
//! let ctx = CommandContext::new(instance_id, "admin-user-id");
//! let org = commands.add_org(&ctx, AddOrg { name: "ACME".into(), domain: None }).await?;
//! let user = commands.add_human_user(&ctx, &org.aggregate.aggregate_id, add_user).await?;
//! commands.lock_user(&ctx, &user.aggregate.aggregate_id).await?;
//! ```

pub(crate) mod authorization;
mod batch;
mod cascade;
mod context;
mod domain;
mod error;
pub(crate) mod instance;
pub(crate) mod key_pair;
pub(crate) mod member;
mod notify;
pub(crate) mod org;
mod password;
mod pipeline;
pub(crate) mod project;
pub(crate) mod session;
pub(crate) mod settings;
mod setup;
pub(crate) mod user;
pub(crate) mod write_model;
mod write_model_cache;

#[cfg(test)]
mod milestone_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use authorization::AuthorizationAction;
pub use context::CommandContext;
pub use error::CommandError;
pub use key_pair::KeyWritten;
pub use password::{
    HASHES_RUNNING_GAUGE, PasswordHashConfigError, PasswordHasher, verify as verify_password,
};
pub use pipeline::Written;
pub use project::{AppAction, AppWritten, GrantAction, RoleAction};
pub use session::{LoginNames, SessionChecks, SessionWritten, UserCheck};
pub use settings::{InEffect, SettingsLayer, SettingsLevel};
pub use setup::{InstanceCreated, InstancePlan, PlannedToken};
pub use user::{CodeIssued, Contact, MachineSecretWritten, RecoveryCodesWritten, TotpRegistered};
pub use write_model_cache::{WRITE_MODEL_READS_METRIC, WriteModelCache};

use std::sync::{Arc, OnceLock};

use crate::cache::Caches;
use crate::config::{CodesConfig, CommandsConfig};
use crate::eventstore::EventStore;
use crate::login_flow::LoginGate;
use crate::masterkey::Keyring;
use crate::milestone::Milestones;
use crate::plugins::PluginRegistry;

/// The command side: validates, decides and stores every change.
///
/// Cheap to share behind an `Arc`; every method is independent and safe to
/// call concurrently (optimistic concurrency per aggregate).
pub struct Commands {
    store: Arc<dyn EventStore>,
    plugins: Arc<PluginRegistry>,
    hasher: PasswordHasher,
    max_retries: u32,
    /// Organizations read through the Organization cache; every push
    /// invalidates what it changed.
    caches: Arc<Caches>,
    /// Adds milestone events to the pushes that reach them.
    milestones: Milestones,
    /// How one-time codes are made and tried.
    codes: CodesConfig,
    /// Seals and opens secrets at rest (SMTP passwords); set once the
    /// masterkey is verified against the store ([`Commands::set_keyring`]).
    keyring: Arc<OnceLock<Keyring>>,
    /// Turns login names into user ids (the query side), set once at
    /// start-up ([`Commands::set_login_names`]).
    login_names: Arc<OnceLock<Arc<dyn LoginNames>>>,
    /// The login-flow plugins' decisions on session checks, set once at
    /// start-up ([`Commands::set_login_gate`]); none: every login goes on.
    login_gate: Arc<OnceLock<Arc<dyn LoginGate>>>,
}

impl std::fmt::Debug for Commands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commands")
            .field("store", &self.store.backend())
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl Commands {
    /// The command side over `store`, validated by `plugins`, configured by
    /// `Commands:` (retries, password hashing).
    ///
    /// # Errors
    /// [`CommandError::Config`] when `Commands.PasswordHash` is not valid
    /// argon2id parameters.
    pub fn new(
        store: Arc<dyn EventStore>,
        plugins: Arc<PluginRegistry>,
        config: &CommandsConfig,
    ) -> Result<Self, CommandError> {
        let caches = Arc::new(Caches::disabled());
        Ok(Self {
            store,
            plugins,
            hasher: PasswordHasher::new(&config.password_hash)?,
            max_retries: config.max_retries,
            milestones: Milestones::new(caches.milestones.clone()),
            caches,
            codes: config.codes,
            keyring: Arc::new(OnceLock::new()),
            login_names: Arc::new(OnceLock::new()),
            login_gate: Arc::new(OnceLock::new()),
        })
    }

    /// Hands the command side the keyring of the verified masterkey, which
    /// seals and opens secrets at rest. Later calls change nothing.
    pub fn set_keyring(&self, keyring: Keyring) {
        let _ = self.keyring.set(keyring);
    }

    /// The cell the verified masterkey's keyring is set into, for other
    /// parts of the node that seal secrets (the OIDC signing keys).
    pub fn keyring_cell(&self) -> Arc<OnceLock<Keyring>> {
        self.keyring.clone()
    }

    /// The same command side, reading and invalidating `caches` (by default
    /// every cache is disabled).
    pub fn with_caches(mut self, caches: Arc<Caches>) -> Self {
        self.milestones = Milestones::new(caches.milestones.clone());
        self.caches = caches;
        self
    }
}

/// A new aggregate id: a UUIDv7 (time-ordered) in simple hex form.
fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// `value` trimmed, or [`CommandError::InvalidArgument`] naming `what`
/// when that leaves nothing.
fn required(value: &str, what: &str) -> Result<String, CommandError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CommandError::invalid(format!("{what} must not be empty")));
    }
    Ok(value.to_owned())
}

/// `value` trimmed, `None` when that leaves nothing.
fn optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
