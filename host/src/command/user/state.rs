//! `user.deactivate`, `user.reactivate`, `user.lock`, `user.unlock`.
//!
//! Transitions: active → inactive or locked; locked → active (unlock) or
//! inactive; inactive → active (reactivate). Anything else is refused with
//! the user's current state.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, DeactivateUser, LockUser, ReactivateUser, UnlockUser, UserDeactivated,
    UserLocked, UserReactivated, UserUnlocked,
};

use super::model::{UserModel, UserState};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// A state change of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateChange {
    /// `user.deactivate`: from active or locked to inactive.
    Deactivate,
    /// `user.reactivate`: from inactive to active.
    Reactivate,
    /// `user.lock`: from active to locked.
    Lock,
    /// `user.unlock`: from locked to active.
    Unlock,
}

/// Changes user `user_id`'s state.
#[derive(Debug, Clone)]
pub(crate) struct UserStateCommand {
    user_id: String,
    change: StateChange,
}

impl UserStateCommand {
    /// `change` for `user_id`.
    pub(crate) fn new(user_id: &str, change: StateChange) -> Self {
        Self {
            user_id: user_id.to_owned(),
            change,
        }
    }
}

#[async_trait]
impl Decide for UserStateCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        match self.change {
            StateChange::Deactivate => DeactivateUser::NAME,
            StateChange::Reactivate => ReactivateUser::NAME,
            StateChange::Lock => LockUser::NAME,
            StateChange::Unlock => UnlockUser::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match self.change {
            StateChange::Deactivate => json(&DeactivateUser {}),
            StateChange::Reactivate => json(&ReactivateUser {}),
            StateChange::Lock => json(&LockUser {}),
            StateChange::Unlock => json(&UnlockUser {}),
        }
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        use StateChange::*;
        use UserState::*;
        let event = match (self.change, model.state) {
            (Deactivate, Active | Locked) => env.event(&UserDeactivated {}),
            (Reactivate, Inactive) => env.event(&UserReactivated {}),
            (Lock, Active) => env.event(&UserLocked {}),
            (Unlock, Locked) => env.event(&UserUnlocked {}),
            (change, state) => {
                let allowed = match change {
                    Deactivate => "active or locked",
                    Reactivate => "inactive",
                    Lock => "active",
                    Unlock => "locked",
                };
                return Err(CommandError::precondition(format!(
                    "the user is {}; only {allowed} users can be {}",
                    state.as_str(),
                    match change {
                        Deactivate => "deactivated",
                        Reactivate => "reactivated",
                        Lock => "locked",
                        Unlock => "unlocked",
                    }
                )));
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Deactivates a user (from active or locked).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] when the user is already inactive.
    pub async fn deactivate_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.change_user_state(ctx, user_id, StateChange::Deactivate)
            .await
    }

    /// Reactivates an inactive user.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] unless the user is inactive.
    pub async fn reactivate_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.change_user_state(ctx, user_id, StateChange::Reactivate)
            .await
    }

    /// Locks an active user.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] unless the user is active.
    pub async fn lock_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.change_user_state(ctx, user_id, StateChange::Lock)
            .await
    }

    /// Unlocks a locked user.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] unless the user is locked.
    pub async fn unlock_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.change_user_state(ctx, user_id, StateChange::Unlock)
            .await
    }

    async fn change_user_state(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        change: StateChange,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &UserStateCommand::new(user_id, change))
            .await
    }
}
