//! The one integration-test binary of Rampart: the eventstore conformance
//! suite (run against SQLite and the real PostgreSQL), and the real `rampart`
//! binary driven over HTTP.
//!
//! PostgreSQL defaults to postgres@127.0.0.1:5432 (trust auth); override with
//! `RAMPART_TEST_PG_HOST`, `RAMPART_TEST_PG_PORT`, `RAMPART_TEST_PG_USER`,
//! `RAMPART_TEST_PG_PASSWORD`. Every test gets its own database or directory.

#![allow(unreachable_pub)]

mod api;
mod cache;
mod cli;
mod cqrs;
mod domain;
mod edge;
mod eventstore;
mod http;
mod masterkey;
mod oidc;
mod plugins;
mod session;
mod support;
mod totp;
