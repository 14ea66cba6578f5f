//! # Rejection
//!
//! Why a validator refuses a command. The code and the message reach the API
//! caller unchanged, so never put secrets (passwords, tokens) in either.

/// A validator's refusal: a stable machine-readable code and a message for
/// humans.
///
/// ```
/// # use rampart_plugin_sdk::Rejection;
/// let rejection = Rejection::new("PASSWORD_TOO_SHORT", "the password needs at least 8 characters");
/// assert_eq!(rejection.code, "PASSWORD_TOO_SHORT");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rejection {
    /// Stable code in `SCREAMING_SNAKE_CASE`, e.g. `"PASSWORD_TOO_SHORT"`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl Rejection {
    /// A rejection with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Rejection {}
