//! # Layered loading
//!
//! Merges YAML layers into one untyped tree (defaults < files < environment),
//! remembering which [`Source`] last set each leaf, then deserializes the tree
//! into [`Config`], blaming the right source for any type error.

use std::collections::HashMap;
use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::error::{ConfigError, Source, suggest};
use super::model::Config;

/// Prefix of the environment variables that override configuration keys.
const ENV_PREFIX: &str = "RAMPART_";

/// `RAMPART_*` variables that are not configuration keys.
const RESERVED_ENV: &[&str] = &[
    "RAMPART_MASTERKEY",
    "RAMPART_MASTERKEY_FILE",
    "RAMPART_MASTERKEY_PREVIOUS",
    "RAMPART_MASTERKEY_PREVIOUS_FILE",
    "RAMPART_CONFIG",
];

/// Prefix of `RAMPART_*` variables reserved for tests.
const RESERVED_ENV_PREFIX: &str = "RAMPART_TEST_";

/// The merged, still untyped configuration tree.
pub(super) struct Layers {
    /// The merged YAML document (always a mapping).
    tree: Value,
    /// Dotted leaf path → the source that last set it.
    sources: HashMap<String, Source>,
}

impl Layers {
    /// Starts from the embedded defaults.
    pub(super) fn defaults(yaml: &str) -> Self {
        let tree: Value =
            serde_yaml_ng::from_str(yaml).expect("embedded defaults.yaml is valid YAML");
        let mut sources = HashMap::new();
        record_leaves(&tree, "", &mut sources);
        Layers { tree, sources }
    }

    /// Merges one config file over the current tree.
    pub(super) fn merge_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        let over: Value = serde_yaml_ng::from_str(&text).map_err(|err| ConfigError::Syntax {
            path: path.to_owned(),
            line: err.location().map(|l| l.line()),
            message: err.to_string(),
        })?;
        let source = Source::File(path.to_owned());
        match over {
            // An empty file, or one with only comments.
            Value::Null => Ok(()),
            Value::Mapping(over) => {
                let Value::Mapping(base) = &mut self.tree else {
                    unreachable!("defaults are a mapping")
                };
                merge_mapping(base, over, "", &source, &mut self.sources)
            }
            _ => Err(ConfigError::Shape {
                key: "<root>".to_owned(),
                source,
                expected: "a mapping of keys at the top level of the file".to_owned(),
            }),
        }
    }

    /// Applies the `RAMPART_*` environment variables over the current tree.
    pub(super) fn merge_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX) && !is_reserved(name))
            .collect();
        vars.sort();
        for (name, raw) in vars {
            self.set_env(name, &raw)?;
        }
        Ok(())
    }

    /// Sets the leaf named by one `RAMPART_*` variable.
    fn set_env(&mut self, name: String, raw: &str) -> Result<(), ConfigError> {
        let unknown = |tree: &Value, name: &str| {
            let mut names = Vec::new();
            env_names(tree, "", &mut names);
            let suffixes = names.iter().map(|n| n.trim_start_matches('_'));
            ConfigError::UnknownEnv {
                name: name.to_owned(),
                suggestion: suggest(&name[ENV_PREFIX.len()..], suffixes)
                    .map(|s| format!("{ENV_PREFIX}{s}")),
            }
        };
        let mut path: Vec<String> = Vec::new();
        let mut node = &mut self.tree;
        for segment in name[ENV_PREFIX.len()..].split('_') {
            let key = match &*node {
                Value::Mapping(m) => m
                    .keys()
                    .filter_map(Value::as_str)
                    .find(|k| k.eq_ignore_ascii_case(segment))
                    .map(str::to_owned),
                _ => None,
            };
            let Some(key) = key else {
                return Err(unknown(&self.tree, &name));
            };
            node = match node {
                Value::Mapping(m) => m.get_mut(key.as_str()).expect("key was just found"),
                _ => unreachable!("only mappings have keys"),
            };
            path.push(key);
        }
        if node.is_mapping() {
            return Err(unknown(&self.tree, &name));
        }
        *node = env_value(node, raw);
        self.sources.insert(path.join("."), Source::Env(name));
        Ok(())
    }

    /// Deserializes the merged tree into the typed [`Config`].
    pub(super) fn finish(self) -> Result<Config, ConfigError> {
        let Layers { tree, sources } = self;
        let config: Config = serde_path_to_error::deserialize(tree).map_err(|err| {
            let key = err.path().to_string();
            let source = sources.get(&key).cloned().unwrap_or(Source::Defaults);
            ConfigError::InvalidValue {
                key,
                source,
                message: err.inner().to_string(),
            }
        })?;
        config
            .check()
            .map_err(|(key, message)| ConfigError::InvalidValue {
                source: sources.get(&key).cloned().unwrap_or(Source::Defaults),
                key,
                message,
            })?;
        Ok(config)
    }
}

/// Whether a `RAMPART_*` variable is reserved (not a configuration key).
fn is_reserved(name: &str) -> bool {
    RESERVED_ENV.contains(&name) || name.starts_with(RESERVED_ENV_PREFIX)
}

/// `prefix.key`, or `key` at the top level.
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Records every leaf below `value` as set by the defaults.
fn record_leaves(value: &Value, prefix: &str, sources: &mut HashMap<String, Source>) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    record_leaves(v, &join(prefix, k), sources);
                }
            }
        }
        _ => {
            sources.insert(prefix.to_owned(), Source::Defaults);
        }
    }
}

/// Collects the environment variable name of every leaf below `value`.
fn env_names(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Mapping(m) => {
            for k in m.keys().filter_map(Value::as_str) {
                let name = format!("{prefix}_{}", k.to_ascii_uppercase());
                env_names(&m[k], &name, out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// Merges the mapping `over` (from `source`) into `base`, key by key.
fn merge_mapping(
    base: &mut Mapping,
    over: Mapping,
    prefix: &str,
    source: &Source,
    sources: &mut HashMap<String, Source>,
) -> Result<(), ConfigError> {
    for (key, value) in over {
        let key = match key {
            Value::String(s) => s,
            other => serde_yaml_ng::to_string(&other)
                .map(|s| s.trim_end().to_owned())
                .unwrap_or_else(|_| "?".to_owned()),
        };
        let path = join(prefix, &key);
        if !base.contains_key(key.as_str()) && is_open(prefix, &key) {
            record_leaves_from(&value, &path, source, sources);
            base.insert(Value::String(key), value);
            continue;
        }
        if !base.contains_key(key.as_str()) {
            return Err(ConfigError::UnknownKey {
                key: path,
                source: source.clone(),
                suggestion: suggest(&key, base.keys().filter_map(Value::as_str)),
            });
        }
        let slot = base.get_mut(key.as_str()).expect("key was just checked");
        match (slot, value) {
            (Value::Mapping(inner), Value::Mapping(value)) => {
                merge_mapping(inner, value, &path, source, sources)?;
            }
            // An empty section (`Log:` with nothing below) changes nothing.
            (Value::Mapping(_), Value::Null) => {}
            (Value::Mapping(_), _) => {
                return Err(shape(path, source, "a mapping of keys, not a single value"));
            }
            (_, Value::Mapping(_)) => {
                return Err(shape(path, source, "a single value, not a mapping"));
            }
            (slot, value) => {
                *slot = file_value(slot, value);
                sources.insert(path, source.clone());
            }
        }
    }
    Ok(())
}

/// Whether `prefix.key` may be added although the defaults lack it: a
/// plugin's entry under `Plugins` (its name is free, its keys are checked when
/// the settings are deserialized) and anything below one.
fn is_open(prefix: &str, key: &str) -> bool {
    let mut segments = prefix.split('.');
    match (segments.next(), segments.next()) {
        (Some("Plugins"), None) => super::plugins::is_plugin_name(key),
        (Some("Plugins"), Some(name)) => super::plugins::is_plugin_name(name),
        _ => false,
    }
}

/// Records every leaf below `value` (at `prefix`) as set by `source`.
fn record_leaves_from(
    value: &Value,
    prefix: &str,
    source: &Source,
    sources: &mut HashMap<String, Source>,
) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    record_leaves_from(v, &join(prefix, k), source, sources);
                }
            }
        }
        _ => {
            sources.insert(prefix.to_owned(), source.clone());
        }
    }
}

/// A [`ConfigError::Shape`].
fn shape(key: String, source: &Source, expected: &str) -> ConfigError {
    ConfigError::Shape {
        key,
        source: source.clone(),
        expected: expected.to_owned(),
    }
}

/// A file value for the leaf `old`: numbers and booleans given for a string key
/// (`Password: 12345`) are taken as strings.
fn file_value(old: &Value, new: Value) -> Value {
    match (old, new) {
        (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
        (Value::String(_), Value::Bool(b)) => Value::String(b.to_string()),
        (_, new) => new,
    }
}

/// An environment value for the leaf `old`: verbatim for string keys, otherwise
/// parsed as a YAML scalar (`9000` is a number, `true` a boolean).
fn env_value(old: &Value, raw: &str) -> Value {
    if old.is_string() {
        return Value::String(raw.to_owned());
    }
    match serde_yaml_ng::from_str::<Value>(raw) {
        Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => v,
        Ok(v @ Value::Sequence(_)) if old.is_sequence() => v,
        _ => Value::String(raw.to_owned()),
    }
}
