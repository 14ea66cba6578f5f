//! `rampart:plugin/clock`: wall time, or the event's time during projections.

use super::clock_wit::Host;
use super::require;
use crate::config::Capability;
use crate::plugins::bindings::types::Datetime;
use crate::plugins::call_state::CallState;

impl Host for CallState {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        require(self, Capability::Clock)?;
        Ok(CallState::now(self))
    }
}
