//! `user.human.add`: a human user in an active organization.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{AddHumanUser, CommandPayload, Email, HumanUserAdded};

use super::model::UserModel;
use super::{USERNAME_KIND, normalize_profile, require_new_in_active_org, stored_profile};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, new_id, required};

/// Creates human user `id` in organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct AddHumanUserCommand {
    id: String,
    org_id: String,
    /// Normalized input, with the plaintext password (for the validators).
    payload: AddHumanUser,
}

impl AddHumanUserCommand {
    /// Checks and normalizes the input: username trimmed and lowercased,
    /// names and address trimmed.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty username, name,
    /// address or password.
    pub(crate) fn new(id: String, org_id: &str, cmd: AddHumanUser) -> Result<Self, CommandError> {
        let username = required(&cmd.username, "the username")?.to_lowercase();
        if cmd.password.as_deref() == Some("") {
            return Err(CommandError::invalid("the password must not be empty"));
        }
        Ok(Self {
            id,
            org_id: org_id.to_owned(),
            payload: AddHumanUser {
                username,
                profile: normalize_profile(&cmd.profile)?,
                email: Email {
                    address: required(&cmd.email.address, "the e-mail address")?,
                    verified: cmd.email.verified,
                },
                password: cmd.password,
            },
        })
    }
}

#[async_trait]
impl Decide for AddHumanUserCommand {
    type Model = UserModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddHumanUser::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &UserModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        require_new_in_active_org(model, &self.id, &self.org_id, env).await?;
        let password_hash = match &self.payload.password {
            Some(password) => Some(env.hash_password(password).await?),
            None => None,
        };
        let p = &self.payload;
        let event = env.event(&HumanUserAdded {
            username: p.username.clone(),
            profile: stored_profile(&p.profile),
            email: p.email.address.clone(),
            email_verified: p.email.verified,
            password_hash,
            org_id: self.org_id.clone(),
        });
        let taken = format!("the username {} is already taken", p.username);
        Ok(Decision::new(vec![event]).unique(env.claim(USERNAME_KIND, &p.username, taken)))
    }
}

impl Commands {
    /// Adds a human user to organization `org_id` (which must exist and be
    /// active). The username is stored lowercase and must be unique in the
    /// instance; a password, if given, is stored as an argon2id hash only.
    /// The new user id is `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for empty fields,
    /// [`CommandError::Rejected`] when a validator refuses (username format,
    /// e-mail format, password policy), [`CommandError::NotFound`] /
    /// [`CommandError::FailedPrecondition`] for a missing or inactive org,
    /// [`CommandError::AlreadyExists`] for a taken username.
    pub async fn add_human_user(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: AddHumanUser,
    ) -> Result<Written, CommandError> {
        let cmd = AddHumanUserCommand::new(new_id(), org_id, cmd)?;
        self.execute(ctx, &cmd).await
    }
}
