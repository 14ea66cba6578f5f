//! # secret-peek
//!
//! A validator of `user.human.add` that asks for no `secrets` grant and
//! tells what it read: it refuses with `PASSWORD_SEEN` when the password
//! it was handed is anything but the host's `"<redacted>"`. The test suite
//! drops it in to prove the host keeps plaintext passwords from validators
//! that were not granted them.

use rampart_plugin_sdk::catalogue::{AddHumanUser, REDACTED};
use rampart_plugin_sdk::prelude::*;

/// The `secret-peek` validator.
pub struct SecretPeek;

impl Validator for SecretPeek {
    fn manifest() -> Manifest {
        Manifest::new("secret-peek", "1.0.0")
            .description("Refuses a human user whose plaintext password it could read")
            .handles([AddHumanUser::NAME])
    }

    fn validate(_ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
        match command.payload::<AddHumanUser>()?.password {
            Some(password) if password != REDACTED => Err(Rejection::new(
                "PASSWORD_SEEN",
                "this validator was handed a plaintext password",
            )),
            _ => Ok(()),
        }
    }
}

export_validator!(SecretPeek);
