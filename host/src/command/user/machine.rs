//! `user.machine.add` and `user.machine.change`: machine users (service
//! accounts) in an active organization. Their usernames share the
//! namespace of human usernames ([`USERNAME_KIND`]); the username is also
//! the machine's OAuth client id. Each has an access token type (opaque
//! bearer tokens unless told, or JWTs), which a change keeps unless it
//! names another.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddMachineUser, ChangeMachineUser, CommandPayload, MachineUserAdded, MachineUserChanged,
};

use super::model::UserModel;
use super::{USERNAME_KIND, require_new_in_active_org};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, new_id, optional, required};

/// Creates machine user `id` in organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct AddMachineUserCommand {
    id: String,
    org_id: String,
    /// Normalized input.
    payload: AddMachineUser,
}

impl AddMachineUserCommand {
    /// Checks and normalizes the input: username trimmed and lowercased
    /// (as a human's), name and description trimmed, an empty description
    /// dropped.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty username or name.
    pub(crate) fn new(id: String, org_id: &str, cmd: AddMachineUser) -> Result<Self, CommandError> {
        Ok(Self {
            id,
            org_id: org_id.to_owned(),
            payload: AddMachineUser {
                username: required(&cmd.username, "the username")?.to_lowercase(),
                name: required(&cmd.name, "the machine user's name")?,
                description: optional(cmd.description.as_deref()),
                access_token_type: cmd.access_token_type,
            },
        })
    }
}

#[async_trait]
impl Decide for AddMachineUserCommand {
    type Model = UserModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddMachineUser::NAME
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
        let p = &self.payload;
        let event = env.event(&MachineUserAdded {
            org_id: self.org_id.clone(),
            username: p.username.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            access_token_type: p.access_token_type,
        });
        let taken = format!("the username {} is already taken", p.username);
        Ok(Decision::new(vec![event]).unique(env.claim(USERNAME_KIND, &p.username, taken)))
    }
}

/// Replaces machine user `user_id`'s name and description, and its access
/// token type if the input names one.
#[derive(Debug, Clone)]
pub(crate) struct ChangeMachineUserCommand {
    user_id: String,
    payload: ChangeMachineUser,
}

impl ChangeMachineUserCommand {
    /// Checks and trims the name and description (an empty description
    /// clears it); the access token type is kept as given (`None`: keep).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name.
    pub(crate) fn new(user_id: &str, cmd: ChangeMachineUser) -> Result<Self, CommandError> {
        Ok(Self {
            user_id: user_id.to_owned(),
            payload: ChangeMachineUser {
                name: required(&cmd.name, "the machine user's name")?,
                description: optional(cmd.description.as_deref()),
                access_token_type: cmd.access_token_type,
            },
        })
    }
}

#[async_trait]
impl Decide for ChangeMachineUserCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        ChangeMachineUser::NAME
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
        model.require_machine("a name and a description")?;
        let p = &self.payload;
        let current = model.access_token_type.unwrap_or_default();
        let access_token_type = p.access_token_type.unwrap_or(current);
        if model.name.as_deref() == Some(p.name.as_str())
            && model.description == p.description
            && access_token_type == current
        {
            return Err(CommandError::precondition(
                "the machine user's name, description and access token type are unchanged",
            ));
        }
        Ok(Decision::new(vec![env.event(&MachineUserChanged {
            name: p.name.clone(),
            description: p.description.clone(),
            access_token_type: Some(access_token_type),
        })]))
    }
}

impl Commands {
    /// Adds a machine user (a service account) to organization `org_id`
    /// (which must exist and be active), with the access token type the
    /// input names. The username is stored lowercase and must be unique in
    /// the instance among human and machine users alike. The new user id is
    /// `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty username or name,
    /// [`CommandError::Rejected`] when a validator refuses,
    /// [`CommandError::NotFound`] / [`CommandError::FailedPrecondition`] for
    /// a missing or inactive org, [`CommandError::AlreadyExists`] for a
    /// taken username.
    pub async fn add_machine_user(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: AddMachineUser,
    ) -> Result<Written, CommandError> {
        let cmd = AddMachineUserCommand::new(new_id(), org_id, cmd)?;
        self.execute(ctx, &cmd).await
    }

    /// Replaces a machine user's name and description (`None` or blank
    /// clears the description), and its access token type unless the input
    /// leaves it `None`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name,
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a human user or when nothing
    /// changes.
    pub async fn change_machine_user(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: ChangeMachineUser,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ChangeMachineUserCommand::new(user_id, cmd)?)
            .await
    }
}
