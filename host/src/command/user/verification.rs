//! `user.human.email.code.add` and `user.human.email.verify`: proving an
//! e-mail address with a one-time code.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddEmailCode, CommandPayload, EmailCodeAdded, EmailCodeFailed, HumanEmailVerified, MessageKind,
    VerifyEmail,
};

use super::code::{self, Tried};
use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::config::CodesConfig;

/// What adding a code leaves the caller with.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeIssued {
    /// Where the code's event landed.
    pub written: Written,
    /// The code itself, when the caller asked for it instead of a message.
    pub code: Option<String>,
}

/// Gives user `user_id` a new e-mail verification code (replacing any
/// earlier one).
#[derive(Debug, Clone)]
pub(crate) struct AddEmailCodeCommand {
    user_id: String,
    payload: AddEmailCode,
    code: String,
    codes: CodesConfig,
}

impl AddEmailCodeCommand {
    /// A command with a freshly generated code.
    pub(crate) fn new(user_id: &str, payload: AddEmailCode, codes: CodesConfig) -> Self {
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
impl Decide for AddEmailCodeCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        AddEmailCode::NAME
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
        if model.email_verified {
            return Err(CommandError::precondition(
                "the e-mail address is already verified",
            ));
        }
        let code_hash = env.hash_password(&self.code).await?;
        Ok(Decision::new(vec![env.event(&EmailCodeAdded {
            code_hash,
            expires_at: code::expiry(&self.codes),
        })]))
    }
}

/// Verifies user `user_id`'s e-mail address with a code.
#[derive(Debug, Clone)]
pub(crate) struct VerifyEmailCommand {
    user_id: String,
    payload: VerifyEmail,
    codes: CodesConfig,
}

impl VerifyEmailCommand {
    /// A command trying `payload`'s code.
    pub(crate) fn new(user_id: &str, payload: VerifyEmail, codes: CodesConfig) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload,
            codes,
        }
    }
}

#[async_trait]
impl Decide for VerifyEmailCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        VerifyEmail::NAME
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
        if model.email_verified {
            return Err(CommandError::precondition(
                "the e-mail address is already verified",
            ));
        }
        let tried = code::try_code(
            model.email_code.as_ref(),
            &self.payload.code,
            "e-mail verification",
            &self.codes,
            env,
        )
        .await?;
        Ok(match tried {
            Tried::Valid => Decision::new(vec![env.event(&HumanEmailVerified {})]),
            Tried::Wrong { left } => Decision::failing(
                vec![env.event(&EmailCodeFailed {})],
                "CODE_INVALID",
                format!("the code is not valid ({left} attempts left)"),
            ),
        })
    }
}

impl Commands {
    /// Gives a human user a new code that verifies their e-mail address, and
    /// sends it through the instance's notifier — or, with `return_code`,
    /// hands it to the caller to deliver.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown user,
    /// [`CommandError::FailedPrecondition`] for a machine user or an address
    /// already verified.
    pub async fn add_email_code(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        payload: AddEmailCode,
    ) -> Result<CodeIssued, CommandError> {
        let return_code = payload.return_code;
        let cmd = AddEmailCodeCommand::new(user_id, payload, self.codes);
        let written = self.execute(ctx, &cmd).await?;
        self.issued(
            ctx,
            user_id,
            written,
            cmd.code(),
            return_code,
            MessageKind::EmailVerification,
        )
        .await
    }

    /// Verifies a human user's e-mail address with the code they received.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`CODE_INVALID`) for a wrong code, whose
    /// attempt is stored; [`CommandError::FailedPrecondition`] when no code
    /// is pending, it expired or was tried too often, or the address is
    /// verified already; [`CommandError::NotFound`] for an unknown user.
    pub async fn verify_email(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        payload: VerifyEmail,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &VerifyEmailCommand::new(user_id, payload, self.codes))
            .await
    }

    /// After a code was stored: the code for the caller, or a message.
    pub(crate) async fn issued(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        written: Written,
        code: &str,
        return_code: bool,
        kind: MessageKind,
    ) -> Result<CodeIssued, CommandError> {
        if return_code {
            return Ok(CodeIssued {
                written,
                code: Some(code.to_owned()),
            });
        }
        self.notify(&ctx.instance_id, user_id, kind, Some(code))
            .await;
        Ok(CodeIssued {
            written,
            code: None,
        })
    }
}
