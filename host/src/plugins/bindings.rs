//! # Generated bindings
//!
//! wasmtime's `bindgen!` over `wit/`, one module per world. The interfaces the
//! worlds share (types and the host imports) are generated once, in
//! [`validator`], and reused by the other worlds so one set of Rust types and
//! one host implementation serve every plugin kind.

#![allow(missing_docs, unreachable_pub)]

/// The `validator` world, and the shared interfaces.
pub mod validator {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "validator",
        imports: { default: trappable },
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

/// The `projection` world.
pub mod projection {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "projection",
        imports: { default: trappable },
        with: {
            "rampart:plugin/types": super::validator::rampart::plugin::types,
            "rampart:plugin/log": super::validator::rampart::plugin::log,
            "rampart:plugin/config": super::validator::rampart::plugin::config,
            "rampart:plugin/clock": super::validator::rampart::plugin::clock,
        },
    });
}

/// The `login-flow` world.
pub mod login_flow {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "login-flow",
        imports: { default: trappable },
        with: {
            "rampart:plugin/types": super::validator::rampart::plugin::types,
            "rampart:plugin/log": super::validator::rampart::plugin::log,
            "rampart:plugin/config": super::validator::rampart::plugin::config,
            "rampart:plugin/clock": super::validator::rampart::plugin::clock,
        },
    });
}

pub use validator::rampart::plugin::{clock, config, log, types};
