//! Who issues a command, and in which instance.

/// The caller of a command: the tenant it acts in and who it is.
///
/// The API edge builds it from the request (instance from the host name,
/// actor from the authenticated caller); every event the command writes
/// records `actor` as its `creator`, so the audit trail names who did what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandContext {
    /// The instance (tenant) the command acts in.
    pub instance_id: String,
    /// The user or system id issuing the command; becomes each event's creator.
    pub actor: String,
}

impl CommandContext {
    /// A context for `actor` acting in `instance_id`.
    pub fn new(instance_id: impl Into<String>, actor: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
            actor: actor.into(),
        }
    }
}
