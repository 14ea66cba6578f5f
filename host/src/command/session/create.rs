//! `session.create`: a new session with a new token, the user check and
//! the (already passed) password and second-factor checks it starts with.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    CommandPayload, CreateSession, SessionAdded, SessionUserChecked,
};

use super::model::SessionModel;
use super::{Passed, check_user, closing_events};
use crate::auth::token::NewSecret;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError};

/// Creates session `session_id`. `Debug` leaves the token out
/// (`NewSecret`'s own).
#[derive(Debug)]
pub(crate) struct CreateSessionCommand {
    session_id: String,
    /// What validators see.
    payload: CreateSession,
    /// Which checks of the user passed (through `user.human.password.check`
    /// and the second-factor checks, before this command).
    passed: Passed,
    expires_at: Option<DateTime<Utc>>,
    /// Made once per call, so a retry after a conflict stores the same one.
    token: NewSecret,
    /// The login-flow plugin that requires a second factor, if any.
    second_factor_by: Option<String>,
}

impl CreateSessionCommand {
    /// Session `session_id` as `payload` describes it, expiring at
    /// `expires_at`, with `token`; `passed` says which checks of
    /// `payload.user_id` passed.
    pub(crate) fn new(
        session_id: &str,
        payload: CreateSession,
        passed: Passed,
        expires_at: Option<DateTime<Utc>>,
        token: NewSecret,
    ) -> Self {
        Self {
            session_id: session_id.to_owned(),
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

    /// The token, shown once.
    pub(crate) fn token(&self) -> &str {
        &self.token.plain
    }
}

#[async_trait]
impl Decide for CreateSessionCommand {
    type Model = SessionModel;

    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        CreateSession::NAME
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

    async fn decide(&self, _model: &SessionModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let now = Utc::now();
        let mut events = vec![env.event(&SessionAdded {
            user_agent: self.payload.user_agent.clone(),
            expires_at: self.expires_at,
        })];
        match &self.payload.user_id {
            Some(user_id) => {
                let org_id = check_user(env, user_id).await?;
                events.push(env.event(&SessionUserChecked {
                    user_id: user_id.clone(),
                    org_id,
                    checked_at: now,
                }));
                events.extend(self.passed.events(env, now));
            }
            None if self.passed.any() => {
                return Err(self.passed.without_user());
            }
            None => {}
        }
        events.extend(closing_events(
            env,
            self.second_factor_by.as_deref(),
            &self.token,
        ));
        Ok(Decision::new(events))
    }
}
