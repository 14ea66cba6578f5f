//! # Manifest checks
//!
//! What a component says about itself is checked against what it is (its
//! world) and what the configuration allows (its grants) before it may serve.

use super::bindings::types::{Manifest, PluginKind};
use crate::config::{Capability, PluginSettings, is_plugin_name};

impl PluginKind {
    /// The kind's name as configuration and the status API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Validator => "validator",
            PluginKind::Projection => "projection",
            PluginKind::LoginFlow => "login-flow",
        }
    }
}

/// Checks `manifest` for a component of world `kind`, configured by `settings`.
/// Returns the reason it may not load.
pub(crate) fn check(
    manifest: &Manifest,
    kind: PluginKind,
    settings: &PluginSettings,
) -> Result<(), String> {
    if !is_plugin_name(&manifest.name) {
        return Err(format!(
            "manifest name `{}` is not a plugin name (lowercase letters, digits and inner hyphens)",
            manifest.name
        ));
    }
    if manifest.kind != kind {
        return Err(format!(
            "manifest of `{}` says it is a {}, but the component implements the {} world",
            manifest.name,
            manifest.kind.as_str(),
            kind.as_str()
        ));
    }
    if manifest.version.trim().is_empty() {
        return Err(format!(
            "manifest of `{}` has an empty version",
            manifest.name
        ));
    }
    // Unknown names first: no grant could make such a plugin load.
    let mut asked = Vec::new();
    for name in &manifest.capabilities {
        let Some(capability) = Capability::parse(name) else {
            let known: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
            return Err(format!(
                "plugin `{}` asks for capability `{name}`, which Rampart does not offer (known: {})",
                manifest.name,
                known.join(", ")
            ));
        };
        asked.push(capability);
    }
    if let Some(missing) = asked.iter().find(|c| !settings.grants.contains(c)) {
        return Err(format!(
            "plugin `{}` asks for capability `{missing}`, which is not granted \
             (add it to Plugins.{}.Grants to allow it)",
            manifest.name, manifest.name
        ));
    }
    Ok(())
}

/// Whether a manifest's `handles` pattern list matches `name` (a command
/// name, event type or hook); a trailing `*` matches a prefix.
pub(crate) fn handles(patterns: &[String], name: &str) -> bool {
    patterns
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => pattern == name,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(capabilities: &[&str]) -> Manifest {
        Manifest {
            name: "rule".into(),
            version: "1.0.0".into(),
            kind: PluginKind::Validator,
            description: String::new(),
            handles: vec!["user.*".into()],
            capabilities: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn granted_capabilities_pass() {
        let settings = PluginSettings {
            grants: vec![Capability::Log, Capability::Clock],
            ..Default::default()
        };
        let manifest = manifest(&["log", "clock"]);
        assert_eq!(check(&manifest, PluginKind::Validator, &settings), Ok(()));
    }

    #[test]
    fn by_default_only_config_is_granted() {
        let defaults = PluginSettings::default();
        assert_eq!(
            check(&manifest(&["config"]), PluginKind::Validator, &defaults),
            Ok(())
        );
        let err = check(&manifest(&["log"]), PluginKind::Validator, &defaults).unwrap_err();
        assert!(err.contains("`log`, which is not granted"), "{err}");
    }

    #[test]
    fn an_unknown_capability_is_refused_by_name() {
        let err = check(
            &manifest(&["network"]),
            PluginKind::Validator,
            &PluginSettings::default(),
        )
        .unwrap_err();
        assert!(
            err.contains("`network`, which Rampart does not offer"),
            "{err}"
        );
    }

    #[test]
    fn an_ungranted_capability_names_the_setting() {
        let settings = PluginSettings {
            grants: vec![Capability::Log],
            ..Default::default()
        };
        let err = check(&manifest(&["clock"]), PluginKind::Validator, &settings).unwrap_err();
        assert!(err.contains("Plugins.rule.Grants"), "{err}");
    }

    #[test]
    fn a_kind_that_disagrees_with_the_world_is_refused() {
        let err = check(
            &manifest(&[]),
            PluginKind::Projection,
            &PluginSettings::default(),
        )
        .unwrap_err();
        assert!(err.contains("says it is a validator"), "{err}");
    }

    #[test]
    fn handles_matches_exact_names_and_prefixes() {
        let patterns = vec!["user.*".to_owned(), "org.add".to_owned()];
        assert!(handles(&patterns, "user.human.add"));
        assert!(handles(&patterns, "org.add"));
        assert!(!handles(&patterns, "org.rename"));
    }
}
