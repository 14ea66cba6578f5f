//! `user.human.password.set`: a new password, stored as its argon2id hash.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, HumanPasswordChanged, SetHumanPassword};

use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// Sets user `user_id`'s password. The plaintext reaches the validators
/// (the password policy needs it) and the hasher, never an event.
/// `Debug` redacts the password (the catalogue payload does).
#[derive(Debug, Clone)]
pub(crate) struct SetPasswordCommand {
    user_id: String,
    payload: SetHumanPassword,
}

impl SetPasswordCommand {
    /// Checks the password is not empty (its policy is the validators').
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty password.
    pub(crate) fn new(user_id: &str, cmd: SetHumanPassword) -> Result<Self, CommandError> {
        if cmd.password.is_empty() {
            return Err(CommandError::invalid("the password must not be empty"));
        }
        Ok(Self {
            user_id: user_id.to_owned(),
            payload: cmd,
        })
    }
}

#[async_trait]
impl Decide for SetPasswordCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        SetHumanPassword::NAME
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
        let password_hash = env.hash_password(&self.payload.password).await?;
        Ok(Decision::new(vec![
            env.event(&HumanPasswordChanged { password_hash }),
        ]))
    }
}

impl Commands {
    /// Sets a human user's password.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty password,
    /// [`CommandError::Rejected`] when the password policy refuses it,
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user.
    pub async fn set_human_password(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: SetHumanPassword,
    ) -> Result<Written, CommandError> {
        let written = self
            .execute(ctx, &SetPasswordCommand::new(user_id, cmd)?)
            .await?;
        self.password_changed(ctx, user_id).await;
        Ok(written)
    }
}
