//! # toggle
//!
//! A validator in two versions, for the host's hot-reload tests: built
//! plainly it is version `1.0.0` and rejects every command with
//! `TOGGLE_V1`; built with the `v2` feature it is `2.0.0` and rejects with
//! `TOGGLE_V2`.

use rampart_plugin_sdk::prelude::*;

/// The version this build reports.
const VERSION: &str = if cfg!(feature = "v2") {
    "2.0.0"
} else {
    "1.0.0"
};

/// The code this build rejects with.
const CODE: &str = if cfg!(feature = "v2") {
    "TOGGLE_V2"
} else {
    "TOGGLE_V1"
};

/// The `toggle` validator.
pub struct Toggle;

impl Validator for Toggle {
    fn manifest() -> Manifest {
        Manifest::new("toggle", VERSION)
            .description("Rejects everything with a code naming its version")
            .handles(["*"])
    }

    fn validate(_ctx: &Ctx, _command: &Command, _state: &State) -> Result<(), Rejection> {
        Err(Rejection::new(
            CODE,
            format!("rejected by toggle {VERSION}"),
        ))
    }
}

export_validator!(Toggle);
