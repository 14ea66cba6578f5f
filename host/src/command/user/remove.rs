//! `user.remove`: the user is gone for good and its username is free again.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, RemoveUser, UserRemoved};

use super::USERNAME_KIND;
use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// Removes user `user_id`.
#[derive(Debug, Clone)]
pub(crate) struct RemoveUserCommand {
    user_id: String,
}

impl RemoveUserCommand {
    /// Removes `user_id`.
    pub(crate) fn new(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
        }
    }
}

#[async_trait]
impl Decide for RemoveUserCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        RemoveUser::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveUser {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let username = model.username.clone();
        let release = env.release(USERNAME_KIND, &username);
        Ok(Decision::new(vec![env.event(&UserRemoved { username })]).unique(release))
    }
}

impl Commands {
    /// Removes a user and frees its username.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or already removed user.
    pub async fn remove_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RemoveUserCommand::new(user_id)).await
    }
}
