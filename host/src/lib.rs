//! # Rampart
//!
//! An identity and access management server built on event sourcing and CQRS,
//! whose business logic runs as WebAssembly components.
//!
//! Where to find things:
//! - [`eventstore`]: the single source of record (SQLite and PostgreSQL).
//! - [`config`]: layered configuration (`config/defaults.yaml`, files, env).
//! - [`masterkey`]: the key that encrypts secrets at rest.
//! - [`command`]: the command side: write models, validator plugins, pushes.
//! - [`spooler`]: applying events to read models through projection plugins,
//!   with leader election.
//! - [`readmodel`]: the read-model tables and the spoolers' bookkeeping.
//! - [`query`]: the query side, reading its own writes.
//! - [`cache`]: the object caches of seed 004 (memory, PostgreSQL, Redis),
//!   invalidated on every node; [`milestone`]: each instance's milestones.
//! - [`login_flow`]: the login-flow plugins' hooks in sessions, the code
//!   flow and token claims; [`login_ui`]: the hosted login pages.
//! - [`notifier`]: messages to users (log or SMTP per instance, templates).
//! - [`api`]: the public API from `proto/`: gRPC, gRPC-Web and Connect JSON
//!   behind one gate; [`auth`]: authentication (tokens) and the role table.
//! - [`server`]: the HTTP server: `/debug/*`, the edge, the API's port.
//! - [`bootstrap`]: the first instance on an empty store.
//! - [`plugins`]: the WebAssembly plugin runtime (validators, projections, login flows).
//! - [`scaffold`]: `rampart plugin new`, a new plugin crate.
//! - [`app`]: wiring the pieces into a running node; [`cli`]: the `rampart` command.

pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cache;
pub mod cli;
pub mod command;
pub mod config;
pub mod eventstore;
pub mod login_flow;
pub mod login_ui;
pub mod masterkey;
pub mod milestone;
pub mod notifier;
pub mod oidc;
pub mod plugins;
pub mod private_files;
pub mod query;
pub mod readmodel;
pub mod scaffold;
pub mod server;
pub mod spooler;
pub mod telemetry;
#[cfg(test)]
mod test_pg;
