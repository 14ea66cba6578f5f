//! `user.pat.add` and `user.pat.remove`: personal access tokens of machine
//! users. The caller (the API) generates the token and its id and hands in
//! only a hash of its secret; validators see the id and the expiry, the
//! event stores the hash too.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    AddPersonalAccessToken, CommandPayload, PersonalAccessTokenAdded, PersonalAccessTokenRemoved,
    RemovePersonalAccessToken,
};

use super::model::UserModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// The kind of [`CommandError::NotFound`] and
/// [`CommandError::AlreadyExists`] about tokens.
const PAT_KIND: &str = "personal_access_token";

/// Adds a personal access token to machine user `user_id`. `Debug` leaves
/// the hash out.
#[derive(Clone)]
pub(crate) struct AddPatCommand {
    user_id: String,
    /// What validators see: id and expiry.
    payload: AddPersonalAccessToken,
    token_hash: String,
}

impl fmt::Debug for AddPatCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddPatCommand")
            .field("user_id", &self.user_id)
            .field("payload", &self.payload)
            .field("token_hash", &"<redacted>")
            .finish()
    }
}

impl AddPatCommand {
    /// Checks the input: id and hash present, expiry after `now`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty token id or hash, or
    /// an expiry not in the future.
    pub(crate) fn new(
        user_id: &str,
        token_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, CommandError> {
        let token_id = required(token_id, "the token id")?;
        if token_hash.trim().is_empty() {
            return Err(CommandError::invalid("the token hash must not be empty"));
        }
        if expires_at <= now {
            return Err(CommandError::invalid(format!(
                "the token's expiry {} is not in the future",
                expires_at.to_rfc3339()
            )));
        }
        Ok(Self {
            user_id: user_id.to_owned(),
            payload: AddPersonalAccessToken {
                token_id,
                expires_at,
            },
            token_hash: token_hash.to_owned(),
        })
    }
}

#[async_trait]
impl Decide for AddPatCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        AddPersonalAccessToken::NAME
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
        model.require_machine("personal access tokens")?;
        let token_id = &self.payload.token_id;
        if model.pats.contains_key(token_id) {
            return Err(CommandError::AlreadyExists {
                kind: PAT_KIND.into(),
                value: token_id.clone(),
                message: format!("the user already has a token with id {token_id}"),
            });
        }
        Ok(Decision::new(vec![env.event(&PersonalAccessTokenAdded {
            token_id: token_id.clone(),
            token_hash: self.token_hash.clone(),
            expires_at: self.payload.expires_at,
        })]))
    }
}

/// Removes personal access token `token_id` of user `user_id`.
#[derive(Debug, Clone)]
pub(crate) struct RemovePatCommand {
    user_id: String,
    payload: RemovePersonalAccessToken,
}

impl RemovePatCommand {
    /// Removes `token_id` of `user_id`.
    pub(crate) fn new(user_id: &str, token_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload: RemovePersonalAccessToken {
                token_id: token_id.trim().to_owned(),
            },
        }
    }
}

#[async_trait]
impl Decide for RemovePatCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        RemovePersonalAccessToken::NAME
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
        let token_id = &self.payload.token_id;
        if model.active_pat(token_id).is_none() {
            return Err(CommandError::NotFound {
                kind: PAT_KIND,
                id: token_id.clone(),
            });
        }
        Ok(Decision::new(vec![env.event(
            &PersonalAccessTokenRemoved {
                token_id: token_id.clone(),
            },
        )]))
    }
}

impl Commands {
    /// Adds personal access token `token_id` to machine user `user_id`
    /// (which must exist and not be removed; an inactive or locked one
    /// will do). Only `token_hash` is stored, never the token; validators
    /// see the id and the expiry only. Token ids are unique per user, for
    /// good: a removed token's id stays taken.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty id or hash or an
    /// expiry not in the future, [`CommandError::NotFound`] for an unknown
    /// or removed user, [`CommandError::FailedPrecondition`] for a human
    /// user, [`CommandError::AlreadyExists`] (kind `personal_access_token`)
    /// when the user already has (or had) a token with that id.
    pub async fn add_personal_access_token(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        token_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Written, CommandError> {
        let cmd = AddPatCommand::new(user_id, token_id, token_hash, expires_at, Utc::now())?;
        self.execute(ctx, &cmd).await
    }

    /// Removes (revokes) personal access token `token_id` of user `user_id`.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user (kind
    /// `user`) or an unknown or already removed token (kind
    /// `personal_access_token`).
    pub async fn remove_personal_access_token(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        token_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RemovePatCommand::new(user_id, token_id))
            .await
    }
}
