//! The plugin runtime in-process, against real compiled components: the
//! shipped validators, the hostile test plugins, loading checks, hot reload,
//! projections and login flows.

mod api;
mod hostile;
mod loading;
mod reload;
mod scaffold;
mod worlds;

use std::path::{Path, PathBuf};

use rampart::config::{Config, PluginsConfig};
use rampart::plugins::PluginRegistry;
use rampart::plugins::types::{AggregateState, Command};

/// A compiled test plugin (from `tests/plugins/`, built by the host's build script).
pub fn test_plugin(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR"))
        .join("test-plugins")
        .join(format!("{name}.wasm"))
}

/// The code cache every test shares, so each component compiles once per run.
pub fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// Plugin settings: the defaults with `Dir` in `dir`, plus `yaml` (a mapping
/// of `Plugins` keys, e.g. `"hostile:\n  Config: {mode: loop}\n"`).
pub fn plugins_config(dir: &Path, yaml: &str) -> PluginsConfig {
    let indented: String = yaml.lines().map(|line| format!("  {line}\n")).collect();
    let file = dir.join("rampart.yaml");
    let text = format!(
        "Plugins:\n  Dir: {}\n  CacheDir: {}\n{indented}",
        dir.join("plugins").display(),
        shared_cache().display()
    );
    std::fs::write(&file, text).expect("write config");
    Config::load(&[file], Vec::new())
        .expect("test config loads")
        .plugins
}

/// A registry over a fresh directory holding copies of `files` (test plugin names).
pub fn registry_with(files: &[&str], yaml: &str) -> (tempfile::TempDir, PluginRegistry) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = plugins_config(dir.path(), yaml);
    std::fs::create_dir_all(&config.dir).expect("plugin dir");
    for name in files {
        std::fs::copy(test_plugin(name), config.dir.join(format!("{name}.wasm")))
            .expect("copy plugin");
    }
    let registry = PluginRegistry::start(config).expect("runtime starts");
    (dir, registry)
}

/// A command named `name` with a JSON payload.
pub fn command(name: &str, payload: serde_json::Value) -> Command {
    Command {
        name: name.to_owned(),
        instance_id: "instance-1".to_owned(),
        org_id: Some("org-1".to_owned()),
        actor: "user-admin".to_owned(),
        aggregate_type: "user".to_owned(),
        aggregate_id: "user-1".to_owned(),
        payload: payload.to_string(),
    }
}

/// The state of an aggregate that does not exist yet.
pub fn new_aggregate() -> AggregateState {
    AggregateState {
        sequence: 0,
        state: "null".to_owned(),
    }
}

/// A `user.human.add` payload with `password`.
pub fn add_user(username: &str, email: &str, password: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "username": username,
        "profile": {"givenName": "Ada", "familyName": "Lovelace"},
        "email": {"address": email, "verified": false},
        "password": password,
    })
}
