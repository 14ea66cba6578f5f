//! # role-key-format
//!
//! Validator plugin checking the key of `project.role.add`: segments of
//! lowercase letters, digits, `_` and `-`, joined by `.` or `:` (for
//! example `billing.admin` or `shop:reader`), and at most `maxLength`
//! characters. Keys end up in tokens as claim names, so a set format keeps
//! them predictable for the applications that read them.
//!
//! Configuration (all optional):
//!
//! ```json
//! { "maxLength": 100, "allowUppercase": false }
//! ```

use rampart_plugin_sdk::catalogue::AddProjectRole;
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// The separators allowed between segments.
const SEPARATORS: [char; 2] = ['.', ':'];

/// The rules, from the plugin's configuration. Lengths count characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    max_length: usize,
    allow_uppercase: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_length: 100,
            allow_uppercase: false,
        }
    }
}

/// The `role-key-format` validator.
pub struct RoleKeyFormat;

impl Validator for RoleKeyFormat {
    fn manifest() -> Manifest {
        Manifest::new("role-key-format", env!("CARGO_PKG_VERSION"))
            .description("Project role keys: dotted segments of lowercase letters, digits, _ and -")
            .handles([AddProjectRole::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let role: AddProjectRole = command.payload()?;
        check(&ctx.config()?, &role.key)
    }
}

export_validator!(RoleKeyFormat);

/// The first rule `key` breaks, if any.
fn check(config: &Config, key: &str) -> Result<(), Rejection> {
    if key.chars().count() > config.max_length {
        return Err(Rejection::new(
            "ROLE_KEY_TOO_LONG",
            format!(
                "the role key must be at most {} characters long",
                config.max_length
            ),
        ));
    }
    let invalid = |why: String| Err(Rejection::new("ROLE_KEY_INVALID", why));
    for segment in key.split(SEPARATORS) {
        if segment.is_empty() {
            return invalid(format!(
                "the role key {key:?} has an empty segment; separate non-empty segments by '.' or ':'"
            ));
        }
        let allowed = |c: char| {
            c.is_ascii_digit()
                || c.is_ascii_lowercase()
                || (config.allow_uppercase && c.is_ascii_uppercase())
                || matches!(c, '_' | '-')
        };
        if let Some(bad) = segment.chars().find(|&c| !allowed(c)) {
            let letters = if config.allow_uppercase {
                "letters a-z and A-Z"
            } else {
                "lowercase letters a-z"
            };
            return invalid(format!(
                "the role key {key:?} contains {bad:?}; only {letters}, digits, '_' and '-' \
                 are allowed, in segments separated by '.' or ':'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
