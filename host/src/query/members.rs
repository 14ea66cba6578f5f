//! Members of the instance, of organizations and of projects, read from the
//! eventstore
//! (no projection, so a change is visible at once: authorization decisions
//! must not lag behind a revocation). The member events are folded by the
//! command side's fold (`command::member::Members`).
//!
//! A member whose user was removed no longer counts, nor do the members of
//! a removed organization or project (an org removal removes its projects
//! by events of their own).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    EventPayload, InstanceMemberAdded, InstanceMemberChanged, InstanceMemberRemoved,
    OrgMemberAdded, OrgMemberChanged, OrgMemberRemoved, OrgRemoved, ProjectMemberAdded,
    ProjectMemberChanged, ProjectMemberRemoved, ProjectRemoved, UserRemoved,
};
use serde::Serialize;

use super::{Queries, QueryError};
use crate::command::member::Members;
use crate::command::{instance, org, project, user};
use crate::eventstore::{AggregateRef, EventQuery, EventStore};

/// How many users one "was it removed?" query asks about.
const USERS_PER_QUERY: usize = 200;

/// The event types of instance members.
const INSTANCE_MEMBER_EVENTS: [&str; 3] = [
    InstanceMemberAdded::TYPE,
    InstanceMemberChanged::TYPE,
    InstanceMemberRemoved::TYPE,
];

/// The event types of organization members.
const ORG_MEMBER_EVENTS: [&str; 3] = [
    OrgMemberAdded::TYPE,
    OrgMemberChanged::TYPE,
    OrgMemberRemoved::TYPE,
];

/// The event types of project members.
const PROJECT_MEMBER_EVENTS: [&str; 3] = [
    ProjectMemberAdded::TYPE,
    ProjectMemberChanged::TYPE,
    ProjectMemberRemoved::TYPE,
];

/// The roles one user holds in one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Memberships {
    /// Roles on the instance itself (empty when not an instance member).
    pub instance_roles: Vec<String>,
    /// Roles per organization id, for the organizations (not removed) the
    /// user is a member of.
    pub org_roles: BTreeMap<String, Vec<String>>,
    /// Roles per project id, for the projects (not removed) the user is a
    /// member of.
    pub project_roles: BTreeMap<String, Vec<String>>,
}

impl Memberships {
    /// Whether the user holds no role at all.
    pub fn is_empty(&self) -> bool {
        self.instance_roles.is_empty() && self.org_roles.is_empty() && self.project_roles.is_empty()
    }
}

/// One member of the instance, of an organization or of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's user id.
    pub user_id: String,
    /// Its roles: trimmed, distinct, sorted.
    pub roles: Vec<String>,
    /// When it became a member.
    pub added_at: DateTime<Utc>,
    /// When its roles last changed (`added_at` until then).
    pub changed_at: DateTime<Utc>,
}

impl Queries {
    /// The roles user `user_id` holds in instance `instance_id`: on the
    /// instance, per organization and per project (removed organizations
    /// and projects left out).
    /// Empty for an unknown or removed user. Reads the eventstore (one
    /// query over the instance's member events), so a change is seen at
    /// once.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn memberships(
        &self,
        instance_id: &str,
        user_id: &str,
    ) -> Result<Memberships, QueryError> {
        memberships(self.store.as_ref(), instance_id, user_id).await
    }

    /// The members of instance `instance_id`, by user id; removed users
    /// left out. Reads the eventstore.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn instance_members(&self, instance_id: &str) -> Result<Vec<Member>, QueryError> {
        instance_members(self.store.as_ref(), instance_id).await
    }

    /// The members of organization `org_id`, by user id; removed users left
    /// out, none for an unknown or removed organization. Reads the
    /// eventstore.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn org_members(
        &self,
        instance_id: &str,
        org_id: &str,
    ) -> Result<Vec<Member>, QueryError> {
        org_members(self.store.as_ref(), instance_id, org_id).await
    }

    /// The members of project `project_id`, by user id; removed users left
    /// out, none for an unknown or removed project. Reads the eventstore.
    ///
    /// # Errors
    /// [`QueryError::Store`].
    pub async fn project_members(
        &self,
        instance_id: &str,
        project_id: &str,
    ) -> Result<Vec<Member>, QueryError> {
        project_members(self.store.as_ref(), instance_id, project_id).await
    }
}

/// See [`Queries::memberships`].
pub(super) async fn memberships(
    store: &dyn EventStore,
    instance_id: &str,
    user_id: &str,
) -> Result<Memberships, QueryError> {
    if !removed_users(store, instance_id, &[user_id.to_owned()])
        .await?
        .is_empty()
    {
        return Ok(Memberships::default());
    }
    let mut query = EventQuery::new()
        .instance(instance_id)
        .aggregate_type(instance::AGGREGATE_TYPE)
        .aggregate_type(org::AGGREGATE_TYPE)
        .aggregate_type(project::AGGREGATE_TYPE)
        .event_type(OrgRemoved::TYPE)
        .event_type(ProjectRemoved::TYPE);
    query.event_types.extend(
        INSTANCE_MEMBER_EVENTS
            .iter()
            .chain(&ORG_MEMBER_EVENTS)
            .chain(&PROJECT_MEMBER_EVENTS)
            .map(|t| (*t).to_owned()),
    );
    let mut instance_members = Members::default();
    let mut orgs: BTreeMap<String, Members> = BTreeMap::new();
    let mut projects: BTreeMap<String, Members> = BTreeMap::new();
    let mut removed = BTreeSet::new();
    for event in store.query(&query).await? {
        let aggregate = &event.aggregate;
        let kind = aggregate.aggregate_type.as_str();
        if kind == instance::AGGREGATE_TYPE {
            if aggregate.aggregate_id == instance_id {
                instance_members.apply(&event);
            }
            continue;
        }
        if matches!(
            event.event_type.as_str(),
            OrgRemoved::TYPE | ProjectRemoved::TYPE
        ) {
            removed.insert((kind.to_owned(), aggregate.aggregate_id.clone()));
            continue;
        }
        let scope = if kind == org::AGGREGATE_TYPE {
            &mut orgs
        } else {
            &mut projects
        };
        scope
            .entry(aggregate.aggregate_id.clone())
            .or_default()
            .apply(&event);
    }
    let held = |kind: &str, scope: BTreeMap<String, Members>| -> BTreeMap<String, Vec<String>> {
        scope
            .into_iter()
            .filter(|(id, _)| !removed.contains(&(kind.to_owned(), id.clone())))
            .filter_map(|(id, members)| Some((id, members.get(user_id)?.roles.clone())))
            .collect()
    };
    Ok(Memberships {
        instance_roles: instance_members
            .get(user_id)
            .map(|m| m.roles.clone())
            .unwrap_or_default(),
        org_roles: held(org::AGGREGATE_TYPE, orgs),
        project_roles: held(project::AGGREGATE_TYPE, projects),
    })
}

/// See [`Queries::instance_members`].
pub(super) async fn instance_members(
    store: &dyn EventStore,
    instance_id: &str,
) -> Result<Vec<Member>, QueryError> {
    let aggregate = AggregateRef::new(instance_id, instance::AGGREGATE_TYPE, instance_id);
    let mut query = EventQuery::aggregate(&aggregate);
    query
        .event_types
        .extend(INSTANCE_MEMBER_EVENTS.iter().map(|t| (*t).to_owned()));
    let mut members = Members::default();
    for event in store.query(&query).await? {
        members.apply(&event);
    }
    live_members(store, instance_id, members).await
}

/// See [`Queries::org_members`].
pub(super) async fn org_members(
    store: &dyn EventStore,
    instance_id: &str,
    org_id: &str,
) -> Result<Vec<Member>, QueryError> {
    let aggregate = AggregateRef::new(instance_id, org::AGGREGATE_TYPE, org_id);
    let mut query = EventQuery::aggregate(&aggregate).event_type(OrgRemoved::TYPE);
    query
        .event_types
        .extend(ORG_MEMBER_EVENTS.iter().map(|t| (*t).to_owned()));
    let mut members = Members::default();
    for event in store.query(&query).await? {
        if event.event_type == OrgRemoved::TYPE {
            return Ok(Vec::new());
        }
        members.apply(&event);
    }
    live_members(store, instance_id, members).await
}

/// See [`Queries::project_members`].
pub(super) async fn project_members(
    store: &dyn EventStore,
    instance_id: &str,
    project_id: &str,
) -> Result<Vec<Member>, QueryError> {
    let aggregate = AggregateRef::new(instance_id, project::AGGREGATE_TYPE, project_id);
    let mut query = EventQuery::aggregate(&aggregate).event_type(ProjectRemoved::TYPE);
    query
        .event_types
        .extend(PROJECT_MEMBER_EVENTS.iter().map(|t| (*t).to_owned()));
    let mut members = Members::default();
    for event in store.query(&query).await? {
        if event.event_type == ProjectRemoved::TYPE {
            return Ok(Vec::new());
        }
        members.apply(&event);
    }
    live_members(store, instance_id, members).await
}

/// `members` without those whose user was removed, by user id.
async fn live_members(
    store: &dyn EventStore,
    instance_id: &str,
    members: Members,
) -> Result<Vec<Member>, QueryError> {
    let ids: Vec<String> = members.0.keys().cloned().collect();
    let removed = removed_users(store, instance_id, &ids).await?;
    Ok(members
        .0
        .into_iter()
        .filter(|(user_id, _)| !removed.contains(user_id))
        .map(|(user_id, m)| Member {
            user_id,
            roles: m.roles,
            added_at: m.added_at,
            changed_at: m.changed_at,
        })
        .collect())
}

/// Which of `user_ids` were removed (`user.removed`).
async fn removed_users(
    store: &dyn EventStore,
    instance_id: &str,
    user_ids: &[String],
) -> Result<BTreeSet<String>, QueryError> {
    let mut removed = BTreeSet::new();
    for chunk in user_ids.chunks(USERS_PER_QUERY) {
        let mut query = EventQuery::new()
            .instance(instance_id)
            .aggregate_type(user::AGGREGATE_TYPE)
            .event_type(UserRemoved::TYPE);
        query.aggregate_ids = chunk.to_vec();
        for event in store.query(&query).await? {
            removed.insert(event.aggregate.aggregate_id);
        }
    }
    Ok(removed)
}
