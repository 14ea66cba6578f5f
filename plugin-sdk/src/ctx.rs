//! # Plugin context
//!
//! [`Ctx`] is handed to every plugin call: the plugin's configuration, the
//! clock and the log, whatever answers them (the host inside a component, the
//! [`crate::testing::Harness`] in native tests).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::catalogue::Settings;
use crate::host::{Host, Level};
use crate::{DateTime, Rejection};

/// The host's services during one plugin call.
///
/// # Example
///
/// ```
/// # use rampart_plugin_sdk::prelude::*;
/// #[derive(serde::Deserialize, Default)]
/// #[serde(default, rename_all = "camelCase")]
/// struct Config { min_length: usize }
///
/// fn check(ctx: &Ctx, name: &str) -> Result<(), Rejection> {
///     let config: Config = ctx.config()?;
///     ctx.debug(format!("checking against {}", config.min_length));
///     if name.len() < config.min_length {
///         return Err(Rejection::new("TOO_SHORT", "the name is too short"));
///     }
///     Ok(())
/// }
/// ```
pub struct Ctx {
    host: Box<dyn Host>,
}

impl Ctx {
    /// A context answered by `host`.
    pub fn new(host: impl Host + 'static) -> Self {
        Self {
            host: Box::new(host),
        }
    }

    /// The plugin's configuration, decoded into `T`.
    ///
    /// No configuration (`"{}"`, `"null"` or empty) yields `T::default()`;
    /// put `#[serde(default)]` on `T` so that missing keys take their default
    /// values too. Requires the `config` capability.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the configuration does not match `T`; it converts
    /// into a [`Rejection`] (code `CONFIG_INVALID`) and into a `String`, so `?`
    /// works in validators and projections alike.
    pub fn config<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        let text = self.host.config();
        let text = text.trim();
        if text.is_empty() || text == "null" || text == "{}" {
            return Ok(T::default());
        }
        let invalid = |error: serde_json::Error| ConfigError {
            detail: error.to_string(),
        };
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(invalid)?;
        // The settings the host serves beside the configuration are not
        // part of it (see `Ctx::settings`): a plugin's `Config` never sees
        // them, so strict or map-shaped configurations keep working.
        if let Some(object) = value.as_object_mut() {
            object.remove("settings");
            if object.is_empty() {
                return Ok(T::default());
            }
        }
        serde_json::from_value(value).map_err(invalid)
    }

    /// The settings in effect for the command being validated: the
    /// instance's, overridden kind by kind by its organization's, on top of
    /// the built-in defaults (see [`crate::catalogue::Settings`]).
    ///
    /// The host serves them to validators as the `settings` member of the
    /// configuration object, so they need the `config` capability; outside a
    /// validator call (or from a host that serves none) they are the
    /// defaults. A plugin's own configuration cannot hold a `settings` key.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the configuration is not valid JSON.
    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let text = self.host.config();
        let invalid = |error: serde_json::Error| ConfigError {
            detail: error.to_string(),
        };
        let value: serde_json::Value = match text.trim() {
            "" => return Ok(Settings::default()),
            text => serde_json::from_str(text).map_err(invalid)?,
        };
        match value.get("settings") {
            Some(settings) => Settings::deserialize(settings).map_err(invalid),
            None => Ok(Settings::default()),
        }
    }

    /// The current time. During a projection call the host answers with the
    /// event's creation time, so replays are deterministic. Requires the
    /// `clock` capability.
    pub fn now(&self) -> DateTime {
        self.host.now()
    }

    /// Writes a line to the host's log. Requires the `log` capability.
    pub fn log(&self, level: Level, message: impl AsRef<str>) {
        self.host.log(level, message.as_ref());
    }

    /// [`Ctx::log`] at [`Level::Trace`].
    pub fn trace(&self, message: impl AsRef<str>) {
        self.log(Level::Trace, message);
    }

    /// [`Ctx::log`] at [`Level::Debug`].
    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(Level::Debug, message);
    }

    /// [`Ctx::log`] at [`Level::Info`].
    pub fn info(&self, message: impl AsRef<str>) {
        self.log(Level::Info, message);
    }

    /// [`Ctx::log`] at [`Level::Warn`].
    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(Level::Warn, message);
    }

    /// [`Ctx::log`] at [`Level::Error`].
    pub fn error(&self, message: impl AsRef<str>) {
        self.log(Level::Error, message);
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

/// The plugin's configuration does not match what the plugin expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    detail: String,
}

impl ConfigError {
    /// The code of the [`Rejection`] this error becomes.
    pub const CODE: &'static str = "CONFIG_INVALID";
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid plugin configuration: {}", self.detail)
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for Rejection {
    fn from(error: ConfigError) -> Self {
        Rejection::new(ConfigError::CODE, error.to_string())
    }
}

impl From<ConfigError> for String {
    fn from(error: ConfigError) -> Self {
        error.to_string()
    }
}
