//! # `rampart plugin new`
//!
//! Writes a new plugin crate, for any of the three worlds, that builds with
//! the standard `cargo build --release --target wasm32-wasip2` and carries a
//! native test: the starting point for a plugin outside this repository.

use std::path::{Path, PathBuf};

use crate::config::is_plugin_name;

/// The world a new plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum World {
    /// Decides whether commands proceed.
    Validator,
    /// Turns events into read-model rows.
    Projection,
    /// Hooks into login and tokens.
    LoginFlow,
}

/// Why a plugin crate could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name is not a plugin name.
    #[error(
        "`{0}` is not a plugin name: use lowercase letters, digits and inner hyphens, e.g. `reserved-names`"
    )]
    Name(String),
    /// The target directory exists and is not empty.
    #[error("{0} already exists and is not empty; pick another --dir")]
    Exists(PathBuf),
    /// The SDK could not be found.
    #[error(
        "the plugin SDK was not found at {0}; pass --sdk with the path of `plugin-sdk/` in a Rampart checkout"
    )]
    Sdk(PathBuf),
    /// Writing a file failed.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// Where the SDK of the checkout this binary was built from lives.
pub fn default_sdk_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk")
}

/// Creates the crate for plugin `name` of `world` in `dir`, depending on the
/// SDK at `sdk`. Returns the files written.
pub fn new_plugin(
    name: &str,
    world: World,
    dir: &Path,
    sdk: &Path,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    if !is_plugin_name(name) {
        return Err(ScaffoldError::Name(name.to_owned()));
    }
    if dir
        .read_dir()
        .is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(ScaffoldError::Exists(dir.to_owned()));
    }
    let sdk = sdk
        .canonicalize()
        .ok()
        .filter(|path| path.join("Cargo.toml").is_file())
        .ok_or_else(|| ScaffoldError::Sdk(sdk.to_owned()))?;
    let source = match world {
        World::Validator => include_str!("templates/validator.rs.tmpl"),
        World::Projection => include_str!("templates/projection.rs.tmpl"),
        World::LoginFlow => include_str!("templates/login-flow.rs.tmpl"),
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{table}}", &name.replace('-', "_"))
            .replace("{{type}}", &camel_case(name))
            .replace("{{sdk}}", &sdk.display().to_string())
    };
    let files = [
        (
            dir.join("Cargo.toml"),
            fill(include_str!("templates/Cargo.toml.tmpl")),
        ),
        (
            dir.join(".gitignore"),
            fill(include_str!("templates/gitignore.tmpl")),
        ),
        (dir.join("src/lib.rs"), fill(source)),
    ];
    for (path, text) in &files {
        let write = || {
            std::fs::create_dir_all(path.parent().expect("files sit in a directory"))?;
            std::fs::write(path, text)
        };
        write().map_err(|error| ScaffoldError::Write {
            path: path.clone(),
            error,
        })?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// `reserved-names` → `ReservedNames`.
fn camel_case(name: &str) -> String {
    name.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_type_names() {
        assert_eq!(camel_case("reserved-names"), "ReservedNames");
        assert_eq!(camel_case("v2-rule"), "V2Rule");
    }

    #[test]
    fn a_bad_name_or_a_busy_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = new_plugin(
            "Bad_Name",
            World::Validator,
            dir.path(),
            &default_sdk_path(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("is not a plugin name"));
        std::fs::write(dir.path().join("x"), "").unwrap();
        let err = new_plugin("ok", World::Validator, dir.path(), &default_sdk_path()).unwrap_err();
        assert!(matches!(err, ScaffoldError::Exists(_)));
    }
}
