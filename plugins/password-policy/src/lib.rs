//! # password-policy
//!
//! Validator plugin enforcing password complexity on `user.human.add` (when
//! it carries a password), `user.human.password.set` and
//! `user.human.password.reset`: a length range and
//! the character classes the settings require. Messages state the rule,
//! never the password.
//!
//! The rules are the password complexity settings in effect for the
//! command's instance and organization (`passwordComplexity`, set through
//! the settings API; defaults: 8 to 72 characters, an uppercase letter, a
//! lowercase letter and a digit). The plugin has no configuration of its own.

use rampart_plugin_sdk::catalogue::{
    AddHumanUser, PasswordComplexitySettings, ResetPassword, SetHumanPassword,
};
use rampart_plugin_sdk::prelude::*;

/// The `password-policy` validator.
pub struct PasswordPolicy;

impl Validator for PasswordPolicy {
    fn manifest() -> Manifest {
        Manifest::new("password-policy", env!("CARGO_PKG_VERSION"))
            .description("Password complexity: length range and required character classes")
            .handles([
                AddHumanUser::NAME,
                SetHumanPassword::NAME,
                ResetPassword::NAME,
            ])
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
        } else if command.is::<ResetPassword>() {
            command.payload::<ResetPassword>()?.password
        } else {
            command.payload::<SetHumanPassword>()?.password
        };
        check(&ctx.settings()?.password_complexity, &password)
    }
}

export_validator!(PasswordPolicy);

/// The first rule `password` breaks, if any.
fn check(config: &PasswordComplexitySettings, password: &str) -> Result<(), Rejection> {
    let length = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
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
