//! `user.human.profile.change` and `user.human.email.change`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    ChangeHumanEmail, ChangeHumanProfile, CommandPayload, HumanEmailChanged, HumanProfileChanged,
};

use super::model::UserModel;
use super::{normalize_profile, stored_profile};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// Replaces user `user_id`'s profile.
#[derive(Debug, Clone)]
pub(crate) struct ChangeProfileCommand {
    user_id: String,
    payload: ChangeHumanProfile,
}

impl ChangeProfileCommand {
    /// Checks and trims the profile.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty given or family name.
    pub(crate) fn new(user_id: &str, cmd: ChangeHumanProfile) -> Result<Self, CommandError> {
        Ok(Self {
            user_id: user_id.to_owned(),
            payload: ChangeHumanProfile {
                profile: normalize_profile(&cmd.profile)?,
            },
        })
    }
}

#[async_trait]
impl Decide for ChangeProfileCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        ChangeHumanProfile::NAME
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
        model.require_human("a profile")?;
        let profile = stored_profile(&self.payload.profile);
        if profile == stored_profile(&model.profile) {
            return Err(CommandError::precondition("the profile is unchanged"));
        }
        Ok(Decision::new(vec![
            env.event(&HumanProfileChanged { profile }),
        ]))
    }
}

/// Replaces user `user_id`'s e-mail address.
#[derive(Debug, Clone)]
pub(crate) struct ChangeEmailCommand {
    user_id: String,
    payload: ChangeHumanEmail,
}

impl ChangeEmailCommand {
    /// Checks and trims the address.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty address.
    pub(crate) fn new(user_id: &str, cmd: ChangeHumanEmail) -> Result<Self, CommandError> {
        Ok(Self {
            user_id: user_id.to_owned(),
            payload: ChangeHumanEmail {
                address: required(&cmd.address, "the e-mail address")?,
                verified: cmd.verified,
            },
        })
    }
}

#[async_trait]
impl Decide for ChangeEmailCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        ChangeHumanEmail::NAME
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
        model.require_human("an e-mail address")?;
        let p = &self.payload;
        if p.address == model.email && p.verified == model.email_verified {
            return Err(CommandError::precondition(
                "the e-mail address is unchanged",
            ));
        }
        Ok(Decision::new(vec![env.event(&HumanEmailChanged {
            address: p.address.clone(),
            verified: p.verified,
        })]))
    }
}

impl Commands {
    /// Replaces a human user's profile (the display name defaults to
    /// "given family").
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for empty names,
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user or when
    /// nothing changes.
    pub async fn change_human_profile(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: ChangeHumanProfile,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ChangeProfileCommand::new(user_id, cmd)?)
            .await
    }

    /// Replaces a human user's e-mail address (and whether it is verified).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty address,
    /// [`CommandError::Rejected`] when the e-mail validator refuses it,
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user or when
    /// nothing changes.
    pub async fn change_human_email(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: ChangeHumanEmail,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ChangeEmailCommand::new(user_id, cmd)?)
            .await
    }
}
