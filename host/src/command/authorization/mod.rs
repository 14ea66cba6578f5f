//! # Authorization commands
//!
//! An authorization (ZITADEL's user grant) lets a user use a project with
//! some of its roles. It belongs to the organization that may hand those
//! roles out: the project's own, or, through a project grant, the granted
//! organization, whose roles are then limited to the grant's. One per
//! user, project and grant (claimed under [`KIND`]).
//!
//! - `model`: the write model.
//! - `add`: `authorization.add`.
//! - `change`: `authorization.change`, `.deactivate`, `.reactivate`,
//!   `.remove`.
//! - `cascade`: the authorizations a project change narrows or removes,
//!   as events in the project command's push.

mod add;
pub(crate) mod cascade;
mod change;
pub(crate) mod model;

#[cfg(test)]
mod tests;

pub use change::AuthorizationAction;

/// The aggregate type of authorizations.
pub(crate) const AGGREGATE_TYPE: &str = "authorization";

/// Unique-value kind of authorizations: `<user>/<project>/<grant or "">`.
pub(crate) const KIND: &str = "authorization";

/// The unique value of an authorization.
pub(crate) fn unique_value(user_id: &str, project_id: &str, grant_id: Option<&str>) -> String {
    format!("{user_id}/{project_id}/{}", grant_id.unwrap_or_default())
}
