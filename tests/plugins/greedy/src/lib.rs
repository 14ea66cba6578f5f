//! # greedy
//!
//! A validator asking for the `network` capability, which no configuration
//! can grant: the host must refuse to load it. Otherwise it allows everything.

use rampart_plugin_sdk::prelude::*;

/// The `greedy` validator.
pub struct Greedy;

impl Validator for Greedy {
    fn manifest() -> Manifest {
        Manifest::new("greedy", "1.0.0")
            .description("Asks for a capability nobody can grant")
            .handles(["*"])
            .capabilities([Capability::Log, Capability::from("network")])
    }

    fn validate(_ctx: &Ctx, _command: &Command, _state: &State) -> Result<(), Rejection> {
        Ok(())
    }
}

export_validator!(Greedy);
