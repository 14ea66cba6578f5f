//! Secret fields of commands (a plaintext password), as the catalogue marks
//! them where each command is defined: a validator sees them only when it
//! asked for the `secrets` capability and was granted it; the others read
//! `"<redacted>"` in their place, so they learn that one was given but not
//! what it is.

use std::sync::OnceLock;

use rampart_plugin_sdk::catalogue::REDACTED;

use super::bindings::types::Command;
use super::component::LoadedPlugin;
use crate::config::Capability;

/// Whether `plugin` sees secret fields (its manifest asked for `secrets`,
/// and it loaded, so the grant was given).
pub(crate) fn reads_secrets(plugin: &LoadedPlugin) -> bool {
    plugin
        .manifest
        .capabilities
        .iter()
        .any(|c| c == Capability::Secrets.as_str())
}

/// `command` for the validators without the grant, computed once per chain.
pub(crate) struct Withheld<'a> {
    command: &'a Command,
    redacted: OnceLock<Option<Command>>,
}

impl<'a> Withheld<'a> {
    /// Wraps `command`.
    pub(crate) fn new(command: &'a Command) -> Self {
        Self {
            command,
            redacted: OnceLock::new(),
        }
    }

    /// The command as `plugin` may see it.
    pub(crate) fn for_plugin(&self, plugin: &LoadedPlugin) -> &Command {
        if reads_secrets(plugin) {
            return self.command;
        }
        self.redacted
            .get_or_init(|| without_secrets(self.command))
            .as_ref()
            .unwrap_or(self.command)
    }
}

/// `command` with its marked secret fields replaced by [`REDACTED`]; `None`
/// when it has none set (commands the catalogue does not know, from dry
/// runs, carry what their caller wrote and nothing the host holds).
fn without_secrets(command: &Command) -> Option<Command> {
    let secrets = rampart_plugin_sdk::catalogue::command_secret_fields(&command.name)?;
    if secrets.is_empty() {
        return None;
    }
    let mut payload: serde_json::Value = serde_json::from_str(&command.payload).ok()?;
    let map = payload.as_object_mut()?;
    let mut changed = false;
    for field in secrets {
        if let Some(value) = map.get_mut(*field).filter(|v| !v.is_null()) {
            *value = serde_json::Value::String(REDACTED.into());
            changed = true;
        }
    }
    changed.then(|| Command {
        payload: payload.to_string(),
        ..command.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(name: &str, payload: serde_json::Value) -> Command {
        Command {
            name: name.into(),
            instance_id: "i".into(),
            org_id: None,
            actor: "a".into(),
            aggregate_type: "user".into(),
            aggregate_id: "u".into(),
            payload: payload.to_string(),
        }
    }

    #[test]
    fn a_plaintext_password_is_replaced_and_the_rest_kept() {
        let add = command(
            "user.human.add",
            serde_json::json!({ "username": "ada", "password": "Sup3r-secret" }),
        );
        let seen: serde_json::Value =
            serde_json::from_str(&without_secrets(&add).unwrap().payload).unwrap();
        assert_eq!(
            seen,
            serde_json::json!({ "username": "ada", "password": REDACTED })
        );
    }

    #[test]
    fn commands_without_a_secret_set_are_passed_as_they_are() {
        let no_password = command("user.human.add", serde_json::json!({ "username": "ada" }));
        assert!(without_secrets(&no_password).is_none());
        let lock = command("user.lock", serde_json::json!({}));
        assert!(without_secrets(&lock).is_none());
    }
}
