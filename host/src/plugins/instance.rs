//! # Fresh instances
//!
//! Every call gets an instance nobody used before, in a store of its own,
//! made from the plugin's pre-instantiated component (imports resolved and
//! types checked once, at load). With the pooling allocator this costs a few
//! microseconds; `benches/plugins.rs` shows where they go.

use std::sync::Arc;

use wasmtime::{ResourceLimiter, Store};

use super::bindings::login_flow::{LoginFlow, LoginFlowPre};
use super::bindings::projection::{Projection, ProjectionPre};
use super::bindings::validator::{Validator, ValidatorPre};
use super::call_state::{CallIdentity, CallState, Determinism};
use super::engine::deadline_ticks;

/// A pre-instantiated component of one world: linked, type-checked, ready to
/// instantiate.
pub(crate) enum Pre {
    Validator(ValidatorPre<CallState>),
    Projection(ProjectionPre<CallState>),
    LoginFlow(LoginFlowPre<CallState>),
}

/// The exports of one live instance.
pub(crate) enum Bindings {
    Validator(Validator),
    Projection(Projection),
    LoginFlow(LoginFlow),
}

/// A fresh instance and the store it lives in.
pub(crate) struct Fresh {
    pub(crate) store: Store<CallState>,
    pub(crate) bindings: Bindings,
}

/// A failed instantiation, with the store (to tell a memory-limit hit).
pub(crate) struct InstantiateError {
    pub(crate) store: Store<CallState>,
    pub(crate) error: wasmtime::Error,
}

impl Pre {
    /// A new instance in a new store for `identity`, bounded by `deadline`
    /// from now on (instantiation may run guest start functions, then the call).
    pub(crate) fn instantiate(
        &self,
        identity: &Arc<CallIdentity>,
        deadline: std::time::Duration,
        determinism: Determinism,
    ) -> Result<Fresh, InstantiateError> {
        let engine = match self {
            Pre::Validator(pre) => pre.engine(),
            Pre::Projection(pre) => pre.engine(),
            Pre::LoginFlow(pre) => pre.engine(),
        };
        let mut store = Store::new(engine, CallState::new(identity.clone(), determinism));
        store.limiter(|state| state as &mut dyn ResourceLimiter);
        store.set_epoch_deadline(deadline_ticks(deadline));
        store.epoch_deadline_trap();
        let bindings = match self {
            Pre::Validator(pre) => pre.instantiate(&mut store).map(Bindings::Validator),
            Pre::Projection(pre) => pre.instantiate(&mut store).map(Bindings::Projection),
            Pre::LoginFlow(pre) => pre.instantiate(&mut store).map(Bindings::LoginFlow),
        };
        match bindings {
            Ok(bindings) => Ok(Fresh { store, bindings }),
            Err(error) => Err(InstantiateError { store, error }),
        }
    }
}
