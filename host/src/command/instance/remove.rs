//! `instance.remove`: the instance is gone for good. Its host names are
//! released (another instance may take them) and stop resolving, and every
//! value claimed in it (usernames, org domains) is released too.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, InstanceRemoved, RemoveInstance};

use super::model::InstanceModel;
use super::{DOMAIN_KIND, GLOBAL};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::UniqueOp;

/// Removes the instance `id`.
#[derive(Debug, Clone)]
pub(crate) struct RemoveInstanceCommand {
    id: String,
}

impl RemoveInstanceCommand {
    /// Removes instance `id`.
    pub(crate) fn new(id: &str) -> Self {
        Self { id: id.to_owned() }
    }
}

#[async_trait]
impl Decide for RemoveInstanceCommand {
    type Model = InstanceModel;

    fn name(&self) -> &'static str {
        RemoveInstance::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveInstance {})
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let event = env.event(&InstanceRemoved {
            domains: model.domains.clone(),
        });
        let mut decision = Decision::new(vec![event]).unique(UniqueOp::ReleaseInstance {
            instance_id: self.id.clone(),
        });
        for d in &model.domains {
            decision = decision.unique(UniqueOp::release(GLOBAL, DOMAIN_KIND, d));
        }
        Ok(decision)
    }
}

impl Commands {
    /// Removes instance `id` with everything in it; `actor` is recorded as
    /// the remover. Its host names are released at once.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or already removed instance;
    /// see [`CommandError`] for the rest.
    pub async fn remove_instance(&self, actor: &str, id: &str) -> Result<Written, CommandError> {
        let ctx = CommandContext::new(id, actor);
        self.execute(&ctx, &RemoveInstanceCommand::new(id)).await
    }
}
