//! # reserved-names
//!
//! A validator an operator might drop in at run time: `user.human.add`
//! with a username from the configured `reserved` list (default `root`,
//! `postmaster`) is refused with `USERNAME_RESERVED`.

use rampart_plugin_sdk::catalogue::AddHumanUser;
use rampart_plugin_sdk::prelude::*;
use serde::Deserialize;

/// The plugin's configuration.
#[derive(Deserialize)]
#[serde(default)]
struct Config {
    reserved: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            reserved: vec!["root".into(), "postmaster".into()],
        }
    }
}

/// The `reserved-names` validator.
pub struct ReservedNames;

impl Validator for ReservedNames {
    fn manifest() -> Manifest {
        Manifest::new("reserved-names", "1.0.0")
            .description("Refuses reserved usernames")
            .handles([AddHumanUser::NAME])
            .capabilities([Capability::Config])
    }

    fn validate(ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        let username = command.payload::<AddHumanUser>()?.username;
        let config: Config = ctx.config()?;
        if config
            .reserved
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&username))
        {
            return Err(Rejection::new(
                "USERNAME_RESERVED",
                format!("the username {username:?} is reserved"),
            ));
        }
        Ok(())
    }
}

export_validator!(ReservedNames);
