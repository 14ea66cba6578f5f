//! # username-format
//!
//! Validator plugin checking the username of `user.human.add`: its length,
//! and that it holds only letters, digits and the separators `. - _ @ +`,
//! with no separator first or last. When the domain settings in effect say
//! `userLoginMustBeDomain`, the login name is `username@<org domain>`, so a
//! username carrying an `@` of its own is refused (`USERNAME_HAS_DOMAIN`).
//!
//! Configuration (all optional):
//!
//! ```json
//! { "minLength": 3, "maxLength": 200 }
//! ```

use rampart_plugin_sdk::catalogue::AddHumanUser;
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// The separators allowed between letters and digits.
const SEPARATORS: [char; 5] = ['.', '-', '_', '@', '+'];

/// The rules, from the plugin's configuration. Lengths count characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    min_length: usize,
    max_length: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            min_length: 3,
            max_length: 200,
        }
    }
}

/// The `username-format` validator.
pub struct UsernameFormat;

impl Validator for UsernameFormat {
    fn manifest() -> Manifest {
        Manifest::new("username-format", env!("CARGO_PKG_VERSION"))
            .description("Usernames: length range; letters, digits and . - _ @ + only")
            .handles([AddHumanUser::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let user: AddHumanUser = command.payload()?;
        check(&ctx.config()?, &user.username)?;
        if ctx.settings()?.domain.user_login_must_be_domain && user.username.contains('@') {
            return Err(Rejection::new(
                "USERNAME_HAS_DOMAIN",
                "the username must not contain @: login names in this organization are \
                 username@<organization domain>",
            ));
        }
        Ok(())
    }
}

export_validator!(UsernameFormat);

/// The first rule `username` breaks, if any.
fn check(config: &Config, username: &str) -> Result<(), Rejection> {
    let length = username.chars().count();
    if length < config.min_length {
        return Err(Rejection::new(
            "USERNAME_TOO_SHORT",
            format!(
                "the username must be at least {} characters long",
                config.min_length
            ),
        ));
    }
    if length > config.max_length {
        return Err(Rejection::new(
            "USERNAME_TOO_LONG",
            format!(
                "the username must be at most {} characters long",
                config.max_length
            ),
        ));
    }
    if let Some(bad) = username
        .chars()
        .find(|&c| !c.is_alphanumeric() && !SEPARATORS.contains(&c))
    {
        return Err(Rejection::new(
            "USERNAME_INVALID",
            format!(
                "the username contains {bad:?}; only letters, digits and . - _ @ + are allowed"
            ),
        ));
    }
    let starts_or_ends_with_separator =
        username.starts_with(SEPARATORS) || username.ends_with(SEPARATORS);
    if starts_or_ends_with_separator {
        return Err(Rejection::new(
            "USERNAME_INVALID",
            "the username must not start or end with . - _ @ +",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
