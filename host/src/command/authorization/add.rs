//! `authorization.add`: a user, a project (or a grant of it), and roles
//! that exist there.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{AddAuthorization, AuthorizationAdded, CommandPayload};

use super::model::AuthorizationModel;
use super::{KIND, unique_value};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::project::model::{ProjectModel, ProjectState};
use crate::command::project::{require_granted, require_roles, role_keys};
use crate::command::user::model::UserModel;
use crate::command::write_model::WriteModel as _;
use crate::command::{CommandContext, CommandError, Commands, Written, new_id, optional, required};

/// Creates authorization `id`, owned by organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct AddAuthorizationCommand {
    id: String,
    /// The organization the caller acts in: it must be the owner.
    org_id: String,
    /// Ids trimmed, keys checked, distinct and sorted.
    payload: AddAuthorization,
}

impl AddAuthorizationCommand {
    /// Checks and normalizes the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty id or a malformed key.
    pub(crate) fn new(
        id: String,
        org_id: &str,
        cmd: AddAuthorization,
    ) -> Result<Self, CommandError> {
        Ok(Self {
            id,
            org_id: required(org_id, "the organization")?,
            payload: AddAuthorization {
                user_id: required(&cmd.user_id, "the user")?,
                project_id: required(&cmd.project_id, "the project")?,
                project_grant_id: optional(cmd.project_grant_id.as_deref()),
                role_keys: role_keys(&cmd.role_keys)?,
            },
        })
    }

    /// The owning organization the project (or its grant) gives, after
    /// checking the roles exist there.
    fn owner(&self, project: &ProjectModel) -> Result<String, CommandError> {
        let keys = &self.payload.role_keys;
        let Some(grant_id) = &self.payload.project_grant_id else {
            require_roles(project, keys)?;
            return Ok(project.org_id.clone());
        };
        let grant = project
            .grants
            .get(grant_id)
            .ok_or_else(|| CommandError::NotFound {
                kind: "project grant",
                id: grant_id.clone(),
            })?;
        if !grant.active {
            return Err(CommandError::precondition(format!(
                "the project grant {grant_id} is inactive"
            )));
        }
        require_granted(project, grant_id, keys)?;
        Ok(grant.granted_org_id.clone())
    }
}

#[async_trait]
impl Decide for AddAuthorizationCommand {
    type Model = AuthorizationModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddAuthorization::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &AuthorizationModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(
        &self,
        _model: &AuthorizationModel,
        env: &Env<'_>,
    ) -> Result<Decision, CommandError> {
        let p = &self.payload;
        let user = env.load::<UserModel>(&p.user_id).await?;
        if !user.model.exists() {
            return Err(CommandError::NotFound {
                kind: "user",
                id: p.user_id.clone(),
            });
        }
        let project = env.load::<ProjectModel>(&p.project_id).await?.model;
        if !project.exists() {
            return Err(CommandError::NotFound {
                kind: "project",
                id: p.project_id.clone(),
            });
        }
        if project.state != ProjectState::Active {
            return Err(CommandError::precondition(format!(
                "the project {} is inactive",
                p.project_id
            )));
        }
        let owner = self.owner(&project)?;
        if owner != self.org_id {
            return Err(CommandError::precondition(format!(
                "this authorization belongs to organization {owner}, not {}",
                self.org_id
            )));
        }
        let event = env.event(&AuthorizationAdded {
            user_id: p.user_id.clone(),
            project_id: p.project_id.clone(),
            project_grant_id: p.project_grant_id.clone(),
            org_id: owner,
            role_keys: p.role_keys.clone(),
        });
        let value = unique_value(&p.user_id, &p.project_id, p.project_grant_id.as_deref());
        let taken = "the user already has an authorization for this project (and grant)";
        Ok(Decision::new(vec![event]).unique(env.claim(KIND, &value, taken)))
    }
}

impl Commands {
    /// Authorizes a user for a project (or a project grant) with roles
    /// that exist there, owned by organization `org_id`: the project's, or
    /// for a grant the granted organization. The new id is
    /// `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty id or malformed key,
    /// [`CommandError::NotFound`] for an unknown user, project or grant,
    /// [`CommandError::FailedPrecondition`] for an inactive project or
    /// grant, a role that is not there, or another owning organization,
    /// [`CommandError::AlreadyExists`] when the user has one already.
    pub async fn add_authorization(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: AddAuthorization,
    ) -> Result<Written, CommandError> {
        let command = AddAuthorizationCommand::new(new_id(), org_id, cmd)?;
        self.execute(ctx, &command).await
    }
}
