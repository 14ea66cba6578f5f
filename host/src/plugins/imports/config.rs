//! `rampart:plugin/config`: the plugin's own `Config` from the YAML settings.

use super::config_wit::Host;
use super::require;
use crate::config::Capability;
use crate::plugins::call_state::CallState;

impl Host for CallState {
    fn get(&mut self) -> wasmtime::Result<String> {
        require(self, Capability::Config)?;
        Ok(self.identity.config_json.clone())
    }
}
