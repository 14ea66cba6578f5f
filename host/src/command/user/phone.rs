//! `user.human.phone.change` and `user.human.phone.remove`: a human user's
//! phone number, normalized to E.164 before validators see it, so every
//! number is stored (and compared, and matched by a validator) in one form.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    ChangeHumanPhone, CommandPayload, HumanPhoneChanged, HumanPhoneRemoved, RemoveHumanPhone,
};

use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// Fewest digits of an E.164 number after the `+` (short national
/// numbers with their country code).
pub(crate) const PHONE_MIN_DIGITS: usize = 8;
/// Most digits of an E.164 number after the `+` (ITU-T E.164's limit).
pub(crate) const PHONE_MAX_DIGITS: usize = 15;

/// `input` in E.164 form: spaces (any whitespace), dashes, dots and
/// parentheses dropped, then `+` and 8 to 15 digits, the first not 0
/// (`+41 (44) 668-18-00` → `+41446681800`).
///
/// # Errors
/// [`CommandError::InvalidArgument`] for an empty number or one that is not
/// in that form once the separators are gone.
pub(crate) fn normalize_phone(input: &str) -> Result<String, CommandError> {
    let phone: String = input
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    if phone.is_empty() {
        return Err(CommandError::invalid("the phone number must not be empty"));
    }
    let digits = phone.strip_prefix('+').unwrap_or_default();
    let valid = phone.starts_with('+')
        && (PHONE_MIN_DIGITS..=PHONE_MAX_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !valid {
        return Err(CommandError::invalid(format!(
            "the phone number {input:?} is not in international (E.164) form: expected '+', \
             the country code and {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits in all, \
             the first not 0, e.g. +41 44 668 18 00"
        )));
    }
    Ok(phone)
}

/// What happens to the phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhoneChange {
    /// `user.human.phone.change`: a new number (normalized) or a new
    /// verification state.
    Set(ChangeHumanPhone),
    /// `user.human.phone.remove`.
    Remove,
}

/// Changes or removes human user `user_id`'s phone number.
#[derive(Debug, Clone)]
pub(crate) struct PhoneCommand {
    user_id: String,
    change: PhoneChange,
}

impl PhoneCommand {
    /// Sets `cmd`'s number, normalized to E.164.
    ///
    /// # Errors
    /// As [`normalize_phone`].
    pub(crate) fn set(user_id: &str, cmd: ChangeHumanPhone) -> Result<Self, CommandError> {
        Ok(Self {
            user_id: user_id.to_owned(),
            change: PhoneChange::Set(ChangeHumanPhone {
                phone: normalize_phone(&cmd.phone)?,
                verified: cmd.verified,
            }),
        })
    }

    /// Removes the number.
    pub(crate) fn remove(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            change: PhoneChange::Remove,
        }
    }
}

#[async_trait]
impl Decide for PhoneCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        match self.change {
            PhoneChange::Set(_) => ChangeHumanPhone::NAME,
            PhoneChange::Remove => RemoveHumanPhone::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match &self.change {
            PhoneChange::Set(set) => json(set),
            PhoneChange::Remove => json(&RemoveHumanPhone {}),
        }
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human("a phone number")?;
        let event = match &self.change {
            PhoneChange::Set(set) => {
                if model.phone.as_deref() == Some(set.phone.as_str())
                    && model.phone_verified == set.verified
                {
                    return Err(CommandError::precondition("the phone number is unchanged"));
                }
                env.event(&HumanPhoneChanged {
                    phone: set.phone.clone(),
                    verified: set.verified,
                })
            }
            PhoneChange::Remove => {
                if model.phone.is_none() {
                    return Err(CommandError::precondition(
                        "the user has no phone number to remove",
                    ));
                }
                env.event(&HumanPhoneRemoved {})
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Sets a human user's phone number (and whether it is verified),
    /// normalized to E.164: `+41 44 668-18-00` is stored as `+41446681800`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a number that is not `+` and 8
    /// to 15 digits once spaces, dashes, dots and parentheses are gone,
    /// [`CommandError::Rejected`] when a validator refuses it,
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user or when
    /// neither the number nor its verification changes.
    pub async fn change_human_phone(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: ChangeHumanPhone,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &PhoneCommand::set(user_id, cmd)?).await
    }

    /// Removes a human user's phone number.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user or a user
    /// without a phone number.
    pub async fn remove_human_phone(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &PhoneCommand::remove(user_id)).await
    }
}
