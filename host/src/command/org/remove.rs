//! `org.remove`: the organization, every user and project it still has, and
//! the grants other organizations' projects gave it go in one push; the
//! users' names, the projects' names and the org's domains are freed.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, EventPayload, HumanUserAdded, MachineUserAdded, OrgRemoved, ProjectAdded,
    ProjectGrantAdded, ProjectGrantRemoved, RemoveOrg, UserRemoved,
};

use super::DOMAIN_KIND;
use super::model::OrgModel;
use crate::command::cascade::{take_along, tied_to};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::project::{self, model::ProjectModel};
use crate::command::user::USERNAME_KIND;
use crate::command::user::model::UserModel;
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::StoreError;

/// Removes organization `org_id` and what belongs to it.
#[derive(Debug, Clone)]
pub(crate) struct RemoveOrgCommand {
    org_id: String,
}

impl RemoveOrgCommand {
    /// Removes `org_id`.
    pub(crate) fn new(org_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
        }
    }
}

#[async_trait]
impl Decide for RemoveOrgCommand {
    type Model = OrgModel;

    fn name(&self) -> &'static str {
        RemoveOrg::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.org_id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveOrg {})
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let org_id = self.org_id.as_str();
        let mut decision = Decision::new(vec![env.event(&OrgRemoved {
            name: model.name.clone(),
        })]);
        let user_types = [HumanUserAdded::TYPE, MachineUserAdded::TYPE];
        let users = tied_to(env, &user_types, "orgId", org_id, |u: &UserModel| {
            u.org_id == org_id
        });
        for (aggregate, user) in users.await? {
            let username = user.model.username.clone();
            decision.unique.push(env.release(USERNAME_KIND, &username));
            take_along(
                &mut decision,
                aggregate,
                &user,
                vec![env.event(&UserRemoved { username })],
            );
        }
        let projects = tied_to(
            env,
            &[ProjectAdded::TYPE],
            "orgId",
            org_id,
            |p: &ProjectModel| p.org_id == org_id,
        );
        for (aggregate, project) in projects.await? {
            let (event, release) = project::remove::removal(env, &project.model);
            decision.unique.push(release);
            take_along(&mut decision, aggregate, &project, vec![event]);
        }
        let granted = tied_to(
            env,
            &[ProjectGrantAdded::TYPE],
            "grantedOrgId",
            org_id,
            |p: &ProjectModel| p.grant_to(org_id).is_some(),
        );
        for (aggregate, project) in granted.await? {
            let events = project
                .model
                .grants
                .iter()
                .filter(|(_, g)| g.granted_org_id == org_id)
                .map(|(grant_id, _)| {
                    env.event(&ProjectGrantRemoved {
                        grant_id: grant_id.clone(),
                        granted_org_id: org_id.to_owned(),
                    })
                })
                .collect();
            take_along(&mut decision, aggregate, &project, events);
        }
        for d in &model.domains {
            decision.unique.push(env.release(DOMAIN_KIND, &d.domain));
        }
        Ok(decision)
    }
}

impl Commands {
    /// Removes organization `org_id` together with all its users (each gets
    /// `user.removed`, freeing its username) and projects (`project.removed`),
    /// removes the grants of other organizations' projects to it
    /// (`project.grant.removed`) and frees its domains, in one transaction.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed org;
    /// [`CommandError::FailedPrecondition`] when the org has more users than
    /// one push may carry (`Eventstore.MaxEventsPerPush`): remove users first.
    ///
    /// (The count covers users and projects alike.)
    pub async fn remove_org(
        &self,
        ctx: &CommandContext,
        org_id: &str,
    ) -> Result<Written, CommandError> {
        match self.execute(ctx, &RemoveOrgCommand::new(org_id)).await {
            Err(CommandError::Store(StoreError::InvalidPush(reason))) => {
                tracing::info!(org_id, "org removal refused by the store: {reason}");
                Err(CommandError::precondition(
                    "the organization has too many users to remove at once; remove users first",
                ))
            }
            other => other,
        }
    }
}
