//! # Manifest
//!
//! What a plugin says about itself: name, version, what it handles and which
//! capabilities it needs. The host reads it once at load time and refuses the
//! plugin unless its configuration grants every capability. The plugin's
//! kind is not part of this builder: the export macro fills it in.

/// The world a plugin implements; set by the export macro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Implements [`crate::Validator`].
    Validator,
    /// Implements [`crate::Projection`].
    Projection,
    /// Implements [`crate::LoginFlow`].
    LoginFlow,
}

/// A host service a plugin asks for in its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `"log"`: [`crate::Ctx::log`] and friends.
    Log,
    /// `"config"`: [`crate::Ctx::config`].
    Config,
    /// `"clock"`: [`crate::Ctx::now`].
    Clock,
    /// `"secrets"`: a validator sees the secret fields of the commands it
    /// handles (a plaintext password); without it they read `"<redacted>"`.
    Secrets,
    /// Any other name. The host refuses to load a plugin asking for a
    /// capability it cannot grant, so this only exists to say so in tests.
    Other(String),
}

impl Capability {
    /// The name in the manifest: `"log"`, `"config"`, `"clock"`, `"secrets"`,
    /// or the other name.
    pub fn as_str(&self) -> &str {
        match self {
            Capability::Log => "log",
            Capability::Config => "config",
            Capability::Clock => "clock",
            Capability::Secrets => "secrets",
            Capability::Other(name) => name,
        }
    }
}

impl From<&str> for Capability {
    fn from(name: &str) -> Self {
        match name {
            "log" => Capability::Log,
            "config" => Capability::Config,
            "clock" => Capability::Clock,
            "secrets" => Capability::Secrets,
            other => Capability::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a plugin says about itself.
///
/// ```
/// # use rampart_plugin_sdk::prelude::*;
/// let manifest = Manifest::new("password-policy", "1.0.0")
///     .description("Password complexity rules")
///     .handles(["user.human.add", "user.human.password.set"])
///     .capabilities([Capability::Config]);
/// assert!(manifest.is_handled("user.human.add"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Unique plugin name; the configuration refers to the plugin by it.
    pub name: String,
    /// Semantic version; a projection whose version changes is rebuilt.
    pub version: String,
    /// One line for operators.
    pub description: String,
    /// Command names (validator), event types (projection) or hooks
    /// (login flow). A trailing `*` matches a prefix; `"*"` matches all.
    pub handles: Vec<String>,
    /// The host capabilities the plugin uses.
    pub capabilities: Vec<Capability>,
}

impl Manifest {
    /// A manifest with a name and a version, handling nothing yet.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: String::new(),
            handles: Vec::new(),
            capabilities: Vec::new(),
        }
    }

    /// Sets the one-line description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds command names, event types or hooks to what the plugin handles.
    #[must_use]
    pub fn handles<I, S>(mut self, handles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.handles.extend(handles.into_iter().map(Into::into));
        self
    }

    /// Adds capabilities the plugin asks for.
    #[must_use]
    pub fn capabilities<I, C>(mut self, capabilities: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Capability>,
    {
        self.capabilities
            .extend(capabilities.into_iter().map(Into::into));
        self
    }

    /// Whether `name` (a command name, event type or hook) matches one of
    /// [`Manifest::handles`]: equal, or starting with a pattern's part before
    /// its trailing `*`.
    pub fn is_handled(&self, name: &str) -> bool {
        self.handles
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => pattern == name,
            })
    }

    /// Whether the manifest asks for `capability`.
    pub fn asks_for(&self, capability: &Capability) -> bool {
        self.capabilities.contains(capability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_exact_and_prefix_patterns_when_matched_then_only_those_names_are_handled() {
        let manifest = Manifest::new("m", "1.0.0").handles(["org.add", "user.human.*"]);
        assert!(manifest.is_handled("org.add"));
        assert!(!manifest.is_handled("org.add.more"));
        assert!(manifest.is_handled("user.human.add"));
        assert!(!manifest.is_handled("user.remove"));
    }

    #[test]
    fn given_a_lone_star_when_matched_then_everything_is_handled() {
        assert!(
            Manifest::new("m", "1")
                .handles(["*"])
                .is_handled("anything")
        );
        assert!(!Manifest::new("m", "1").is_handled("anything"));
    }

    #[test]
    fn given_capability_names_when_parsed_then_known_ones_are_recognised() {
        assert_eq!(Capability::from("clock"), Capability::Clock);
        assert_eq!(
            Capability::from("network"),
            Capability::Other("network".into())
        );
        assert_eq!(Capability::Other("network".into()).as_str(), "network");
        let manifest = Manifest::new("m", "1").capabilities([Capability::Log]);
        assert!(manifest.asks_for(&Capability::Log));
        assert!(!manifest.asks_for(&Capability::Clock));
    }
}
