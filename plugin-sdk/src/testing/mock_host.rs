//! The harness's [`Host`]: fixed configuration and clock, captured log
//! lines, and a panic when the plugin uses a capability its manifest does
//! not ask for (the host would not grant it either).

use std::cell::RefCell;
use std::rc::Rc;

use crate::host::{Host, Level};
use crate::{Capability, DateTime, Manifest};

/// One line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// Its message.
    pub message: String,
}

impl std::fmt::Display for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.level, self.message)
    }
}

/// Answers one plugin's host calls during one harness call.
pub(super) struct MockHost {
    pub(super) plugin: String,
    pub(super) capabilities: Vec<Capability>,
    pub(super) config: String,
    pub(super) now: DateTime,
    pub(super) logs: Rc<RefCell<Vec<LogLine>>>,
}

impl MockHost {
    pub(super) fn new(
        manifest: &Manifest,
        config: &str,
        now: DateTime,
        logs: &Rc<RefCell<Vec<LogLine>>>,
    ) -> Self {
        Self {
            plugin: manifest.name.clone(),
            capabilities: manifest.capabilities.clone(),
            config: config.to_owned(),
            now,
            logs: Rc::clone(logs),
        }
    }

    #[track_caller]
    fn require(&self, capability: Capability) {
        assert!(
            self.capabilities.contains(&capability),
            "plugin `{}` uses the `{capability}` capability but its manifest does not ask for it; \
             add Capability::{capability:?} to Manifest::capabilities",
            self.plugin,
        );
    }
}

impl Host for MockHost {
    fn log(&self, level: Level, message: &str) {
        self.require(Capability::Log);
        self.logs.borrow_mut().push(LogLine {
            level,
            message: message.to_owned(),
        });
    }

    fn config(&self) -> String {
        self.require(Capability::Config);
        self.config.clone()
    }

    fn now(&self) -> DateTime {
        self.require(Capability::Clock);
        self.now
    }
}
