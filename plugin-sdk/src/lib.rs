//! # Rampart plugin SDK
//!
//! Write Rampart plugins — validators, projections, login flows — in Rust,
//! compile them to WebAssembly components with
//! `cargo build --release --target wasm32-wasip2`, and test their logic
//! natively with `cargo test`.
//!
//! ```
//! use rampart_plugin_sdk::prelude::*;
//! use rampart_plugin_sdk::catalogue::AddHumanUser;
//!
//! /// Refuses usernames containing "admin".
//! pub struct NoAdmins;
//!
//! impl Validator for NoAdmins {
//!     fn manifest() -> Manifest {
//!         Manifest::new("no-admins", env!("CARGO_PKG_VERSION"))
//!             .description("Refuses usernames containing \"admin\"")
//!             .handles([AddHumanUser::NAME])
//!     }
//!
//!     fn validate(_ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
//!         let user: AddHumanUser = command.payload()?;
//!         if user.username.contains("admin") {
//!             return Err(Rejection::new("USERNAME_RESERVED", "this username is reserved"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! export_validator!(NoAdmins);
//! ```
//!
//! - the plugin traits: [`Validator`], [`Projection`], [`LoginFlow`], each
//!   with its one-line export macro ([`export_validator!`],
//!   [`export_projection!`], [`export_login_flow!`]);
//! - [`Ctx`]: configuration, clock and log, answered by the host inside a
//!   component and by [`testing::Harness`] in native tests;
//! - [`catalogue`]: typed payloads of the commands and events Rampart ships;
//! - builders for manifests, read-model tables and statements.
//!
//! `plugin-sdk/README.md` walks through a complete plugin crate.

pub mod catalogue;
pub mod prelude;
pub mod testing;

mod abi;
#[cfg(all(target_arch = "wasm32", feature = "arena-allocator"))]
mod arena;
#[doc(hidden)]
pub mod bindings;
mod command;
mod ctx;
mod event;
mod host;
mod login;
mod login_flow;
mod manifest;
mod projection;
mod rejection;
mod statement;
mod table;
mod validator;
mod value;

pub use command::{Command, State};
pub use ctx::{ConfigError, Ctx};
pub use event::{Event, Position};
pub use host::{Host, Level};
pub use login::{AuthDecision, Claim, ExternalIdentity, Hook, IdentityMapping, LoginContext};
pub use login_flow::LoginFlow;
pub use manifest::{Capability, Kind, Manifest};
pub use projection::Projection;
pub use rejection::Rejection;
pub use statement::{Field, Statement};
pub use table::{Column, ColumnType, Index, Table};
pub use validator::Validator;
pub use value::Value;

pub use chrono;
pub use serde_json;

/// A point in time, UTC.
pub type DateTime = chrono::DateTime<chrono::Utc>;

/// What the export macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::abi::{LoginFlowExport, ProjectionExport, ValidatorExport};
    pub use crate::bindings;
}
