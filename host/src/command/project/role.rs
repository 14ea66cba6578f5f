//! `project.role.add`, `project.role.change`, `project.role.remove`.
//!
//! Removing a role takes it out of every grant of the project that holds
//! it, by a `project.grant.changed` event per grant, and out of every
//! authorization, by `authorization.changed`, in the same push.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddProjectRole, ChangeProjectRole, CommandPayload, ProjectGrantChanged, ProjectRoleAdded,
    ProjectRoleChanged, ProjectRoleRemoved, RemoveProjectRole,
};

use super::model::{ProjectModel, ProjectRole};
use super::role_key;
use crate::command::authorization::cascade::{Follow, authorizations_follow, without};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, required};

/// What to do with a role.
#[derive(Debug, Clone)]
pub enum RoleAction {
    /// Add it.
    Add(AddProjectRole),
    /// Change its display name and group.
    Change(ChangeProjectRole),
    /// Remove it.
    Remove(RemoveProjectRole),
}

/// A change to one role of project `project_id`.
#[derive(Debug, Clone)]
pub(crate) struct ProjectRoleCommand {
    project_id: String,
    /// Key checked, names trimmed.
    action: RoleAction,
}

impl ProjectRoleCommand {
    /// Checks and normalizes the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key or an empty
    /// display name.
    pub(crate) fn new(project_id: &str, action: RoleAction) -> Result<Self, CommandError> {
        let action = match action {
            RoleAction::Add(r) => RoleAction::Add(AddProjectRole {
                key: role_key(&r.key)?,
                display_name: required(&r.display_name, "the role's display name")?,
                group: r.group.trim().to_owned(),
            }),
            RoleAction::Change(r) => RoleAction::Change(ChangeProjectRole {
                key: role_key(&r.key)?,
                display_name: required(&r.display_name, "the role's display name")?,
                group: r.group.trim().to_owned(),
            }),
            RoleAction::Remove(r) => RoleAction::Remove(RemoveProjectRole {
                key: role_key(&r.key)?,
            }),
        };
        Ok(Self {
            project_id: project_id.to_owned(),
            action,
        })
    }

    fn key(&self) -> &str {
        match &self.action {
            RoleAction::Add(r) => &r.key,
            RoleAction::Change(r) => &r.key,
            RoleAction::Remove(r) => &r.key,
        }
    }
}

#[async_trait]
impl Decide for ProjectRoleCommand {
    type Model = ProjectModel;

    fn name(&self) -> &'static str {
        match self.action {
            RoleAction::Add(_) => AddProjectRole::NAME,
            RoleAction::Change(_) => ChangeProjectRole::NAME,
            RoleAction::Remove(_) => RemoveProjectRole::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.project_id
    }

    fn org_id(&self, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match &self.action {
            RoleAction::Add(r) => json(r),
            RoleAction::Change(r) => json(r),
            RoleAction::Remove(r) => json(r),
        }
    }

    async fn decide(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let key = self.key();
        let existing = model.roles.get(key);
        let missing = || CommandError::NotFound {
            kind: "project role",
            id: key.to_owned(),
        };
        let events = match (&self.action, existing) {
            (RoleAction::Add(_), Some(_)) => {
                return Err(CommandError::AlreadyExists {
                    kind: "project_role".into(),
                    value: key.to_owned(),
                    message: format!("the project already has the role {key:?}"),
                });
            }
            (RoleAction::Add(r), None) => vec![env.event(&ProjectRoleAdded {
                key: r.key.clone(),
                display_name: r.display_name.clone(),
                group: r.group.clone(),
            })],
            (RoleAction::Change(r), Some(role)) => {
                let now = ProjectRole {
                    display_name: r.display_name.clone(),
                    group: r.group.clone(),
                };
                if *role == now {
                    return Err(CommandError::precondition(format!(
                        "the role {key:?} is unchanged"
                    )));
                }
                vec![env.event(&ProjectRoleChanged {
                    key: r.key.clone(),
                    display_name: now.display_name,
                    group: now.group,
                })]
            }
            (RoleAction::Remove(_), Some(_)) => {
                return self.remove(model, env).await;
            }
            (RoleAction::Change(_) | RoleAction::Remove(_), None) => return Err(missing()),
        };
        Ok(Decision::new(events))
    }
}

impl ProjectRoleCommand {
    /// `project.role.removed`, and the role leaving every grant and
    /// authorization that holds it.
    async fn remove(&self, model: &ProjectModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let key = self.key();
        let mut events = vec![env.event(&ProjectRoleRemoved {
            key: key.to_owned(),
        })];
        for (grant_id, grant) in &model.grants {
            if grant.role_keys.iter().any(|k| k == key) {
                events.push(
                    env.event(&ProjectGrantChanged {
                        grant_id: grant_id.clone(),
                        role_keys: grant
                            .role_keys
                            .iter()
                            .filter(|k| *k != key)
                            .cloned()
                            .collect(),
                    }),
                );
            }
        }
        let mut decision = Decision::new(events);
        authorizations_follow(&mut decision, env, &self.project_id, |a| {
            if a.role_keys.iter().any(|k| k == key) {
                without(a, key)
            } else {
                Follow::Keep
            }
        })
        .await?;
        Ok(decision)
    }
}

impl Commands {
    /// Adds, changes or removes a role of project `project_id`. Removing a
    /// role removes it from every grant of the project.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key or an empty
    /// display name, [`CommandError::NotFound`] for an unknown project or
    /// (changing, removing) role, [`CommandError::AlreadyExists`] when
    /// adding a key the project has, [`CommandError::FailedPrecondition`]
    /// for a change that changes nothing.
    pub async fn project_role(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        action: RoleAction,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &ProjectRoleCommand::new(project_id, action)?)
            .await
    }
}
