//! # Generated bindings
//!
//! `wit-bindgen` output for the three worlds of `rampart:plugin` (`wit/`).
//! The `validator` world generates the shared interfaces (`types`, `log`,
//! `config`, `clock`); `projection` and `login-flow` map them with `with`, so
//! every WIT type is exactly one Rust type whatever the world.
//!
//! `pub_export_macro` makes each world's export macro usable from plugin
//! crates: the section describing a world's exports is then emitted by the
//! macro in the plugin, so a plugin only ever claims the world it exports.
//! Plugin authors never touch this module; [`crate::export_validator!`] and
//! its siblings do.
//!
//! Off `wasm32` the imported functions are `unreachable!()` stubs: the SDK
//! only calls them through `host::WitHost`, which only the export
//! macros' wasm-only expansion constructs.

/// The `validator` world, and the shared interfaces.
pub mod validator {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rampart:plugin/validator",
        pub_export_macro: true,
        generate_all,
    });
}

/// The `projection` world.
pub mod projection {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rampart:plugin/projection",
        pub_export_macro: true,
        with: {
            "rampart:plugin/types@0.1.0": crate::bindings::types,
            "rampart:plugin/log@0.1.0": crate::bindings::log,
            "rampart:plugin/config@0.1.0": crate::bindings::config,
            "rampart:plugin/clock@0.1.0": crate::bindings::clock,
        },
    });
}

/// The `login-flow` world.
// The generated lowering of `login-context` takes one argument per field.
#[allow(clippy::too_many_arguments)]
pub mod login_flow {
    wit_bindgen::generate!({
        path: "../wit",
        world: "rampart:plugin/login-flow",
        pub_export_macro: true,
        with: {
            "rampart:plugin/types@0.1.0": crate::bindings::types,
            "rampart:plugin/log@0.1.0": crate::bindings::log,
            "rampart:plugin/config@0.1.0": crate::bindings::config,
            "rampart:plugin/clock@0.1.0": crate::bindings::clock,
        },
    });
}

pub use validator::rampart::plugin::{clock, config, log, types};
