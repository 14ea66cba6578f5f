//! `project.remove`: the project, its roles, grants and authorizations go;
//! its name is freed in the organization. An org removal takes its projects along the
//! same way ([`removal`]).

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{CommandPayload, ProjectRemoved, RemoveProject};

use super::model::ProjectModel;
use super::{NAME_KIND, name_value};
use crate::command::authorization::cascade::{Follow, authorizations_follow};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::{NewEvent, UniqueOp};

/// Removes project `project_id`.
#[derive(Debug, Clone)]
pub(crate) struct RemoveProjectCommand {
    project_id: String,
}

impl RemoveProjectCommand {
    /// Removes `project_id`.
    pub(crate) fn new(project_id: &str) -> Self {
        Self {
            project_id: project_id.to_owned(),
        }
    }
}

/// The event removing `model`'s project and the release of its name.
pub(crate) fn removal(env: &Env<'_>, model: &ProjectModel) -> (NewEvent, UniqueOp) {
    let event = env.event(&ProjectRemoved {
        name: model.name.clone(),
    });
    let release = env.release(NAME_KIND, &name_value(&model.org_id, &model.name));
    (event, release)
}

#[async_trait]
impl Decide for RemoveProjectCommand {
    type Model = ProjectModel;

    fn name(&self) -> &'static str {
        RemoveProject::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.project_id
    }

    fn org_id(&self, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveProject {})
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let (event, release) = removal(env, model);
        let mut decision = Decision::new(vec![event]).unique(release);
        authorizations_follow(&mut decision, env, &self.project_id, |_| Follow::Remove).await?;
        Ok(decision)
    }
}

impl Commands {
    /// Removes project `project_id` with its roles, grants and
    /// authorizations, and frees its name in its organization. Cannot be
    /// undone.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed project.
    pub async fn remove_project(
        &self,
        ctx: &CommandContext,
        project_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RemoveProjectCommand::new(project_id))
            .await
    }
}
