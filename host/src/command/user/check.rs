//! `user.human.password.check`: is this the user's password? Every check is
//! an event, so the lockout settings in effect can count failures in a row
//! on every node; the failure that reaches the limit locks the user in the
//! same push. A success with a hash made under other parameters than
//! `Commands.PasswordHash` now names stores the password hashed anew
//! (`user.human.password.rehashed`), so raising them reaches every user who
//! logs in.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CheckPassword, CommandPayload, HumanPasswordRehashed, PasswordCheckFailed,
    PasswordCheckSucceeded, UserLocked,
};

use super::model::{UserModel, UserState};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// The code of a wrong password.
pub(crate) const PASSWORD_INVALID: &str = "PASSWORD_INVALID";

/// Checks user `user_id`'s password.
#[derive(Debug, Clone)]
pub(crate) struct CheckPasswordCommand {
    user_id: String,
    payload: CheckPassword,
}

impl CheckPasswordCommand {
    /// A check of `payload`'s password.
    pub(crate) fn new(user_id: &str, payload: CheckPassword) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload,
        }
    }
}

#[async_trait]
impl Decide for CheckPasswordCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        CheckPassword::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human("a password")?;
        if model.state != UserState::Active {
            return Err(CommandError::precondition(format!(
                "the user is {}",
                model.state.as_str()
            )));
        }
        let Some(hash) = &model.password_hash else {
            return Err(CommandError::precondition("the user has no password"));
        };
        if env.matches(hash, &self.payload.password).await? {
            let mut events = vec![env.event(&PasswordCheckSucceeded {})];
            if env.password_outdated(hash) {
                let password_hash = env.hash_password(&self.payload.password).await?;
                events.push(env.event(&HumanPasswordRehashed { password_hash }));
            }
            return Ok(Decision::new(events));
        }
        let org = env.org(&model.org_id).await?;
        let in_effect = env.settings(org.as_ref().map(|o| &o.settings)).await?;
        let lockout = &in_effect.settings.lockout;
        let failures = model.password_failures + 1;
        let mut events = vec![env.event(&PasswordCheckFailed {})];
        let limit = lockout.max_password_attempts;
        let message = if limit > 0 && failures >= limit {
            events.push(env.event(&UserLocked {}));
            "the password is wrong; the user is now locked".to_owned()
        } else if limit > 0 && lockout.show_lockout_failures {
            format!("the password is wrong ({} attempts left)", limit - failures)
        } else {
            "the password is wrong".to_owned()
        };
        Ok(Decision::failing(events, PASSWORD_INVALID, message))
    }
}

impl Commands {
    /// Checks a human user's password, counting failures in a row toward
    /// the lockout settings in effect for the user's organization: the
    /// failure that reaches `maxPasswordAttempts` locks the user. What the
    /// login (and any custom login) calls.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`PASSWORD_INVALID`) for a wrong password,
    /// whose failure is stored; [`CommandError::FailedPrecondition`] for a
    /// locked or inactive user, a machine user or one without a password;
    /// [`CommandError::NotFound`] for an unknown user.
    pub async fn check_password(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        payload: CheckPassword,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &CheckPasswordCommand::new(user_id, payload))
            .await
    }
}
