//! `project.grant.add`, `project.grant.change`, `project.grant.deactivate`,
//! `project.grant.reactivate`, `project.grant.remove`: some of a project's
//! roles given to another organization, at most one grant per
//! organization. Narrowing a grant narrows the authorizations through it;
//! removing it removes them, as events in the same push.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddProjectGrant, ChangeProjectGrant, CommandPayload, DeactivateProjectGrant, ProjectGrantAdded,
    ProjectGrantChanged, ProjectGrantDeactivated, ProjectGrantReactivated, ProjectGrantRef,
    ProjectGrantRemoved, ReactivateProjectGrant, RemoveProjectGrant,
};

use super::model::{ProjectGrant, ProjectModel};
use super::{require_roles, role_keys};
use crate::command::authorization::cascade::{Follow, authorizations_follow};
use crate::command::authorization::model::AuthorizationModel;
use crate::command::org::require_active_org;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, new_id, required};

/// What to do with a project grant.
#[derive(Debug, Clone)]
pub enum GrantAction {
    /// Grant roles to an organization.
    Add(AddProjectGrant),
    /// Replace a grant's roles.
    Change(ChangeProjectGrant),
    /// Deactivate a grant.
    Deactivate(ProjectGrantRef),
    /// Reactivate a deactivated grant.
    Reactivate(ProjectGrantRef),
    /// Remove a grant.
    Remove(ProjectGrantRef),
}

/// A change to one grant of project `project_id`.
#[derive(Debug, Clone)]
pub(crate) struct ProjectGrantCommand {
    project_id: String,
    /// The grant acted on (new for `Add`).
    grant_id: String,
    /// Ids trimmed, keys checked, distinct and sorted.
    action: GrantAction,
}

impl ProjectGrantCommand {
    /// Checks and normalizes the input; `Add` gets the grant id `new_grant`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty id or a malformed key.
    pub(crate) fn new(
        project_id: &str,
        new_grant: String,
        action: GrantAction,
    ) -> Result<Self, CommandError> {
        let grant = |g: &ProjectGrantRef| required(&g.grant_id, "the grant id");
        let (grant_id, action) = match action {
            GrantAction::Add(g) => {
                let add = AddProjectGrant {
                    granted_org_id: required(&g.granted_org_id, "the granted organization")?,
                    role_keys: role_keys(&g.role_keys)?,
                };
                (new_grant, GrantAction::Add(add))
            }
            GrantAction::Change(g) => {
                let id = required(&g.grant_id, "the grant id")?;
                let change = ChangeProjectGrant {
                    grant_id: id.clone(),
                    role_keys: role_keys(&g.role_keys)?,
                };
                (id, GrantAction::Change(change))
            }
            GrantAction::Deactivate(g) => (grant(&g)?, GrantAction::Deactivate(g)),
            GrantAction::Reactivate(g) => (grant(&g)?, GrantAction::Reactivate(g)),
            GrantAction::Remove(g) => (grant(&g)?, GrantAction::Remove(g)),
        };
        Ok(Self {
            project_id: project_id.to_owned(),
            grant_id,
            action,
        })
    }
}

#[async_trait]
impl Decide for ProjectGrantCommand {
    type Model = ProjectModel;

    fn name(&self) -> &'static str {
        match self.action {
            GrantAction::Add(_) => AddProjectGrant::NAME,
            GrantAction::Change(_) => ChangeProjectGrant::NAME,
            GrantAction::Deactivate(_) => DeactivateProjectGrant::NAME,
            GrantAction::Reactivate(_) => ReactivateProjectGrant::NAME,
            GrantAction::Remove(_) => RemoveProjectGrant::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.project_id
    }

    fn org_id(&self, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        let id = ProjectGrantRef {
            grant_id: self.grant_id.clone(),
        };
        match &self.action {
            GrantAction::Add(g) => json(g),
            GrantAction::Change(g) => json(g),
            GrantAction::Deactivate(_) | GrantAction::Reactivate(_) | GrantAction::Remove(_) => {
                json(&id)
            }
        }
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let grant_id = self.grant_id.clone();
        let event = match &self.action {
            GrantAction::Add(g) => return self.add(g, model, env).await,
            GrantAction::Change(g) => {
                let grant = self.existing(model)?;
                require_roles(model, &g.role_keys)?;
                if grant.role_keys == g.role_keys {
                    return Err(CommandError::precondition(
                        "the grant's roles are unchanged",
                    ));
                }
                env.event(&ProjectGrantChanged {
                    grant_id,
                    role_keys: g.role_keys.clone(),
                })
            }
            GrantAction::Deactivate(_) => {
                if !self.existing(model)?.active {
                    return Err(CommandError::precondition("the grant is already inactive"));
                }
                env.event(&ProjectGrantDeactivated { grant_id })
            }
            GrantAction::Reactivate(_) => {
                if self.existing(model)?.active {
                    return Err(CommandError::precondition("the grant is already active"));
                }
                env.event(&ProjectGrantReactivated { grant_id })
            }
            GrantAction::Remove(_) => env.event(&ProjectGrantRemoved {
                granted_org_id: self.existing(model)?.granted_org_id.clone(),
                grant_id,
            }),
        };
        let mut decision = Decision::new(vec![event]);
        let through_grant =
            |a: &AuthorizationModel| a.project_grant_id.as_deref() == Some(self.grant_id.as_str());
        match &self.action {
            GrantAction::Change(g) => {
                let follow = |a: &AuthorizationModel| {
                    if !through_grant(a) {
                        return Follow::Keep;
                    }
                    let kept = a.role_keys.iter().filter(|k| g.role_keys.contains(k));
                    Follow::Roles(kept.cloned().collect())
                };
                authorizations_follow(&mut decision, env, &self.project_id, follow).await?;
            }
            GrantAction::Remove(_) => {
                let follow = |a: &AuthorizationModel| {
                    if through_grant(a) {
                        Follow::Remove
                    } else {
                        Follow::Keep
                    }
                };
                authorizations_follow(&mut decision, env, &self.project_id, follow).await?;
            }
            _ => {}
        }
        Ok(decision)
    }
}

impl ProjectGrantCommand {
    /// The grant acted on, or [`CommandError::NotFound`].
    fn existing<'m>(&self, model: &'m ProjectModel) -> Result<&'m ProjectGrant, CommandError> {
        model
            .grants
            .get(&self.grant_id)
            .ok_or_else(|| CommandError::NotFound {
                kind: "project grant",
                id: self.grant_id.clone(),
            })
    }

    /// `project.grant.added`, unless the organization is the owner, already
    /// has a grant, is not active, or a role is missing.
    async fn add(
        &self,
        g: &AddProjectGrant,
        model: &ProjectModel,
        env: &Env<'_>,
    ) -> Result<Decision, CommandError> {
        let org = &g.granted_org_id;
        if *org == model.org_id {
            return Err(CommandError::precondition(
                "a project cannot be granted to the organization that owns it",
            ));
        }
        if model.grant_to(org).is_some() {
            return Err(CommandError::AlreadyExists {
                kind: "project_grant".into(),
                value: org.clone(),
                message: format!("the project is already granted to organization {org}"),
            });
        }
        require_roles(model, &g.role_keys)?;
        require_active_org(env, org).await?;
        Ok(Decision::new(vec![env.event(&ProjectGrantAdded {
            grant_id: self.grant_id.clone(),
            granted_org_id: org.clone(),
            role_keys: g.role_keys.clone(),
        })]))
    }
}

impl Commands {
    /// Grants roles of project `project_id` to another organization (which
    /// must exist and be active); returns the new grant's id.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key,
    /// [`CommandError::NotFound`] for an unknown project or organization,
    /// [`CommandError::FailedPrecondition`] for the project's own
    /// organization, an inactive one or a role the project lacks,
    /// [`CommandError::AlreadyExists`] when the organization has a grant.
    pub async fn add_project_grant(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        cmd: AddProjectGrant,
    ) -> Result<(String, Written), CommandError> {
        let command = ProjectGrantCommand::new(project_id, new_id(), GrantAction::Add(cmd))?;
        let written = self.execute(ctx, &command).await?;
        Ok((command.grant_id, written))
    }

    /// Changes, deactivates, reactivates or removes a grant of project
    /// `project_id` (`GrantAction::Add` grants under a new id, which
    /// [`Commands::add_project_grant`] returns).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown project or grant,
    /// [`CommandError::FailedPrecondition`] for a role the project lacks or
    /// a change that changes nothing.
    pub async fn project_grant(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        action: GrantAction,
    ) -> Result<Written, CommandError> {
        let command = ProjectGrantCommand::new(project_id, new_id(), action)?;
        self.execute(ctx, &command).await
    }
}
