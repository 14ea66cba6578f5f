//! # password-policy
//!
//! Validator plugin enforcing password complexity on `user.human.add` (when
//! it carries a password) and `user.human.password.set`: a length range and
//! the character classes the configuration requires. Messages state the rule,
//! never the password.
//!
//! Configuration (all optional):
//!
//! ```json
//! { "minLength": 8, "maxLength": 72, "requireUppercase": true,
//!   "requireLowercase": true, "requireNumber": true, "requireSymbol": false }
//! ```

use rampart_plugin_sdk::catalogue::{AddHumanUser, SetHumanPassword};
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// The rules, from the plugin's configuration. Lengths count characters.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Config {
    min_length: usize,
    max_length: usize,
    require_uppercase: bool,
    require_lowercase: bool,
    require_number: bool,
    require_symbol: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 72,
            require_uppercase: true,
            require_lowercase: true,
            require_number: true,
            require_symbol: false,
        }
    }
}

/// The `password-policy` validator.
pub struct PasswordPolicy;

impl Validator for PasswordPolicy {
    fn manifest() -> Manifest {
        Manifest::new("password-policy", env!("CARGO_PKG_VERSION"))
            .description("Password complexity: length range and required character classes")
            .handles([AddHumanUser::NAME, SetHumanPassword::NAME])
            // The plaintext password is a secret field: without the grant
            // it would read "<redacted>".
            .capabilities([Capability::Config, Capability::Secrets])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let password = if command.is::<AddHumanUser>() {
            match command.payload::<AddHumanUser>()?.password {
                Some(password) => password,
                None => return Ok(()),
            }
        } else {
            command.payload::<SetHumanPassword>()?.password
        };
        check(&ctx.config()?, &password)
    }
}

export_validator!(PasswordPolicy);

/// The first rule `password` breaks, if any.
fn check(config: &Config, password: &str) -> Result<(), Rejection> {
    let length = password.chars().count();
    if length < config.min_length {
        return Err(Rejection::new(
            "PASSWORD_TOO_SHORT",
            format!(
                "the password must be at least {} characters long",
                config.min_length
            ),
        ));
    }
    if length > config.max_length {
        return Err(Rejection::new(
            "PASSWORD_TOO_LONG",
            format!(
                "the password must be at most {} characters long",
                config.max_length
            ),
        ));
    }
    let password_has = |matches: fn(char) -> bool| password.chars().any(matches);
    require(
        config.require_uppercase,
        password_has(char::is_uppercase),
        "UPPERCASE",
        "an uppercase letter",
    )?;
    require(
        config.require_lowercase,
        password_has(char::is_lowercase),
        "LOWERCASE",
        "a lowercase letter",
    )?;
    require(
        config.require_number,
        password_has(char::is_numeric),
        "NUMBER",
        "a number",
    )?;
    require(
        config.require_symbol,
        password_has(is_symbol),
        "SYMBOL",
        "a symbol",
    )?;
    Ok(())
}

/// `PASSWORD_MISSING_<class>` when a required class is absent.
fn require(required: bool, present: bool, class: &str, what: &str) -> Result<(), Rejection> {
    if required && !present {
        return Err(Rejection::new(
            format!("PASSWORD_MISSING_{class}"),
            format!("the password must contain {what}"),
        ));
    }
    Ok(())
}

/// Anything visible that is neither a letter nor a digit.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

#[cfg(test)]
mod tests;
