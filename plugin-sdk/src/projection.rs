//! # Projections
//!
//! A projection owns read-model tables and turns events into statements on
//! them. Implement [`Projection`] and export it with
//! [`export_projection!`](crate::export_projection):
//!
//! ```
//! use rampart_plugin_sdk::prelude::*;
//! use rampart_plugin_sdk::catalogue::OrgAdded;
//!
//! /// Organization names by id.
//! pub struct OrgNames;
//!
//! impl Projection for OrgNames {
//!     fn manifest() -> Manifest {
//!         Manifest::new("org-names", "1.0.0").handles([OrgAdded::TYPE])
//!     }
//!
//!     // Keys start with the instance: ids are unique within one only.
//!     fn tables() -> Vec<Table> {
//!         vec![Table::new("org_names")
//!             .column(Column::text("instance_id"))
//!             .column(Column::text("id"))
//!             .column(Column::text("name"))
//!             .primary_key(["instance_id", "id"])]
//!     }
//!
//!     fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
//!         let added: OrgAdded = event.payload()?;
//!         Ok(vec![Statement::upsert("org_names")
//!             .set("instance_id", &event.instance_id)
//!             .set("id", &event.aggregate_id)
//!             .set("name", added.name)
//!             .conflict(["instance_id", "id"])])
//!     }
//! }
//!
//! export_projection!(OrgNames);
//! ```

use crate::{Ctx, Event, Manifest, Statement, Table};

/// A plugin of the `projection` world. It must be deterministic: replaying
/// the same events rebuilds the same tables. The host helps: during
/// [`Projection::project`] the clock reads the event's time and randomness
/// is seeded from the event's position.
pub trait Projection {
    /// Describes the plugin: name, version (a new version rebuilds the read
    /// model), the event types it handles and its capabilities.
    fn manifest() -> Manifest;

    /// The tables the projection owns; the host creates and migrates them.
    fn tables() -> Vec<Table>;

    /// The statements for one event the manifest handles, executed by the
    /// host in one transaction with the projection's new position.
    ///
    /// # Errors
    ///
    /// A message when the event cannot be projected; the host retries it and,
    /// after the configured count, records and skips it.
    fn project(ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String>;
}

/// Exports a [`Projection`] as the plugin's `projection` world.
///
/// Write it once, at the crate root of a `cdylib` crate. It expands to the
/// component exports on `wasm32` and to nothing elsewhere.
#[macro_export]
macro_rules! export_projection {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type RampartProjectionExport = $crate::__private::ProjectionExport<$plugin>;
            $crate::__private::bindings::projection::export!(
                RampartProjectionExport with_types_in $crate::__private::bindings::projection
            );
        };
    };
}
