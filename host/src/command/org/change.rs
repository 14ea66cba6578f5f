//! `org.rename`, `org.deactivate`, `org.reactivate`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, DeactivateOrg, OrgChanged, OrgDeactivated, OrgReactivated, ReactivateOrg,
    RenameOrg,
};

use super::model::{OrgModel, OrgState};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// Renames organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct RenameOrgCommand {
    org_id: String,
    payload: RenameOrg,
}

impl RenameOrgCommand {
    /// Checks and trims the name.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name.
    pub(crate) fn new(org_id: &str, cmd: RenameOrg) -> Result<Self, CommandError> {
        Ok(Self {
            org_id: org_id.to_owned(),
            payload: RenameOrg {
                name: required(&cmd.name, "the organization's name")?,
            },
        })
    }
}

#[async_trait]
impl Decide for RenameOrgCommand {
    type Model = OrgModel;

    fn name(&self) -> &'static str {
        RenameOrg::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.org_id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if model.name == self.payload.name {
            return Err(CommandError::precondition(
                "the organization's name is unchanged",
            ));
        }
        Ok(Decision::new(vec![env.event(&OrgChanged {
            name: self.payload.name.clone(),
        })]))
    }
}

/// Deactivates (`active == false`) or reactivates an organization.
#[derive(Debug, Clone)]
pub(crate) struct OrgStateCommand {
    org_id: String,
    active: bool,
}

impl OrgStateCommand {
    /// `org.reactivate` when `active`, else `org.deactivate`.
    pub(crate) fn new(org_id: &str, active: bool) -> Self {
        Self {
            org_id: org_id.to_owned(),
            active,
        }
    }
}

#[async_trait]
impl Decide for OrgStateCommand {
    type Model = OrgModel;

    fn name(&self) -> &'static str {
        if self.active {
            ReactivateOrg::NAME
        } else {
            DeactivateOrg::NAME
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.org_id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        if self.active {
            json(&ReactivateOrg {})
        } else {
            json(&DeactivateOrg {})
        }
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let event = match (self.active, model.state) {
            (false, OrgState::Active) => env.event(&OrgDeactivated {}),
            (true, OrgState::Inactive) => env.event(&OrgReactivated {}),
            (false, _) => {
                return Err(CommandError::precondition(
                    "the organization is already inactive",
                ));
            }
            (true, _) => {
                return Err(CommandError::precondition(
                    "the organization is already active",
                ));
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Renames organization `org_id`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name,
    /// [`CommandError::NotFound`] for an unknown or removed org,
    /// [`CommandError::FailedPrecondition`] when the name is unchanged.
    pub async fn rename_org(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: RenameOrg,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RenameOrgCommand::new(org_id, cmd)?)
            .await
    }

    /// Deactivates organization `org_id`: no users can be added to it until
    /// it is reactivated.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed org,
    /// [`CommandError::FailedPrecondition`] when it is already inactive.
    pub async fn deactivate_org(
        &self,
        ctx: &CommandContext,
        org_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &OrgStateCommand::new(org_id, false))
            .await
    }

    /// Reactivates a deactivated organization.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed org,
    /// [`CommandError::FailedPrecondition`] when it is already active.
    pub async fn reactivate_org(
        &self,
        ctx: &CommandContext,
        org_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &OrgStateCommand::new(org_id, true)).await
    }
}
