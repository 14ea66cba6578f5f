//! An instance's domains: add one, make one primary, remove one.
//!
//! The catalogue has no command payloads for these yet; validators see
//! `instance.domain.add`, `instance.domain.primary.set` and
//! `instance.domain.remove` with `{"domain": "<normalized domain>"}`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    InstanceDomainAdded, InstanceDomainPrimarySet, InstanceDomainRemoved,
};
use serde::Serialize;

use super::model::InstanceModel;
use super::{DOMAIN_KIND, GLOBAL};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, domain};
use crate::eventstore::UniqueOp;

/// What to do with the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DomainAction {
    /// `instance.domain.add`.
    Add,
    /// `instance.domain.primary.set`.
    SetPrimary,
    /// `instance.domain.remove`.
    Remove,
}

/// The validators' payload: `{"domain": …}`.
#[derive(Debug, Clone, Serialize)]
struct DomainPayload<'a> {
    domain: &'a str,
}

/// Adds, sets primary or removes one domain of the context's instance.
#[derive(Debug, Clone)]
pub(crate) struct InstanceDomainCommand {
    action: DomainAction,
    domain: String,
}

impl InstanceDomainCommand {
    /// Normalizes the domain.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed domain.
    pub(crate) fn new(action: DomainAction, domain: &str) -> Result<Self, CommandError> {
        Ok(Self {
            action,
            domain: domain::normalize(domain)?,
        })
    }

    fn not_found(&self) -> CommandError {
        CommandError::NotFound {
            kind: "instance domain",
            id: self.domain.clone(),
        }
    }
}

#[async_trait]
impl Decide for InstanceDomainCommand {
    type Model = InstanceModel;

    fn name(&self) -> &'static str {
        match self.action {
            DomainAction::Add => "instance.domain.add",
            DomainAction::SetPrimary => "instance.domain.primary.set",
            DomainAction::Remove => "instance.domain.remove",
        }
    }

    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str {
        &ctx.instance_id
    }

    fn org_id(&self, _model: &InstanceModel) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        json(&DomainPayload {
            domain: &self.domain,
        })
    }

    async fn decide(&self, model: &InstanceModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let d = &self.domain;
        let is_primary = model.primary_domain.as_deref() == Some(d.as_str());
        match self.action {
            DomainAction::Add => {
                if model.has_domain(d) {
                    return Err(CommandError::AlreadyExists {
                        kind: DOMAIN_KIND.into(),
                        value: d.clone(),
                        message: format!("the instance already has the domain {d}"),
                    });
                }
                let event = env.event(&InstanceDomainAdded {
                    domain: d.clone(),
                    generated: false,
                });
                let taken = format!("the domain {d} is already used by an instance");
                Ok(Decision::new(vec![event]).unique(UniqueOp::claim(
                    GLOBAL,
                    DOMAIN_KIND,
                    d,
                    taken,
                )))
            }
            DomainAction::SetPrimary => {
                if !model.has_domain(d) {
                    return Err(self.not_found());
                }
                if is_primary {
                    return Err(CommandError::precondition(format!(
                        "{d} is already the instance's primary domain"
                    )));
                }
                let event = env.event(&InstanceDomainPrimarySet { domain: d.clone() });
                Ok(Decision::new(vec![event]))
            }
            DomainAction::Remove => {
                if !model.has_domain(d) {
                    return Err(self.not_found());
                }
                if is_primary {
                    return Err(CommandError::precondition(format!(
                        "{d} is the instance's primary domain; make another domain primary first"
                    )));
                }
                let event = env.event(&InstanceDomainRemoved { domain: d.clone() });
                Ok(Decision::new(vec![event]).unique(UniqueOp::release(GLOBAL, DOMAIN_KIND, d)))
            }
        }
    }
}

impl Commands {
    /// Adds `domain` to the context's instance, so requests for that host
    /// name reach it.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed domain,
    /// [`CommandError::AlreadyExists`] when this or another instance has it.
    pub async fn add_instance_domain(
        &self,
        ctx: &CommandContext,
        domain: &str,
    ) -> Result<Written, CommandError> {
        let cmd = InstanceDomainCommand::new(DomainAction::Add, domain)?;
        self.execute(ctx, &cmd).await
    }

    /// Makes `domain`, one of the instance's domains, its primary one.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] when the instance lacks the domain,
    /// [`CommandError::FailedPrecondition`] when it is already primary.
    pub async fn set_primary_instance_domain(
        &self,
        ctx: &CommandContext,
        domain: &str,
    ) -> Result<Written, CommandError> {
        let cmd = InstanceDomainCommand::new(DomainAction::SetPrimary, domain)?;
        self.execute(ctx, &cmd).await
    }

    /// Removes `domain` from the instance and frees it for other instances.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] when the instance lacks the domain,
    /// [`CommandError::FailedPrecondition`] for the primary domain.
    pub async fn remove_instance_domain(
        &self,
        ctx: &CommandContext,
        domain: &str,
    ) -> Result<Written, CommandError> {
        let cmd = InstanceDomainCommand::new(DomainAction::Remove, domain)?;
        self.execute(ctx, &cmd).await
    }
}
