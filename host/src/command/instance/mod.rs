//! # Instance commands
//!
//! An instance is a tenant: its aggregate id is the instance id. It owns a
//! display name and the host names (domains) requests resolve it by, one of
//! them primary. Instance domains are unique across all instances, claimed
//! in the [`GLOBAL`] scope under [`DOMAIN_KIND`].
//!
//! - `model`: the write model.
//! - `add`: `instance.add` (with its first domains).
//! - `rename`: `instance.rename`.
//! - `remove`: `instance.remove`.
//! - `domain`: adding, making primary and removing domains.
//! - `notification`: the SMTP server and message templates of the notifier.
//! - members (`instance.member.*`): `command::member`, folded into the model.

pub(crate) mod add;
mod domain;
pub(crate) mod model;
mod notification;
mod remove;
mod rename;

#[cfg(test)]
mod member_tests;
#[cfg(test)]
mod tests;

/// The aggregate type of instances.
pub(crate) const AGGREGATE_TYPE: &str = "instance";

/// Unique-value kind of instance domains.
pub(crate) const DOMAIN_KIND: &str = "instance_domain";

/// The unique-value scope of values unique across all instances. The
/// eventstore scopes unique values by instance and refuses an empty one; no
/// instance id (a UUID in hex) can equal this.
pub(crate) const GLOBAL: &str = "global";
