//! What a command can fail with, one variant per way the caller must react,
//! each documented with the status the API edge maps it to.

use super::password::PasswordHashConfigError;
use crate::eventstore::StoreError;
use crate::plugins::PluginError;

/// Why a command was not carried out. Nothing was stored, except for
/// [`CommandError::Mismatch`], whose failed attempt was recorded.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A validator plugin refused the command. HTTP `400` / gRPC
    /// `INVALID_ARGUMENT`; the plugin's `code` and `message` reach the caller
    /// unchanged.
    #[error("{message}")]
    Rejected {
        /// The rejecting plugin's name.
        plugin: String,
        /// The plugin's stable code, e.g. `PASSWORD_TOO_SHORT`.
        code: String,
        /// The plugin's explanation.
        message: String,
    },

    /// The input is malformed (an empty name, a domain with a port, …).
    /// HTTP `400` / gRPC `INVALID_ARGUMENT`.
    #[error("{0}")]
    InvalidArgument(String),

    /// The aggregate (or a part of it, such as a domain) does not exist, or
    /// was removed. HTTP `404` / gRPC `NOT_FOUND`.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What was looked for, e.g. `user`, `org`, `domain`.
        kind: &'static str,
        /// Its id or value.
        id: String,
    },

    /// The aggregate is not in a state that allows the command ("the org is
    /// inactive", "the user is already locked", "the name is unchanged").
    /// HTTP `400` / gRPC `FAILED_PRECONDITION`: retrying the same request
    /// will not help until the state changes.
    #[error("{0}")]
    FailedPrecondition(String),

    /// A secret the caller gave (a password to check, a code) is wrong. The
    /// failed attempt was stored, as an event, before this was returned: it
    /// counts toward lockout or the code's attempts. HTTP `400` / gRPC
    /// `INVALID_ARGUMENT`, with `code` as the reason.
    #[error("{message}")]
    Mismatch {
        /// Stable code, e.g. `PASSWORD_INVALID`, `CODE_INVALID`.
        code: &'static str,
        /// What the caller is told (never the secret).
        message: String,
    },

    /// The caller may not act on the resource with what it presented (a
    /// wrong or missing session token). Nothing was stored. HTTP `403` /
    /// gRPC `PERMISSION_DENIED`, with `code` as the reason; the caller must
    /// present the right credential, not retry.
    #[error("{message}")]
    Denied {
        /// Stable code, e.g. `SESSION_TOKEN_INVALID`.
        code: &'static str,
        /// What the caller is told (never the credential).
        message: String,
    },

    /// The store refused a unique value (username, domain) that belongs to
    /// someone else. HTTP `409` / gRPC `ALREADY_EXISTS`, with `message`.
    #[error("{message}")]
    AlreadyExists {
        /// Kind of value, e.g. `username`.
        kind: String,
        /// The taken value.
        value: String,
        /// What the caller is told.
        message: String,
    },

    /// Other writers kept changing the aggregate: the command was decided
    /// `attempts` times and every push found the aggregate moved on
    /// (`Commands.MaxRetries`). HTTP `409` / gRPC `ABORTED`; the caller may
    /// retry the whole request.
    #[error("the resource kept changing concurrently; gave up after {attempts} attempts")]
    Conflict {
        /// How many times the command was decided and pushed.
        attempts: u32,
    },

    /// A validator failed to run (trapped, timed out, unavailable). HTTP
    /// `500` / `503`: a broken validator never counts as "allowed".
    #[error(transparent)]
    Plugin(#[from] PluginError),

    /// The eventstore failed. Mapped like [`StoreError`] (mostly `500` /
    /// `503`).
    #[error(transparent)]
    Store(#[from] StoreError),

    /// `Commands:` in the configuration is invalid; only
    /// [`super::Commands::new`] returns it, at start-up.
    #[error(transparent)]
    Config(#[from] PasswordHashConfigError),

    /// A failure of the host itself (a hashing task that died). HTTP `500` /
    /// gRPC `INTERNAL`.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CommandError {
    /// A stable, machine-readable code: the gRPC-style status name, or for
    /// [`CommandError::Rejected`] the plugin's own code.
    pub fn code(&self) -> &str {
        match self {
            CommandError::Rejected { code, .. } => code,
            CommandError::InvalidArgument(_) => "INVALID_ARGUMENT",
            CommandError::Mismatch { code, .. } => code,
            CommandError::Denied { code, .. } => code,
            CommandError::NotFound { .. } => "NOT_FOUND",
            CommandError::FailedPrecondition(_) => "FAILED_PRECONDITION",
            CommandError::AlreadyExists { .. } => "ALREADY_EXISTS",
            CommandError::Conflict { .. } => "ABORTED",
            CommandError::Plugin(PluginError::Unavailable { .. }) => "UNAVAILABLE",
            CommandError::Plugin(_) => "PLUGIN_FAILED",
            CommandError::Store(StoreError::Unavailable(_) | StoreError::Locked(_)) => {
                "UNAVAILABLE"
            }
            CommandError::Store(StoreError::PayloadTooLarge { .. }) => "INVALID_ARGUMENT",
            CommandError::Store(_) | CommandError::Config(_) | CommandError::Internal(_) => {
                "INTERNAL"
            }
        }
    }

    /// Whether the refusal was decided on the aggregate's state (so state
    /// that was behind could have caused it): a validator's rejection, not
    /// found, a wrong state, an invalid value judged against the state, a
    /// taken value. Failures to run (a plugin, the store) are not.
    pub(crate) fn depends_on_state(&self) -> bool {
        matches!(
            self,
            CommandError::Rejected { .. }
                | CommandError::InvalidArgument(_)
                | CommandError::NotFound { .. }
                | CommandError::FailedPrecondition(_)
                | CommandError::AlreadyExists { .. }
                | CommandError::Denied { .. }
        )
    }

    /// A [`CommandError::FailedPrecondition`] with `message`.
    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        CommandError::FailedPrecondition(message.into())
    }

    /// A [`CommandError::InvalidArgument`] with `message`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CommandError::InvalidArgument(message.into())
    }
}
