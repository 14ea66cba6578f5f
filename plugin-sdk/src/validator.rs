//! # Validators
//!
//! A validator decides whether a command may proceed, before its events are
//! stored. Implement [`Validator`] and export it with
//! [`export_validator!`](crate::export_validator):
//!
//! ```
//! use rampart_plugin_sdk::prelude::*;
//! use rampart_plugin_sdk::catalogue::RenameOrg;
//!
//! /// Refuses empty organization names.
//! pub struct NoEmptyNames;
//!
//! impl Validator for NoEmptyNames {
//!     fn manifest() -> Manifest {
//!         Manifest::new("no-empty-names", "1.0.0").handles([RenameOrg::NAME])
//!     }
//!
//!     fn validate(_ctx: &Ctx, command: &Command, _state: &State) -> Result<(), Rejection> {
//!         let rename: RenameOrg = command.payload()?;
//!         if rename.name.trim().is_empty() {
//!             return Err(Rejection::new("ORG_NAME_EMPTY", "the name must not be empty"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! export_validator!(NoEmptyNames);
//! ```

use crate::{Command, Ctx, Manifest, Rejection, State};

/// A plugin of the `validator` world.
pub trait Validator {
    /// Describes the plugin: name, version, the commands it handles (its
    /// `handles`) and the capabilities it uses. Called once at load time.
    fn manifest() -> Manifest;

    /// Allows `command` (`Ok`) or refuses it with a [`Rejection`] that
    /// reaches the API caller. Only called for commands the manifest
    /// handles. Validators chain; the first rejection wins.
    ///
    /// # Errors
    ///
    /// The rejection, when the command must not proceed.
    fn validate(ctx: &Ctx, command: &Command, state: &State) -> Result<(), Rejection>;
}

/// Exports a [`Validator`] as the plugin's `validator` world.
///
/// Write it once, at the crate root of a `cdylib` crate. It expands to the
/// component exports on `wasm32` and to nothing elsewhere, so native
/// `cargo test` is unaffected.
#[macro_export]
macro_rules! export_validator {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type RampartValidatorExport = $crate::__private::ValidatorExport<$plugin>;
            $crate::__private::bindings::validator::export!(
                RampartValidatorExport with_types_in $crate::__private::bindings::validator
            );
        };
    };
}
