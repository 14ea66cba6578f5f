//! # Rampart
//!
//! An identity and access management server built on event sourcing and CQRS,
//! whose business logic runs as WebAssembly components.
//!
//! Where to find things:
//! - [`eventstore`]: the single source of record (SQLite and PostgreSQL).
//! - [`config`]: layered configuration (`config/defaults.yaml`, files, env).
//! - [`masterkey`]: the key that encrypts secrets at rest.
//! - [`server`]: the HTTP server (`/debug/*` today; the APIs later).
//! - [`plugins`]: the WebAssembly plugin runtime (validators, projections, login flows).
//! - [`scaffold`]: `rampart plugin new`, a new plugin crate.
//! - [`app`]: wiring the pieces into a running node; [`cli`]: the `rampart` command.

pub mod app;
pub mod cli;
pub mod command;
pub mod config;
pub mod eventstore;
pub mod masterkey;
pub mod plugins;
pub mod query;
pub mod readmodel;
pub mod scaffold;
pub mod server;
pub mod spooler;
pub mod telemetry;
