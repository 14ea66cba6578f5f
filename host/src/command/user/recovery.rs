//! `user.human.recovery_codes.generate` and
//! `user.human.recovery_code.check`: one-time codes that stand in for a
//! human user's TOTP when the authenticator is lost
//! ([`crate::auth::recovery`]).
//!
//! Recovery codes back up a TOTP, so only a user with a verified TOTP gets
//! them, and removing the TOTP removes them too. Generating makes 10 codes,
//! answers with them once and stores only their SHA-256; generating again
//! replaces them all. A code that passes is used up (an event on the user);
//! a wrong or used code counts toward `maxOtpAttempts` like a wrong TOTP
//! code.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CheckRecoveryCode, CommandPayload, GenerateRecoveryCodes, RecoveryCodeCheckFailed,
    RecoveryCodeUsed, RecoveryCodesGenerated,
};

use super::model::UserModel;
use super::totp::{otp_failure, require_active};
use crate::auth::recovery::{self, NewCodes};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// The code of a wrong or used recovery code.
pub(crate) const RECOVERY_CODE_INVALID: &str = "RECOVERY_CODE_INVALID";

/// What a machine user is told it lacks.
const WHAT: &str = "recovery codes";

/// What a user without a verified TOTP is told.
const NO_TOTP: &str = "recovery codes back up a TOTP: the user has no verified TOTP \
                       (RegisterTOTP, VerifyTOTPRegistration)";

/// What generating recovery codes wrote, and the codes (shown only here).
/// `Debug` leaves the codes out.
#[derive(Clone)]
pub struct RecoveryCodesWritten {
    /// Where the event landed.
    pub written: Written,
    /// The codes, `XXXX-XXXX-XXXX-XXXX`.
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodesWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodesWritten")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

/// Gives human user `user_id` new recovery codes. `Debug` leaves them out
/// (`NewCodes`' own).
#[derive(Debug)]
pub(crate) struct GenerateRecoveryCodesCommand {
    user_id: String,
    /// Made once per call, so a retry after a conflict stores the same ones.
    codes: NewCodes,
}

impl GenerateRecoveryCodesCommand {
    /// Gives `user_id` `codes`.
    pub(crate) fn new(user_id: &str, codes: NewCodes) -> Self {
        Self {
            user_id: user_id.to_owned(),
            codes,
        }
    }
}

#[async_trait]
impl Decide for GenerateRecoveryCodesCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        GenerateRecoveryCodes::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&GenerateRecoveryCodes {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human(WHAT)?;
        if model.verified_totp().is_none() {
            return Err(CommandError::precondition(NO_TOTP));
        }
        Ok(Decision::new(vec![env.event(&RecoveryCodesGenerated {
            code_hashes: self.codes.hashes.clone(),
        })]))
    }
}

/// Checks (and uses up) one of human user `user_id`'s recovery codes.
#[derive(Debug, Clone)]
pub(crate) struct CheckRecoveryCodeCommand {
    user_id: String,
    payload: CheckRecoveryCode,
}

impl CheckRecoveryCodeCommand {
    /// Checks `code`.
    pub(crate) fn new(user_id: &str, code: String) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload: CheckRecoveryCode { code },
        }
    }
}

#[async_trait]
impl Decide for CheckRecoveryCodeCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        CheckRecoveryCode::NAME
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
        model.require_human(WHAT)?;
        require_active(model)?;
        if model.verified_totp().is_none() {
            return Err(CommandError::precondition(NO_TOTP));
        }
        let codes = &model.recovery_codes;
        if codes.left() == 0 {
            return Err(CommandError::precondition(
                "the user has no unused recovery codes (GenerateRecoveryCodes)",
            ));
        }
        let used = |index: usize| codes.used.get(index).copied().unwrap_or(true);
        match recovery::find(&codes.hashes, used, &self.payload.code) {
            Some(index) => {
                let index = u32::try_from(index)
                    .map_err(|_| CommandError::Internal("too many recovery codes".into()))?;
                Ok(Decision::new(vec![env.event(&RecoveryCodeUsed { index })]))
            }
            None => {
                otp_failure(
                    model,
                    env,
                    env.event(&RecoveryCodeCheckFailed {}),
                    RECOVERY_CODE_INVALID,
                    "the recovery code is wrong or was used already",
                )
                .await
            }
        }
    }
}

impl Commands {
    /// Gives human user `user_id` (with a verified TOTP) 10 new recovery
    /// codes, replacing any it has. The codes are in the answer and nowhere
    /// else: the event stores their SHA-256.
    ///
    /// # Errors
    /// [`CommandError::FailedPrecondition`] for a user without a verified
    /// TOTP or a machine user, [`CommandError::NotFound`] for an unknown
    /// user, [`CommandError::Rejected`] when a validator refuses.
    pub async fn generate_recovery_codes(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<RecoveryCodesWritten, CommandError> {
        let cmd = GenerateRecoveryCodesCommand::new(user_id, recovery::generate());
        let written = self.execute(ctx, &cmd).await?;
        Ok(RecoveryCodesWritten {
            written,
            codes: cmd.codes.plain,
        })
    }

    /// Checks one of human user `user_id`'s recovery codes and uses it up,
    /// counting failures toward `maxOtpAttempts`: what a session's
    /// recovery code check runs.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`RECOVERY_CODE_INVALID`) for a wrong or
    /// used code, whose failure is stored;
    /// [`CommandError::FailedPrecondition`] for a user without a verified
    /// TOTP or unused codes, an inactive or locked one or a machine user;
    /// [`CommandError::NotFound`] for an unknown user.
    pub async fn check_recovery_code(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        code: String,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &CheckRecoveryCodeCommand::new(user_id, code))
            .await
    }
}
