//! `authorization.change`, `.deactivate`, `.reactivate`, `.remove`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AuthorizationChanged, AuthorizationDeactivated, AuthorizationReactivated, AuthorizationRemoved,
    ChangeAuthorization, CommandPayload, DeactivateAuthorization, ReactivateAuthorization,
    RemoveAuthorization,
};

use super::model::AuthorizationModel;
use super::{KIND, unique_value};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::project::model::ProjectModel;
use crate::command::project::{require_granted, require_roles, role_keys};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// What to do with an authorization.
#[derive(Debug, Clone)]
pub enum AuthorizationAction {
    /// Replace its roles.
    Change(ChangeAuthorization),
    /// Deactivate it.
    Deactivate,
    /// Reactivate it.
    Reactivate,
    /// Remove it.
    Remove,
}

/// A change to authorization `id`.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCommand {
    id: String,
    /// Keys checked, distinct and sorted.
    action: AuthorizationAction,
}

impl AuthorizationCommand {
    /// Checks and normalizes the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key.
    pub(crate) fn new(id: &str, action: AuthorizationAction) -> Result<Self, CommandError> {
        let action = match action {
            AuthorizationAction::Change(c) => AuthorizationAction::Change(ChangeAuthorization {
                role_keys: role_keys(&c.role_keys)?,
            }),
            other => other,
        };
        Ok(Self {
            id: id.to_owned(),
            action,
        })
    }
}

#[async_trait]
impl Decide for AuthorizationCommand {
    type Model = AuthorizationModel;

    fn name(&self) -> &'static str {
        match self.action {
            AuthorizationAction::Change(_) => ChangeAuthorization::NAME,
            AuthorizationAction::Deactivate => DeactivateAuthorization::NAME,
            AuthorizationAction::Reactivate => ReactivateAuthorization::NAME,
            AuthorizationAction::Remove => RemoveAuthorization::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, model: &AuthorizationModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match &self.action {
            AuthorizationAction::Change(c) => json(c),
            AuthorizationAction::Deactivate => json(&DeactivateAuthorization {}),
            AuthorizationAction::Reactivate => json(&ReactivateAuthorization {}),
            AuthorizationAction::Remove => json(&RemoveAuthorization {}),
        }
    }

    async fn decide(
        &self,
        model: &AuthorizationModel,
        env: &Env<'_>,
    ) -> Result<Decision, CommandError> {
        let event = match &self.action {
            AuthorizationAction::Change(c) => {
                if c.role_keys == model.role_keys {
                    return Err(CommandError::precondition(
                        "the authorization's roles are unchanged",
                    ));
                }
                let project = env.load::<ProjectModel>(&model.project_id).await?.model;
                match &model.project_grant_id {
                    None => require_roles(&project, &c.role_keys)?,
                    Some(grant_id) => require_granted(&project, grant_id, &c.role_keys)?,
                }
                env.event(&AuthorizationChanged {
                    role_keys: c.role_keys.clone(),
                })
            }
            AuthorizationAction::Deactivate if model.active => {
                env.event(&AuthorizationDeactivated {})
            }
            AuthorizationAction::Reactivate if !model.active => {
                env.event(&AuthorizationReactivated {})
            }
            AuthorizationAction::Deactivate => {
                return Err(CommandError::precondition(
                    "the authorization is already inactive",
                ));
            }
            AuthorizationAction::Reactivate => {
                return Err(CommandError::precondition(
                    "the authorization is already active",
                ));
            }
            AuthorizationAction::Remove => {
                let (event, release) = removal(env, model);
                return Ok(Decision::new(vec![event]).unique(release));
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

/// The event removing `model`'s authorization and the release of its
/// unique value.
pub(crate) fn removal(
    env: &Env<'_>,
    model: &AuthorizationModel,
) -> (crate::eventstore::NewEvent, crate::eventstore::UniqueOp) {
    let event = env.event(&AuthorizationRemoved {
        user_id: model.user_id.clone(),
        project_id: model.project_id.clone(),
        project_grant_id: model.project_grant_id.clone(),
    });
    let value = unique_value(
        &model.user_id,
        &model.project_id,
        model.project_grant_id.as_deref(),
    );
    (event, env.release(KIND, &value))
}

impl Commands {
    /// Changes the roles of authorization `id` (within its project's, or
    /// its grant's), deactivates, reactivates or removes it.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key,
    /// [`CommandError::NotFound`] for an unknown or removed authorization,
    /// [`CommandError::FailedPrecondition`] for a role that is not there or
    /// a change that changes nothing.
    pub async fn authorization(
        &self,
        ctx: &CommandContext,
        id: &str,
        action: AuthorizationAction,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &AuthorizationCommand::new(id, action)?)
            .await
    }
}
