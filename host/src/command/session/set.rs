//! `session.set`: more checks on a session (of its own user only), a new
//! lifetime if told, and always a new token: the one presented stops
//! working.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    CommandPayload, SessionLifetimeSet, SessionUserChecked, SetSession,
};

use super::model::SessionModel;
use super::{Passed, check_user, closing_events, same_user};
use crate::auth::token::NewSecret;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError};

/// Changes session `session_id`, presented with `token`. `Debug` leaves
/// both tokens out.
pub(crate) struct SetSessionCommand {
    session_id: String,
    /// The token the caller presented.
    presented: String,
    /// What validators see.
    payload: SetSession,
    /// Which checks of the session's user passed (through the user's
    /// commands, before this command).
    passed: Passed,
    /// The new expiry, when a lifetime was given (`Some(None)`: never).
    expires_at: Option<Option<DateTime<Utc>>>,
    /// The new token, made once per call.
    token: NewSecret,
    /// The login-flow plugin that requires a second factor, if any.
    second_factor_by: Option<String>,
}

impl std::fmt::Debug for SetSessionCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetSessionCommand")
            .field("session_id", &self.session_id)
            .field("payload", &self.payload)
            .field("passed", &self.passed)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl SetSessionCommand {
    /// Sets `payload`'s checks on `session_id` presented with `presented`,
    /// replacing its token with `token`.
    pub(crate) fn new(
        session_id: &str,
        presented: &str,
        payload: SetSession,
        passed: Passed,
        expires_at: Option<Option<DateTime<Utc>>>,
        token: NewSecret,
    ) -> Self {
        Self {
            session_id: session_id.to_owned(),
            presented: presented.to_owned(),
            payload,
            passed,
            expires_at,
            token,
            second_factor_by: None,
        }
    }

    /// The same command, recording that `plugin` requires a second factor
    /// (when `Some`).
    pub(crate) fn requiring_second_factor(mut self, plugin: Option<String>) -> Self {
        self.second_factor_by = plugin;
        self
    }

    /// The new token, shown once.
    pub(crate) fn token(&self) -> &str {
        &self.token.plain
    }
}

#[async_trait]
impl Decide for SetSessionCommand {
    type Model = SessionModel;

    fn name(&self) -> &'static str {
        SetSession::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.session_id
    }

    fn org_id(&self, model: &SessionModel) -> Option<String> {
        model.org_id.clone()
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &SessionModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_token(&self.presented)?;
        let now = Utc::now();
        model.require_usable(now)?;
        let user_id = same_user(model, self.payload.user_id.as_deref())?;
        let mut events = Vec::new();
        if let Some(user_id) = &self.payload.user_id {
            let org_id = check_user(env, user_id).await?;
            events.push(env.event(&SessionUserChecked {
                user_id: user_id.clone(),
                org_id,
                checked_at: now,
            }));
        }
        if self.passed.any() {
            let Some(user_id) = user_id else {
                return Err(self.passed.without_user());
            };
            if self.payload.user_id.is_none() {
                // The user may have been locked since its check.
                check_user(env, &user_id).await?;
            }
            events.extend(self.passed.events(env, now));
        }
        if let Some(expires_at) = self.expires_at {
            events.push(env.event(&SessionLifetimeSet { expires_at }));
        }
        events.extend(closing_events(
            env,
            self.second_factor_by.as_deref(),
            &self.token,
        ));
        Ok(Decision::new(events))
    }
}
