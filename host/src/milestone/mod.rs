//! # Milestones (seed 004, "Milestones")
//!
//! The first time an instance reaches a step of its set-up — created, first
//! login, first project, first application, first login to an application,
//! deleted — a `milestone.reached` event is pushed on the instance's
//! `milestone` aggregate, **exactly once**: the command whose events reach
//! it carries the milestone event in the same push, expecting the milestone
//! aggregate's sequence, so of two concurrent commands one wins and the
//! other is decided again and finds the milestone reached.
//!
//! Which milestones an instance reached is read through the Milestones
//! cache, saving an eventstore query per eligible action; once an instance
//! reached them all, an in-memory flag skips even the cache.
//!
//! The events that reach them ([`Milestone::reached_by`]) include those of
//! projects, applications and logins; the commands that push them reach the
//! milestones without knowing about them.

mod model;

use std::collections::BTreeMap;
use std::sync::Arc;

use rampart_plugin_sdk::catalogue::{
    EventPayload, InstanceAdded, InstanceRemoved, MilestoneReached, UserAuthenticationSucceeded,
};
use serde::{Deserialize, Serialize};

pub use model::{MilestoneIndex, MilestoneState, Reached};

use crate::cache::ObjectCache;
use crate::command::write_model::EventSource;
use crate::eventstore::{AggregatePush, AggregateRef, ExpectedSequence, NewEvent, StoreError};

/// The aggregate type of milestones; one aggregate per instance, whose id is
/// the instance id.
pub const AGGREGATE_TYPE: &str = "milestone";

/// The actor recorded on milestone events.
const ACTOR: &str = "SYSTEM";

/// Event type that creates a project (pushed by the project commands).
pub const PROJECT_ADDED: &str = "project.added";
/// Event type that creates an application in a project.
pub const APPLICATION_ADDED: &str = "project.application.added";

/// A step of an instance's set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The instance was created.
    InstanceCreated,
    /// A user logged in for the first time.
    AuthenticationSucceededOnInstance,
    /// The first project was created.
    ProjectCreated,
    /// The first application was created.
    ApplicationCreated,
    /// A user logged in to an application for the first time.
    AuthenticationSucceededOnApplication,
    /// The instance was deleted.
    InstanceDeleted,
}

impl Milestone {
    /// Every milestone, in the order an instance usually reaches them.
    pub const ALL: &'static [Milestone] = &[
        Milestone::InstanceCreated,
        Milestone::AuthenticationSucceededOnInstance,
        Milestone::ProjectCreated,
        Milestone::ApplicationCreated,
        Milestone::AuthenticationSucceededOnApplication,
        Milestone::InstanceDeleted,
    ];

    /// Its name in events and the API, e.g. `project_created`.
    pub fn name(self) -> &'static str {
        match self {
            Milestone::InstanceCreated => "instance_created",
            Milestone::AuthenticationSucceededOnInstance => "authentication_succeeded_on_instance",
            Milestone::ProjectCreated => "project_created",
            Milestone::ApplicationCreated => "application_created",
            Milestone::AuthenticationSucceededOnApplication => {
                "authentication_succeeded_on_application"
            }
            Milestone::InstanceDeleted => "instance_deleted",
        }
    }

    /// The milestone named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The milestones an event of `event_type` with `payload` reaches.
    pub fn reached_by(event_type: &str, payload: &serde_json::Value) -> Vec<Milestone> {
        match event_type {
            InstanceAdded::TYPE => vec![Milestone::InstanceCreated],
            InstanceRemoved::TYPE => vec![Milestone::InstanceDeleted],
            PROJECT_ADDED => vec![Milestone::ProjectCreated],
            APPLICATION_ADDED => vec![Milestone::ApplicationCreated],
            UserAuthenticationSucceeded::TYPE => {
                let to_application = payload
                    .get("applicationId")
                    .and_then(|v| v.as_str())
                    .is_some_and(|id| !id.is_empty());
                if to_application {
                    vec![
                        Milestone::AuthenticationSucceededOnInstance,
                        Milestone::AuthenticationSucceededOnApplication,
                    ]
                } else {
                    vec![Milestone::AuthenticationSucceededOnInstance]
                }
            }
            _ => Vec::new(),
        }
    }
}

/// The milestones of `instance_id`: from `cache`, or folded from their
/// events (and then cached).
///
/// # Errors
/// The store's error on a miss.
pub(crate) async fn read(
    cache: &ObjectCache<MilestoneState>,
    source: &dyn EventSource,
    instance_id: &str,
) -> Result<MilestoneState, StoreError> {
    if let Some(state) = cache.get(MilestoneIndex::Instance, instance_id).await {
        return Ok(state);
    }
    let state = MilestoneState::load(source, instance_id).await?;
    cache.set(&state).await;
    Ok(state)
}

/// Adds milestone events to the pushes that reach them.
#[derive(Clone)]
pub struct Milestones {
    cache: ObjectCache<MilestoneState>,
    /// Instances that reached every milestone: never checked again.
    complete: Arc<moka::sync::Cache<String, ()>>,
}

impl Milestones {
    /// Milestones read through `cache`.
    pub fn new(cache: ObjectCache<MilestoneState>) -> Self {
        Self {
            cache,
            complete: Arc::new(moka::sync::Cache::new(100_000)),
        }
    }

    /// The milestones of `instance_id`, through the cache.
    ///
    /// # Errors
    /// The store's error on a miss.
    pub(crate) async fn state(
        &self,
        source: &dyn EventSource,
        instance_id: &str,
    ) -> Result<MilestoneState, StoreError> {
        let state = read(&self.cache, source, instance_id).await?;
        if state.complete() {
            self.complete.insert(instance_id.to_owned(), ());
        }
        Ok(state)
    }

    /// The milestone pushes that `aggregates` (a push about to be made)
    /// reach: per instance, the milestones not reached yet, expected at the
    /// milestone aggregate's current sequence.
    ///
    /// # Errors
    /// The store's error when a milestone state cannot be read.
    pub(crate) async fn reached_by(
        &self,
        source: &dyn EventSource,
        aggregates: &[AggregatePush],
    ) -> Result<Vec<AggregatePush>, StoreError> {
        let mut candidates: BTreeMap<&str, Vec<Milestone>> = BTreeMap::new();
        for push in aggregates {
            let instance = push.aggregate.instance_id.as_str();
            for event in &push.events {
                let reached = Milestone::reached_by(&event.event_type, &event.payload);
                if reached.is_empty() || self.complete.contains_key(instance) {
                    continue;
                }
                candidates.entry(instance).or_default().extend(reached);
            }
        }
        let mut pushes = Vec::new();
        for (instance, mut milestones) in candidates {
            milestones.sort_unstable();
            milestones.dedup();
            let state = self.state(source, instance).await?;
            let events: Vec<NewEvent> = milestones
                .into_iter()
                .filter(|m| !state.has(*m))
                .map(|m| {
                    let payload = MilestoneReached {
                        milestone: m.name().to_owned(),
                    };
                    let payload = serde_json::to_value(&payload)
                        .expect("a struct of one string serializes to JSON");
                    NewEvent::new(MilestoneReached::TYPE, payload, ACTOR)
                })
                .collect();
            if events.is_empty() {
                continue;
            }
            pushes.push(AggregatePush {
                aggregate: AggregateRef::new(instance, AGGREGATE_TYPE, instance),
                expected: ExpectedSequence::Exact(state.sequence),
                events,
            });
        }
        Ok(pushes)
    }

    /// Whether `instance_id` is known to have reached every milestone.
    pub fn is_complete(&self, instance_id: &str) -> bool {
        self.complete.contains_key(instance_id)
    }

    /// Forgets the cached state of `instance_id` (after a push expecting it
    /// conflicted: another node reached a milestone first).
    pub(crate) async fn forget(&self, instance_id: &str) {
        self.cache
            .invalidate(MilestoneIndex::Instance, &[instance_id.to_owned()])
            .await;
    }
}
