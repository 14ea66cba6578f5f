//! `user.human.email.code.add`, `user.human.email.verify`,
//! `user.human.phone.code.add` and `user.human.phone.verify`: proving an
//! e-mail address or a phone number with a one-time code.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddEmailCode, AddPhoneCode, CommandPayload, EmailCodeAdded, EmailCodeFailed,
    HumanEmailVerified, HumanPhoneVerified, MessageKind, PhoneCodeAdded, PhoneCodeFailed,
    VerifyEmail, VerifyPhone,
};

use super::code::{self, PendingCode, Tried, redacted_debug};
use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::config::CodesConfig;
use crate::eventstore::NewEvent;

/// What adding a code leaves the caller with. `Debug` never shows the code.
#[derive(Clone, PartialEq)]
pub struct CodeIssued {
    /// Where the code's event landed.
    pub written: Written,
    /// The code itself, when the caller asked for it instead of a message.
    pub code: Option<String>,
}

/// What a verification proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// The e-mail address.
    Email,
    /// The phone number.
    Phone,
}

impl Contact {
    /// The contact's name in messages.
    fn what(self) -> &'static str {
        match self {
            Contact::Email => "e-mail address",
            Contact::Phone => "phone number",
        }
    }

    /// The message that carries its code.
    fn message(self) -> MessageKind {
        match self {
            Contact::Email => MessageKind::EmailVerification,
            Contact::Phone => MessageKind::PhoneVerification,
        }
    }

    /// [`CommandError::FailedPrecondition`] unless `model` is a human with
    /// this contact, not verified yet.
    fn require_unverified(self, model: &UserModel) -> Result<(), CommandError> {
        let what = self.what();
        model.require_human(match self {
            Contact::Email => "an e-mail address",
            Contact::Phone => "a phone number",
        })?;
        let (present, verified) = match self {
            Contact::Email => (!model.email.is_empty(), model.email_verified),
            Contact::Phone => (model.phone.is_some(), model.phone_verified),
        };
        if !present {
            return Err(CommandError::precondition(format!(
                "the user has no {what}"
            )));
        }
        if verified {
            return Err(CommandError::precondition(format!(
                "the {what} is already verified"
            )));
        }
        Ok(())
    }

    /// The pending code of this contact.
    fn pending(self, model: &UserModel) -> Option<&PendingCode> {
        match self {
            Contact::Email => model.email_code.as_ref(),
            Contact::Phone => model.phone_code.as_ref(),
        }
    }

    /// `…code.added`.
    fn added(self, env: &Env<'_>, code_hash: String, codes: &CodesConfig) -> NewEvent {
        let expires_at = code::expiry(codes);
        match self {
            Contact::Email => env.event(&EmailCodeAdded {
                code_hash,
                expires_at,
            }),
            Contact::Phone => env.event(&PhoneCodeAdded {
                code_hash,
                expires_at,
            }),
        }
    }

    /// `…verified` for the right code, `…code.failed` for a wrong one.
    fn tried(self, env: &Env<'_>, valid: bool) -> NewEvent {
        match (self, valid) {
            (Contact::Email, true) => env.event(&HumanEmailVerified {}),
            (Contact::Email, false) => env.event(&EmailCodeFailed {}),
            (Contact::Phone, true) => env.event(&HumanPhoneVerified {}),
            (Contact::Phone, false) => env.event(&PhoneCodeFailed {}),
        }
    }
}

/// Gives user `user_id` a new verification code for a contact (replacing
/// any earlier one). `Debug` never shows the code.
#[derive(Clone)]
pub(crate) struct AddCodeCommand {
    user_id: String,
    contact: Contact,
    return_code: bool,
    code: String,
    codes: CodesConfig,
}

impl AddCodeCommand {
    /// A command with a freshly generated code.
    pub(crate) fn new(
        user_id: &str,
        contact: Contact,
        return_code: bool,
        codes: CodesConfig,
    ) -> Self {
        Self {
            user_id: user_id.to_owned(),
            contact,
            return_code,
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
impl Decide for AddCodeCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        match self.contact {
            Contact::Email => AddEmailCode::NAME,
            Contact::Phone => AddPhoneCode::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        let return_code = self.return_code;
        match self.contact {
            Contact::Email => json(&AddEmailCode { return_code }),
            Contact::Phone => json(&AddPhoneCode { return_code }),
        }
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        self.contact.require_unverified(model)?;
        let code_hash = env.hash_password(&self.code).await?;
        Ok(Decision::new(vec![self.contact.added(
            env,
            code_hash,
            &self.codes,
        )]))
    }
}

/// Verifies one of user `user_id`'s contacts with a code. `Debug` never
/// shows the code.
#[derive(Clone)]
pub(crate) struct VerifyCommand {
    user_id: String,
    contact: Contact,
    code: String,
    codes: CodesConfig,
}

impl VerifyCommand {
    /// A command trying `code`.
    pub(crate) fn new(user_id: &str, contact: Contact, code: String, codes: CodesConfig) -> Self {
        Self {
            user_id: user_id.to_owned(),
            contact,
            code,
            codes,
        }
    }
}

#[async_trait]
impl Decide for VerifyCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        match self.contact {
            Contact::Email => VerifyEmail::NAME,
            Contact::Phone => VerifyPhone::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        let code = self.code.clone();
        match self.contact {
            Contact::Email => json(&VerifyEmail { code }),
            Contact::Phone => json(&VerifyPhone { code }),
        }
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let contact = self.contact;
        contact.require_unverified(model)?;
        let what = format!("{} verification", contact.what());
        let tried =
            code::try_code(contact.pending(model), &self.code, &what, &self.codes, env).await?;
        Ok(match tried {
            Tried::Valid => Decision::new(vec![contact.tried(env, true)]),
            Tried::Wrong { left } => Decision::failing(
                vec![contact.tried(env, false)],
                "CODE_INVALID",
                format!("the code is not valid ({left} attempts left)"),
            ),
        })
    }
}

redacted_debug!(CodeIssued { written }, code);
redacted_debug!(
    AddCodeCommand {
        user_id,
        contact,
        return_code
    },
    code
);
redacted_debug!(VerifyCommand { user_id, contact }, code);

impl Commands {
    /// Gives a human user a new code that verifies their e-mail address or
    /// phone number, and sends it through the instance's notifier — or,
    /// with `return_code`, hands it to the caller to deliver.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown user,
    /// [`CommandError::FailedPrecondition`] for a machine user, or a
    /// contact that is missing or already verified.
    pub async fn add_verification_code(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        contact: Contact,
        return_code: bool,
    ) -> Result<CodeIssued, CommandError> {
        let cmd = AddCodeCommand::new(user_id, contact, return_code, self.codes);
        let written = self.execute(ctx, &cmd).await?;
        self.issued(
            ctx,
            user_id,
            written,
            cmd.code(),
            return_code,
            contact.message(),
        )
        .await
    }

    /// Verifies a human user's e-mail address or phone number with the code
    /// they received.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`CODE_INVALID`) for a wrong code, whose
    /// attempt is stored; [`CommandError::FailedPrecondition`] when no code
    /// is pending, it expired or was tried too often, or the contact is
    /// verified already; [`CommandError::NotFound`] for an unknown user.
    pub async fn verify_contact(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        contact: Contact,
        code: String,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &VerifyCommand::new(user_id, contact, code, self.codes))
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
