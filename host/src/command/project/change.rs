//! `project.change`, `project.deactivate`, `project.reactivate`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    ChangeProject, CommandPayload, DeactivateProject, ProjectChanged, ProjectDeactivated,
    ProjectReactivated, ReactivateProject,
};

use super::model::{ProjectModel, ProjectState};
use super::{NAME_KIND, name_value};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// Changes the name or flags of project `project_id`.
#[derive(Debug, Clone)]
pub(crate) struct ChangeProjectCommand {
    project_id: String,
    payload: ChangeProject,
}

impl ChangeProjectCommand {
    /// Checks and trims the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name or a change of
    /// nothing.
    pub(crate) fn new(project_id: &str, cmd: ChangeProject) -> Result<Self, CommandError> {
        let name = cmd
            .name
            .as_deref()
            .map(|n| required(n, "the project's name"))
            .transpose()?;
        if name.is_none() && cmd.role_assertion.is_none() && cmd.authorization_required.is_none() {
            return Err(CommandError::invalid(
                "give at least one of name, roleAssertion and authorizationRequired",
            ));
        }
        Ok(Self {
            project_id: project_id.to_owned(),
            payload: ChangeProject { name, ..cmd },
        })
    }
}

#[async_trait]
impl Decide for ChangeProjectCommand {
    type Model = ProjectModel;

    fn name(&self) -> &'static str {
        ChangeProject::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.project_id
    }

    fn org_id(&self, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let p = &self.payload;
        let changed = ProjectChanged {
            name: p.name.clone().filter(|n| *n != model.name),
            role_assertion: p.role_assertion.filter(|f| *f != model.role_assertion),
            authorization_required: p
                .authorization_required
                .filter(|f| *f != model.authorization_required),
        };
        if changed == ProjectChanged::default() {
            return Err(CommandError::precondition("the project is unchanged"));
        }
        let mut decision = Decision::new(vec![env.event(&changed)]);
        if let Some(name) = &changed.name {
            let (old, new) = (
                name_value(&model.org_id, &model.name),
                name_value(&model.org_id, name),
            );
            if old != new {
                let taken = format!("the organization already has a project named {name:?}");
                decision.unique.push(env.release(NAME_KIND, &old));
                decision.unique.push(env.claim(NAME_KIND, &new, taken));
            }
        }
        Ok(decision)
    }
}

/// Deactivates (`active == false`) or reactivates a project.
#[derive(Debug, Clone)]
pub(crate) struct ProjectStateCommand {
    project_id: String,
    active: bool,
}

impl ProjectStateCommand {
    /// `project.reactivate` when `active`, else `project.deactivate`.
    pub(crate) fn new(project_id: &str, active: bool) -> Self {
        Self {
            project_id: project_id.to_owned(),
            active,
        }
    }
}

#[async_trait]
impl Decide for ProjectStateCommand {
    type Model = ProjectModel;

    fn name(&self) -> &'static str {
        if self.active {
            ReactivateProject::NAME
        } else {
            DeactivateProject::NAME
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.project_id
    }

    fn org_id(&self, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        if self.active {
            json(&ReactivateProject {})
        } else {
            json(&DeactivateProject {})
        }
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let event = match (self.active, model.state) {
            (false, ProjectState::Active) => env.event(&ProjectDeactivated {}),
            (true, ProjectState::Inactive) => env.event(&ProjectReactivated {}),
            (false, _) => {
                return Err(CommandError::precondition(
                    "the project is already inactive",
                ));
            }
            (true, _) => return Err(CommandError::precondition("the project is already active")),
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Changes the name, the role assertion or the authorization
    /// requirement of project `project_id`; fields left `None` stay.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name or no field,
    /// [`CommandError::NotFound`] for an unknown or removed project,
    /// [`CommandError::FailedPrecondition`] when nothing would change,
    /// [`CommandError::AlreadyExists`] when the org has a project of the new
    /// name.
    pub async fn change_project(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        cmd: ChangeProject,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ChangeProjectCommand::new(project_id, cmd)?)
            .await
    }

    /// Deactivates project `project_id` (`active == false`) or reactivates
    /// it.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed project,
    /// [`CommandError::FailedPrecondition`] when it already is in that state.
    pub async fn set_project_active(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        active: bool,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ProjectStateCommand::new(project_id, active))
            .await
    }
}
