//! # Rampart plugin SDK
//!
//! The crate plugin authors depend on to write validators, projections and
//! login flows in Rust and compile them to WebAssembly components.
//!
//! This crate is the placeholder that reserves the name in the workspace: the
//! WIT boundary, the typed event catalogue, the export macros and the native
//! test harness arrive with the plugin-runtime work (see `wit/README.md`).
//! Nothing here is usable yet, and nothing pretends to be.
