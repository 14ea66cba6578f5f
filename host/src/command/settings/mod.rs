//! # Settings commands
//!
//! The policies of an instance, each kind overridable per organization
//! (`rampart_plugin_sdk::catalogue::Settings`). Settings are events on the
//! aggregate they belong to: `instance.settings.changed` on the instance,
//! `org.settings.changed` and `org.settings.removed` on the organization;
//! the instance and org write models fold them into a [`SettingsLayer`].
//!
//! - `layer`: one aggregate's records and how layers combine into the
//!   settings in effect ([`InEffect`]).
//! - `set`: `instance.settings.set`, `org.settings.set`, `org.settings.reset`
//!   and the rules every record must meet.
//!
//! The settings in effect reach validators as the `settings` member of
//! their configuration (`plugins::call_state`), and the host's own rules
//! (domain verification, lockout) read them through [`Env::settings`].
//!
//! [`Env::settings`]: crate::command::pipeline::Env::settings

mod layer;
mod set;

#[cfg(test)]
mod tests;

pub(crate) use layer::in_effect;
pub use layer::{InEffect, SettingsLayer, SettingsLevel};
