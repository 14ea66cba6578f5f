//! # Calling a plugin
//!
//! Every call gets a fresh `Store` and a fresh instance from the pool
//! (`instance.rs`), so no
//! state survives between calls or tenants; the store is dropped afterwards
//! (also after a trap, which poisons an instance). Each call runs under an
//! epoch deadline and the plugin's memory limit, and every failure becomes a
//! [`PluginError`] naming the plugin and the hook.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{PoolConcurrencyLimitError, Store, Trap};

use super::bindings::login_flow::LoginFlow;
use super::bindings::projection::Projection;
use super::bindings::types::{
    AggregateState, AuthDecision, Claim, Command, Event, ExternalIdentity, IdentityMapping,
    LoginContext, Manifest, PluginKind, Rejection, Statement, Table, Value,
};
use super::bindings::validator::Validator;
use super::call_state::{CallIdentity, CallState, Determinism};
use super::component::{LoadedPlugin, root_cause};
use super::error::PluginError;
use super::imports::log::{MAX_LINE, truncate};
use super::instance::{Bindings, Fresh, InstantiateError, Pre};
use super::stats::PluginStats;

/// Bytes of a guest's stderr quoted in a trap message.
const STDERR_IN_ERROR: usize = 1024;

/// The bounds of one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) deadline: Duration,
    pub(crate) max_output: usize,
}

/// Runs `body` on a fresh instance of `pre` for `identity`, under `limits`.
#[allow(clippy::too_many_arguments)]
fn run<R>(
    pre: &Pre,
    identity: &Arc<CallIdentity>,
    limits: Limits,
    stats: &PluginStats,
    hook: &'static str,
    determinism: Determinism,
    body: impl FnOnce(&mut Store<CallState>, &Bindings) -> wasmtime::Result<R>,
    size: impl FnOnce(&R) -> usize,
) -> Result<R, PluginError> {
    let started = Instant::now();
    let _running = super::pool::running(&identity.name);
    let (mut store, outcome) = match pre.instantiate(identity, limits.deadline, determinism) {
        Ok(Fresh {
            mut store,
            bindings,
        }) => {
            let outcome = body(&mut store, &bindings);
            (store, outcome)
        }
        Err(InstantiateError { store, error }) => (store, Err(error)),
    };
    let stdio = store.data_mut().take_stdio();
    let stderr_tail = stdio.as_ref().map(|(out, err)| {
        log_stdio(&identity.name, "stdout", out);
        log_stdio(&identity.name, "stderr", err);
        String::from_utf8_lossy(err).trim().to_owned()
    });
    let result = match outcome {
        Ok(value) => {
            let bytes = size(&value);
            if bytes > limits.max_output {
                Err(PluginError::OutputTooLarge {
                    plugin: identity.name.clone(),
                    hook,
                    size: bytes,
                    limit: limits.max_output,
                })
            } else {
                Ok(value)
            }
        }
        Err(err) => Err(classify(err, &store, identity, limits, hook, stderr_tail)),
    };
    drop(store);
    let elapsed = started.elapsed();
    match &result {
        Ok(_) => stats.record(elapsed),
        Err(err) => stats.record_error(elapsed, &err.to_string()),
    }
    result
}

/// Turns a wasmtime error into the [`PluginError`] that says what happened.
fn classify(
    err: wasmtime::Error,
    store: &Store<CallState>,
    identity: &CallIdentity,
    limits: Limits,
    hook: &'static str,
    stderr: Option<String>,
) -> PluginError {
    let plugin = identity.name.clone();
    if let Some(requested) = store.data().memory_exceeded {
        return PluginError::MemoryLimit {
            plugin,
            hook,
            requested,
            limit: identity.memory_limit,
        };
    }
    if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return PluginError::DeadlineExceeded {
            plugin,
            hook,
            deadline: limits.deadline,
        };
    }
    if err.downcast_ref::<PoolConcurrencyLimitError>().is_some() {
        return PluginError::Unavailable {
            plugin,
            message: format!("{} (raise Plugins.MaxConcurrentCalls)", root_cause(&err)),
        };
    }
    let mut message = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => root_cause(&err),
    };
    if let Some(stderr) = stderr.filter(|s| !s.is_empty()) {
        let start = stderr.len().saturating_sub(STDERR_IN_ERROR);
        let start = (start..stderr.len())
            .find(|&i| stderr.is_char_boundary(i))
            .unwrap_or(0);
        message = format!(
            "{message}; the plugin wrote to stderr: {}",
            &stderr[start..]
        );
    }
    PluginError::Trap {
        plugin,
        hook,
        message,
    }
}

/// Logs what a guest wrote to stdout or stderr, line by line.
fn log_stdio(plugin: &str, stream: &str, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    for line in String::from_utf8_lossy(bytes).lines() {
        tracing::info!(target: "rampart::plugin", plugin, stream, "{}", truncate(line, MAX_LINE));
    }
}

/// `manifest` of any world, on an instance made for the purpose.
pub(crate) fn manifest(
    pre: &Pre,
    identity: &Arc<CallIdentity>,
    limits: Limits,
    stats: &PluginStats,
) -> Result<Manifest, PluginError> {
    let size = |m: &Manifest| {
        m.name.len()
            + m.version.len()
            + m.description.len()
            + m.handles
                .iter()
                .chain(&m.capabilities)
                .map(String::len)
                .sum::<usize>()
    };
    run(
        pre,
        identity,
        limits,
        stats,
        "manifest",
        Determinism::Live,
        |store, bindings| match bindings {
            Bindings::Validator(b) => b.call_manifest(store),
            Bindings::Projection(b) => b.call_manifest(store),
            Bindings::LoginFlow(b) => b.call_manifest(store),
        },
        size,
    )
}

/// A projection's `tables`, on an instance made for the purpose.
pub(crate) fn tables(
    pre: &Pre,
    identity: &Arc<CallIdentity>,
    limits: Limits,
    stats: &PluginStats,
) -> Result<Vec<Table>, PluginError> {
    let size = |tables: &Vec<Table>| {
        tables
            .iter()
            .map(|t| t.name.len() + t.columns.iter().map(|c| c.name.len() + 8).sum::<usize>())
            .sum()
    };
    run(
        pre,
        identity,
        limits,
        stats,
        "tables",
        Determinism::Live,
        |store, bindings| projection(bindings)?.call_tables(store),
        size,
    )
}

fn validator(bindings: &Bindings) -> wasmtime::Result<&Validator> {
    match bindings {
        Bindings::Validator(b) => Ok(b),
        _ => Err(wasmtime::Error::msg("not a validator")),
    }
}

fn projection(bindings: &Bindings) -> wasmtime::Result<&Projection> {
    match bindings {
        Bindings::Projection(b) => Ok(b),
        _ => Err(wasmtime::Error::msg("not a projection")),
    }
}

fn login_flow(bindings: &Bindings) -> wasmtime::Result<&LoginFlow> {
    match bindings {
        Bindings::LoginFlow(b) => Ok(b),
        _ => Err(wasmtime::Error::msg("not a login flow")),
    }
}

impl LoadedPlugin {
    /// Runs `body` on a fresh instance of this plugin.
    fn call<R>(
        &self,
        hook: &'static str,
        determinism: Determinism,
        body: impl FnOnce(&mut Store<CallState>, &Bindings) -> wasmtime::Result<R>,
        size: impl FnOnce(&R) -> usize,
    ) -> Result<R, PluginError> {
        run(
            &self.pre,
            &self.identity,
            self.limits,
            &self.stats,
            hook,
            determinism,
            body,
            size,
        )
    }

    /// Fails unless this plugin implements `kind`.
    fn expect_kind(&self, kind: PluginKind) -> Result<(), PluginError> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(PluginError::NotFound {
                plugin: self.manifest.name.clone(),
                kind: kind.as_str(),
            })
        }
    }

    /// The plugin's verdict on `command`: `Ok(Err(rejection))` is a rejection,
    /// not a failure.
    pub fn validate(
        &self,
        command: &Command,
        state: &AggregateState,
    ) -> Result<Result<(), Rejection>, PluginError> {
        self.validate_with(command, state, None)
    }

    /// [`LoadedPlugin::validate`], with `settings` (the settings in effect,
    /// as JSON) served as the `settings` member of the plugin's
    /// configuration.
    pub fn validate_with(
        &self,
        command: &Command,
        state: &AggregateState,
        settings: Option<&Arc<str>>,
    ) -> Result<Result<(), Rejection>, PluginError> {
        self.expect_kind(PluginKind::Validator)?;
        let size = |r: &Result<(), Rejection>| {
            r.as_ref()
                .err()
                .map_or(0, |r| r.code.len() + r.message.len())
        };
        self.call(
            "validate",
            Determinism::Live,
            |store, b| {
                store.data_mut().settings = settings.cloned();
                validator(b)?.call_validate(store, command, state)
            },
            size,
        )
    }

    /// The statements for `event` (or the projection's own error, as text).
    /// The plugin's clock reads the event's time and WASI randomness is seeded
    /// from the event's position, so replays produce the same statements.
    pub fn project(&self, event: &Event) -> Result<Result<Vec<Statement>, String>, PluginError> {
        self.expect_kind(PluginKind::Projection)?;
        let determinism = Determinism::Replay {
            at: event.created_at,
            seed: event.position.transaction.rotate_left(20) ^ u64::from(event.position.index),
        };
        let size = |r: &Result<Vec<Statement>, String>| match r {
            Ok(statements) => statements.iter().map(statement_size).sum(),
            Err(message) => message.len(),
        };
        let result = self.call(
            "project",
            determinism,
            |store, b| projection(b)?.call_project(store, event),
            size,
        )?;
        if let Ok(statements) = &result {
            super::tables::check_statements(&self.tables, statements).map_err(|message| {
                PluginError::InvalidOutput {
                    plugin: self.manifest.name.clone(),
                    hook: "project",
                    message,
                }
            })?;
        }
        Ok(result)
    }

    /// The `before-authentication` hook.
    pub fn before_authentication(
        &self,
        context: &LoginContext,
    ) -> Result<AuthDecision, PluginError> {
        self.login_hook("before-authentication", decision_size, |store, flow| {
            flow.call_before_authentication(store, context)
        })
    }

    /// The `after-authentication` hook.
    pub fn after_authentication(
        &self,
        context: &LoginContext,
    ) -> Result<AuthDecision, PluginError> {
        self.login_hook("after-authentication", decision_size, |store, flow| {
            flow.call_after_authentication(store, context)
        })
    }

    /// Runs one login-flow hook.
    fn login_hook<R>(
        &self,
        hook: &'static str,
        size: impl FnOnce(&R) -> usize,
        call: impl FnOnce(&mut Store<CallState>, &LoginFlow) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        self.expect_kind(PluginKind::LoginFlow)?;
        self.call(
            hook,
            Determinism::Live,
            |store, b| call(store, login_flow(b)?),
            size,
        )
    }

    /// The `complement-claims` hook: the claims to add or replace.
    pub fn complement_claims(
        &self,
        context: &LoginContext,
        claims: &[Claim],
    ) -> Result<Vec<Claim>, PluginError> {
        let size = |claims: &Vec<Claim>| claims.iter().map(|c| c.name.len() + c.value.len()).sum();
        self.login_hook("complement-claims", size, |store, flow| {
            flow.call_complement_claims(store, context, claims)
        })
    }

    /// The `map-identity` hook.
    pub fn map_identity(
        &self,
        identity: &ExternalIdentity,
    ) -> Result<IdentityMapping, PluginError> {
        let size = |m: &IdentityMapping| match m {
            IdentityMapping::None => 0,
            IdentityMapping::Link(s)
            | IdentityMapping::Provision(s)
            | IdentityMapping::Reject(s) => s.len(),
        };
        self.login_hook("map-identity", size, |store, flow| {
            flow.call_map_identity(store, identity)
        })
    }
}

fn decision_size(decision: &AuthDecision) -> usize {
    match decision {
        AuthDecision::Deny(message) => message.len(),
        _ => 0,
    }
}

/// Bytes of text a statement carries.
fn statement_size(statement: &Statement) -> usize {
    let fields = |fields: &[super::bindings::types::Field]| -> usize {
        fields
            .iter()
            .map(|f| f.column.len() + value_size(&f.value))
            .sum()
    };
    match statement {
        Statement::Insert(s) => s.table.len() + fields(&s.fields),
        Statement::Upsert(s) => {
            s.table.len() + fields(&s.fields) + s.conflict.iter().map(String::len).sum::<usize>()
        }
        Statement::Update(s) => s.table.len() + fields(&s.set) + fields(&s.filter),
        Statement::Delete(s) => s.table.len() + fields(&s.filter),
    }
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::Text(s) | Value::Json(s) => s.len(),
        _ => 8,
    }
}
