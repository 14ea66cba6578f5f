//! `rampart:plugin/config`: the plugin's own `Config` from the YAML settings,
//! and, during a validator call, the settings in effect for the command's
//! instance and organization as its `settings` member.

use super::config_wit::Host;
use super::require;
use crate::config::Capability;
use crate::plugins::call_state::CallState;

impl Host for CallState {
    fn get(&mut self) -> wasmtime::Result<String> {
        require(self, Capability::Config)?;
        let config = &self.identity.config_json;
        Ok(match &self.settings {
            Some(settings) => with_settings(config, settings),
            None => config.clone(),
        })
    }
}

/// `config` (a JSON object, or nothing) with `settings` as its `settings`
/// member; the host's value replaces one the configuration might hold.
fn with_settings(config: &str, settings: &str) -> String {
    let mut object = match serde_json::from_str::<serde_json::Value>(config) {
        Ok(serde_json::Value::Object(object)) => object,
        Ok(serde_json::Value::Null) => serde_json::Map::new(),
        // A configuration that is not an object (a bare list, say) has no
        // room for settings: it is served unchanged.
        Ok(_) | Err(_) => return config.to_owned(),
    };
    let settings = serde_json::from_str(settings).unwrap_or(serde_json::Value::Null);
    object.insert("settings".to_owned(), settings);
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::with_settings;

    #[test]
    fn given_a_config_when_settings_are_served_then_they_join_it_as_a_member() {
        let served = with_settings(
            r#"{"minLength":3}"#,
            r#"{"lockout":{"maxPasswordAttempts":3}}"#,
        );
        let served: serde_json::Value = serde_json::from_str(&served).unwrap();
        assert_eq!(served["minLength"], 3);
        assert_eq!(served["settings"]["lockout"]["maxPasswordAttempts"], 3);
    }

    #[test]
    fn given_a_config_with_its_own_settings_key_when_served_then_the_hosts_win() {
        let served = with_settings(r#"{"settings":"mine"}"#, r#"{"domain":{}}"#);
        assert_eq!(served, r#"{"settings":{"domain":{}}}"#);
    }
}
