//! `project.add`: a new project in an active organization.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{AddProject, CommandPayload, ProjectAdded};

use super::model::{ProjectModel, ProjectState};
use super::{NAME_KIND, name_value};
use crate::command::org::require_active_org;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, new_id, required};

/// Creates project `id` in organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct AddProjectCommand {
    id: String,
    org_id: String,
    /// Name trimmed.
    payload: AddProject,
}

impl AddProjectCommand {
    /// Checks and trims the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name.
    pub(crate) fn new(id: String, org_id: &str, cmd: AddProject) -> Result<Self, CommandError> {
        Ok(Self {
            id,
            org_id: org_id.to_owned(),
            payload: AddProject {
                name: required(&cmd.name, "the project's name")?,
                ..cmd
            },
        })
    }
}

#[async_trait]
impl Decide for AddProjectCommand {
    type Model = ProjectModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddProject::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &ProjectModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if model.state != ProjectState::Unknown {
            return Err(CommandError::AlreadyExists {
                kind: "project".into(),
                value: self.id.clone(),
                message: format!("project {} already exists", self.id),
            });
        }
        require_active_org(env, &self.org_id).await?;
        let p = &self.payload;
        let event = env.event(&ProjectAdded {
            org_id: self.org_id.clone(),
            name: p.name.clone(),
            role_assertion: p.role_assertion,
            authorization_required: p.authorization_required,
        });
        let taken = format!("the organization already has a project named {:?}", p.name);
        let claim = env.claim(NAME_KIND, &name_value(&self.org_id, &p.name), taken);
        Ok(Decision::new(vec![event]).unique(claim))
    }
}

impl Commands {
    /// Creates a project in organization `org_id` (which must exist and be
    /// active). The new project id is `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name,
    /// [`CommandError::NotFound`] / [`CommandError::FailedPrecondition`] for
    /// a missing or inactive org, [`CommandError::AlreadyExists`] when the
    /// org has a project of that name.
    pub async fn add_project(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: AddProject,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &AddProjectCommand::new(new_id(), org_id, cmd)?)
            .await
    }
}
