//! `instance.add`: a new instance with its first domains, the first one primary.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddInstance, CommandPayload, InstanceAdded, InstanceDomainAdded, InstanceDomainPrimarySet,
};

use super::model::InstanceModel;
use super::{DOMAIN_KIND, GLOBAL};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::write_model::WriteModel as _;
use crate::command::{CommandContext, CommandError, Commands, Written, domain, new_id, required};
use crate::eventstore::UniqueOp;

/// Creates instance `id` named `payload.name` with `domains`.
#[derive(Debug, Clone)]
pub(crate) struct AddInstanceCommand {
    pub(crate) id: String,
    payload: AddInstance,
    domains: Vec<String>,
}

impl AddInstanceCommand {
    /// Checks and normalizes the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name, no domains, a
    /// malformed or repeated domain.
    pub(crate) fn new(id: String, name: &str, domains: &[String]) -> Result<Self, CommandError> {
        let name = required(name, "the instance's name")?;
        if domains.is_empty() {
            return Err(CommandError::invalid(
                "an instance needs at least one domain",
            ));
        }
        let mut normalized: Vec<String> = Vec::with_capacity(domains.len());
        for raw in domains {
            let d = domain::normalize(raw)?;
            if normalized.contains(&d) {
                return Err(CommandError::invalid(format!(
                    "the domain {d} is listed twice"
                )));
            }
            normalized.push(d);
        }
        Ok(Self {
            id,
            payload: AddInstance { name },
            domains: normalized,
        })
    }
}

#[async_trait]
impl Decide for AddInstanceCommand {
    type Model = InstanceModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddInstance::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if model.exists() {
            return Err(CommandError::AlreadyExists {
                kind: "instance".into(),
                value: self.id.clone(),
                message: format!("instance {} already exists", self.id),
            });
        }
        let mut events = vec![env.event(&InstanceAdded {
            name: self.payload.name.clone(),
        })];
        events.extend(self.domains.iter().map(|d| {
            env.event(&InstanceDomainAdded {
                domain: d.clone(),
                generated: false,
            })
        }));
        if let Some(first) = self.domains.first() {
            events.push(env.event(&InstanceDomainPrimarySet {
                domain: first.clone(),
            }));
        }
        let mut decision = Decision::new(events);
        for d in &self.domains {
            decision = decision.unique(UniqueOp::claim(
                GLOBAL,
                DOMAIN_KIND,
                d,
                format!("the domain {d} is already used by an instance"),
            ));
        }
        Ok(decision)
    }
}

impl Commands {
    /// Creates an instance (a tenant) named `name`, reachable under
    /// `domains` (lowercase DNS names or IP literals, no port; the first one
    /// becomes primary). The new instance id is `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name, no or malformed
    /// domains; [`CommandError::AlreadyExists`] when another instance uses
    /// one of the domains; see [`CommandError`] for the rest.
    pub async fn add_instance(
        &self,
        actor: &str,
        name: &str,
        domains: &[String],
    ) -> Result<Written, CommandError> {
        let cmd = AddInstanceCommand::new(new_id(), name, domains)?;
        let ctx = CommandContext::new(cmd.id.clone(), actor);
        self.execute(&ctx, &cmd).await
    }
}
