//! `user.machine.secret.generate` and `user.machine.secret.remove`: the
//! client secret a machine user authenticates with at the token endpoint
//! (OAuth client-credentials grant; its username is the client id).
//!
//! Made like an application's client secret (`auth::token::new_secret`):
//! 32 random bytes (hex) from the host, returned to the caller once and
//! stored only as their SHA-256. A machine user has at most one; generating
//! a new one replaces it, and the old one stops working at once. Validators
//! see neither the secret nor its hash: the commands have no payload.

use std::sync::Mutex;

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, GenerateMachineSecret, MachineSecretRemoved, MachineSecretSet,
    RemoveMachineSecret,
};

use super::model::UserModel;
use crate::auth::token::{self, NewSecret};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// What a machine user lacking a secret, or a human, is told it lacks.
const WHAT: &str = "client secrets";

/// What generating a machine user's secret wrote, and the secret (shown
/// only here). `Debug` leaves the secret out.
#[derive(Clone)]
pub struct MachineSecretWritten {
    /// Where the event landed.
    pub written: Written,
    /// The client id the secret goes with: the machine user's username.
    pub client_id: String,
    /// The new secret, 64 hex digits.
    pub client_secret: String,
}

impl std::fmt::Debug for MachineSecretWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineSecretWritten")
            .field("written", &self.written)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Gives machine user `user_id` a new client secret, replacing any it has.
/// `Debug` leaves the secret out (`NewSecret`'s own).
#[derive(Debug)]
pub(crate) struct GenerateMachineSecretCommand {
    user_id: String,
    /// Made once per call, so a retry after a conflict stores the same one.
    secret: NewSecret,
    /// The username the last decision saw: the client id to answer with.
    username: Mutex<Option<String>>,
}

impl GenerateMachineSecretCommand {
    /// Gives `user_id` `secret`.
    pub(crate) fn new(user_id: &str, secret: NewSecret) -> Self {
        Self {
            user_id: user_id.to_owned(),
            secret,
            username: Mutex::new(None),
        }
    }

    /// The username the last decision saw, if one got that far.
    fn username(&self) -> Option<String> {
        self.username
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Decide for GenerateMachineSecretCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        GenerateMachineSecret::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&GenerateMachineSecret {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_machine(WHAT)?;
        *self
            .username
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(model.username.clone());
        Ok(Decision::new(vec![env.event(&MachineSecretSet {
            secret_hash: self.secret.hash.clone(),
        })]))
    }
}

/// Takes machine user `user_id`'s client secret away.
#[derive(Debug, Clone)]
pub(crate) struct RemoveMachineSecretCommand {
    user_id: String,
}

impl RemoveMachineSecretCommand {
    /// Removes the secret of `user_id`.
    pub(crate) fn new(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
        }
    }
}

#[async_trait]
impl Decide for RemoveMachineSecretCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        RemoveMachineSecret::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveMachineSecret {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_machine(WHAT)?;
        if model.secret.is_none() {
            return Err(CommandError::precondition(
                "the machine user has no client secret",
            ));
        }
        Ok(Decision::new(vec![env.event(&MachineSecretRemoved {})]))
    }
}

impl Commands {
    /// Gives machine user `user_id` (which must exist and not be removed;
    /// an inactive or locked one will do) a new client secret, replacing
    /// the one it has, which stops working at once. The secret is in the
    /// answer and nowhere else: the event stores its SHA-256.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a human user,
    /// [`CommandError::Rejected`] when a validator refuses.
    pub async fn generate_machine_secret(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<MachineSecretWritten, CommandError> {
        let cmd = GenerateMachineSecretCommand::new(user_id, token::new_secret());
        let written = self.execute(ctx, &cmd).await?;
        let client_id = cmd.username().ok_or_else(|| {
            CommandError::Internal("a machine secret was stored without its user".into())
        })?;
        Ok(MachineSecretWritten {
            written,
            client_id,
            client_secret: cmd.secret.plain,
        })
    }

    /// Removes machine user `user_id`'s client secret: it no longer
    /// authenticates.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a human user or a machine
    /// user without a secret, [`CommandError::Rejected`] when a validator
    /// refuses.
    pub async fn remove_machine_secret(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RemoveMachineSecretCommand::new(user_id))
            .await
    }
}
