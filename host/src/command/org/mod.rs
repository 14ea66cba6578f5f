//! # Organization commands
//!
//! An organization groups users inside an instance. It has a name, an
//! active/inactive state, and domains (unique per instance, claimed under
//! [`DOMAIN_KIND`] as soon as they are added), one of them primary.
//!
//! - `model`: the write model.
//! - `add`: `org.add` (with a first, verified, primary domain).
//! - `change`: `org.rename`, `org.deactivate`, `org.reactivate`.
//! - `domain`: adding, verifying, making primary and removing domains.
//! - `remove`: `org.remove`, which removes the org's users with it.
//! - members (`org.member.*`): `command::member`, folded into the model.

pub(crate) mod add;
mod change;
mod domain;
pub(crate) mod model;
pub(crate) mod remove;

#[cfg(test)]
mod member_tests;
#[cfg(test)]
mod tests;

/// The aggregate type of organizations.
pub(crate) const AGGREGATE_TYPE: &str = "org";

/// Unique-value kind of organization domains (per instance).
pub(crate) const DOMAIN_KIND: &str = "org_domain";
