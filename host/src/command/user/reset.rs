//! `user.human.password.code.add` and `user.human.password.reset`: a new
//! password without the old one, allowed by a one-time code.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddPasswordCode, CommandPayload, HumanPasswordChanged, MessageKind, PasswordCodeAdded,
    PasswordCodeFailed, ResetPassword,
};

use super::code::{self, Tried, redacted_debug};
use super::model::UserModel;
use super::verification::CodeIssued;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::config::CodesConfig;

/// Gives user `user_id` a new password reset code. `Debug` never shows the
/// code.
#[derive(Clone)]
pub(crate) struct AddPasswordCodeCommand {
    user_id: String,
    payload: AddPasswordCode,
    code: String,
    codes: CodesConfig,
}

impl AddPasswordCodeCommand {
    /// A command with a freshly generated code.
    pub(crate) fn new(user_id: &str, payload: AddPasswordCode, codes: CodesConfig) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload,
            code: code::generate(),
            codes,
        }
    }

    /// The code this command stores the hash of.
    pub(crate) fn code(&self) -> &str {
        &self.code
    }
}

#[async_trait]
impl Decide for AddPasswordCodeCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        AddPasswordCode::NAME
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
        if model.email.is_empty() && !self.payload.return_code {
            return Err(CommandError::precondition(
                "the user has no e-mail address to send the code to; ask for it with \
                 returnCode to deliver it yourself",
            ));
        }
        let code_hash = env.hash_password(&self.code).await?;
        Ok(Decision::new(vec![env.event(&PasswordCodeAdded {
            code_hash,
            expires_at: code::expiry(&self.codes),
        })]))
    }
}

/// Sets user `user_id`'s password with a reset code.
#[derive(Debug, Clone)]
pub(crate) struct ResetPasswordCommand {
    user_id: String,
    payload: ResetPassword,
    codes: CodesConfig,
}

impl ResetPasswordCommand {
    /// Checks the new password is not empty (its policy is the validators').
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty password.
    pub(crate) fn new(
        user_id: &str,
        payload: ResetPassword,
        codes: CodesConfig,
    ) -> Result<Self, CommandError> {
        if payload.password.is_empty() {
            return Err(CommandError::invalid("the password must not be empty"));
        }
        Ok(Self {
            user_id: user_id.to_owned(),
            payload,
            codes,
        })
    }
}

#[async_trait]
impl Decide for ResetPasswordCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        ResetPassword::NAME
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
        let tried = code::try_code(
            model.password_code.as_ref(),
            &self.payload.code,
            "password reset",
            &self.codes,
            env,
        )
        .await?;
        Ok(match tried {
            Tried::Valid => {
                let password_hash = env.hash_password(&self.payload.password).await?;
                Decision::new(vec![env.event(&HumanPasswordChanged { password_hash })])
            }
            Tried::Wrong { left } => Decision::failing(
                vec![env.event(&PasswordCodeFailed {})],
                "CODE_INVALID",
                format!("the code is not valid ({left} attempts left)"),
            ),
        })
    }
}

redacted_debug!(AddPasswordCodeCommand { user_id, payload }, code);

impl Commands {
    /// Gives a human user a new password reset code, sent through the
    /// instance's notifier — or, with `return_code`, handed to the caller.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown user,
    /// [`CommandError::FailedPrecondition`] for a machine user.
    pub async fn add_password_code(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        payload: AddPasswordCode,
    ) -> Result<CodeIssued, CommandError> {
        let return_code = payload.return_code;
        let cmd = AddPasswordCodeCommand::new(user_id, payload, self.codes);
        let written = self.execute(ctx, &cmd).await?;
        self.issued(
            ctx,
            user_id,
            written,
            cmd.code(),
            return_code,
            MessageKind::PasswordReset,
        )
        .await
    }

    /// Sets a human user's password with the reset code they received; the
    /// code is used up, and the user is told when the notification settings
    /// in effect say so.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`CODE_INVALID`) for a wrong code, whose
    /// attempt is stored; [`CommandError::FailedPrecondition`] when no code
    /// is pending, it expired or was tried too often;
    /// [`CommandError::Rejected`] when the password policy refuses the new
    /// password.
    pub async fn reset_password(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        payload: ResetPassword,
    ) -> Result<Written, CommandError> {
        let cmd = ResetPasswordCommand::new(user_id, payload, self.codes)?;
        let written = self.execute(ctx, &cmd).await?;
        self.password_changed(ctx, user_id).await;
        Ok(written)
    }
}
