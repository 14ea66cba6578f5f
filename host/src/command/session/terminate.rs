//! `session.terminate`: the session ends and its token stops working; by
//! its token, or by a caller allowed to terminate any session.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, SessionTerminated, TerminateSession};

use super::model::{SessionModel, SessionState};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError};

/// Terminates session `session_id`, presented with `token` (or `None`: the
/// caller holds `session.delete`). `Debug` leaves the token out.
pub(crate) struct TerminateSessionCommand {
    session_id: String,
    presented: Option<String>,
}

impl std::fmt::Debug for TerminateSessionCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminateSessionCommand")
            .field("session_id", &self.session_id)
            .field("with_token", &self.presented.is_some())
            .finish()
    }
}

impl TerminateSessionCommand {
    /// Terminates `session_id`, checking `presented` when given.
    pub(crate) fn new(session_id: &str, presented: Option<&str>) -> Self {
        Self {
            session_id: session_id.to_owned(),
            presented: presented.map(str::to_owned),
        }
    }
}

#[async_trait]
impl Decide for TerminateSessionCommand {
    type Model = SessionModel;

    fn name(&self) -> &'static str {
        TerminateSession::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.session_id
    }

    fn org_id(&self, model: &SessionModel) -> Option<String> {
        model.org_id.clone()
    }

    fn payload(&self) -> serde_json::Value {
        json(&TerminateSession {})
    }

    async fn decide(&self, model: &SessionModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if let Some(token) = &self.presented {
            model.require_token(token)?;
        }
        if model.state == SessionState::Terminated {
            return Err(CommandError::precondition(
                "the session was already terminated",
            ));
        }
        // An expired session may still be terminated: its token then stops
        // working even if its lifetime were extended.
        Ok(Decision::new(vec![env.event(&SessionTerminated {})]))
    }
}
