//! Tests of the read-model store, each run against SQLite (a temporary
//! directory) and PostgreSQL (a database of its own on the local server,
//! dropped afterwards): one file per concern.

mod apply;
mod failures;
mod fixtures;
mod generations;
mod literal;
mod query;
mod types;
