//! `org.remove`: the organization and every user it still has go in one
//! push; the users' names and the org's domains are freed.

use std::collections::HashMap;

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, EventPayload, HumanUserAdded, MachineUserAdded, OrgRemoved, RemoveOrg,
    UserRemoved,
};

use super::DOMAIN_KIND;
use super::model::OrgModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::user::model::UserModel;
use crate::command::user::{self, USERNAME_KIND};
use crate::command::write_model::{Loaded, WriteModel, fold};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::{
    AggregatePush, AggregateRef, Event, EventQuery, ExpectedSequence, StoreError,
};

/// How many users' events one query loads.
const USERS_PER_QUERY: usize = 200;

/// Removes organization `org_id` and its users.
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

/// The users (human and machine) of `org_id` that are not removed, with
/// their write models.
async fn org_users(
    env: &Env<'_>,
    org_id: &str,
) -> Result<Vec<(AggregateRef, Loaded<UserModel>)>, CommandError> {
    let instance = &env.ctx.instance_id;
    let added = env
        .events(
            &EventQuery::new()
                .instance(instance.clone())
                .aggregate_type(user::AGGREGATE_TYPE)
                .event_type(HumanUserAdded::TYPE)
                .event_type(MachineUserAdded::TYPE),
        )
        .await?;
    let mut ids: Vec<String> = added
        .into_iter()
        .filter(|e| e.payload.get("orgId").and_then(|v| v.as_str()) == Some(org_id))
        .map(|e| e.aggregate.aggregate_id)
        .collect();
    ids.dedup();
    let mut users = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(USERS_PER_QUERY) {
        let mut query = EventQuery::new()
            .instance(instance.clone())
            .aggregate_type(user::AGGREGATE_TYPE);
        query.aggregate_ids = chunk.to_vec();
        let mut by_user: HashMap<String, Vec<Event>> = HashMap::new();
        for event in env.events(&query).await? {
            by_user
                .entry(event.aggregate.aggregate_id.clone())
                .or_default()
                .push(event);
        }
        for id in chunk {
            let loaded: Loaded<UserModel> = fold(by_user.get(id).map_or(&[][..], Vec::as_slice));
            if loaded.model.exists() && loaded.model.org_id == org_id {
                let aggregate = AggregateRef::new(instance, user::AGGREGATE_TYPE, id);
                users.push((aggregate, loaded));
            }
        }
    }
    Ok(users)
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
        let mut decision = Decision::new(vec![env.event(&OrgRemoved {
            name: model.name.clone(),
        })]);
        for (aggregate, user) in org_users(env, &self.org_id).await? {
            let username = user.model.username;
            decision.unique.push(env.release(USERNAME_KIND, &username));
            decision.others.push(AggregatePush {
                aggregate,
                expected: ExpectedSequence::Exact(user.sequence),
                events: vec![env.event(&UserRemoved { username })],
            });
        }
        for d in &model.domains {
            decision.unique.push(env.release(DOMAIN_KIND, &d.domain));
        }
        Ok(decision)
    }
}

impl Commands {
    /// Removes organization `org_id` together with all its users (each gets
    /// `user.removed`, freeing its username) and frees its domains, in one
    /// transaction.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed org;
    /// [`CommandError::FailedPrecondition`] when the org has more users than
    /// one push may carry (`Eventstore.MaxEventsPerPush`): remove users first.
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
