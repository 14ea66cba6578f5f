//! # Host imports
//!
//! The host side of the WIT interfaces plugins import, one file per interface
//! (the capabilities `log`, `config`, `clock`), plus WASI with an empty context.
//! Each import checks its capability at call time too, so a component that
//! imports an interface its manifest did not declare still cannot use it.

mod clock;
mod config;
pub(crate) mod log;

use wasmtime::component::{HasSelf, Linker};

use super::bindings::{clock as clock_wit, config as config_wit, log as log_wit};
use super::call_state::CallState;
use crate::config::Capability;

/// Links the Rampart interfaces and WASI (p2, synchronous) into `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    log_wit::add_to_linker::<_, HasSelf<CallState>>(linker, |state| state)?;
    config_wit::add_to_linker::<_, HasSelf<CallState>>(linker, |state| state)?;
    clock_wit::add_to_linker::<_, HasSelf<CallState>>(linker, |state| state)?;
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    Ok(())
}

/// Traps unless the calling plugin holds `capability`.
fn require(state: &CallState, capability: Capability) -> wasmtime::Result<()> {
    if state.granted(capability) {
        Ok(())
    } else {
        Err(wasmtime::Error::msg(format!(
            "plugin `{}` used the `{capability}` capability, which its configuration does not grant",
            state.identity.name
        )))
    }
}
