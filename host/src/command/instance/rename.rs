//! `instance.rename`: a new display name.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, InstanceChanged, RenameInstance};

use super::model::InstanceModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// Renames the context's instance.
#[derive(Debug, Clone)]
pub(crate) struct RenameInstanceCommand {
    payload: RenameInstance,
}

impl RenameInstanceCommand {
    /// Checks and trims the name.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name.
    pub(crate) fn new(name: &str) -> Result<Self, CommandError> {
        Ok(Self {
            payload: RenameInstance {
                name: required(name, "the instance's name")?,
            },
        })
    }
}

#[async_trait]
impl Decide for RenameInstanceCommand {
    type Model = InstanceModel;

    fn name(&self) -> &'static str {
        RenameInstance::NAME
    }

    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str {
        &ctx.instance_id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if model.name == self.payload.name {
            return Err(CommandError::precondition(
                "the instance's name is unchanged",
            ));
        }
        Ok(Decision::new(vec![env.event(&InstanceChanged {
            name: self.payload.name.clone(),
        })]))
    }
}

impl Commands {
    /// Renames the context's instance.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name,
    /// [`CommandError::NotFound`] for an unknown instance,
    /// [`CommandError::FailedPrecondition`] when the name is unchanged.
    pub async fn rename_instance(
        &self,
        ctx: &CommandContext,
        name: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RenameInstanceCommand::new(name)?).await
    }
}
