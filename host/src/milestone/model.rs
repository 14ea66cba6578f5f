//! An instance's milestones as commands and caches see them: folded from its
//! `milestone` aggregate.

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{EventPayload, MilestoneReached};
use serde::{Deserialize, Serialize};

use super::{AGGREGATE_TYPE, Milestone};
use crate::cache::{Index, Object};
use crate::command::write_model::{EventSource, payload};
use crate::eventstore::{AggregateRef, EventQuery, StoreError};

/// One reached milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reached {
    /// Which.
    pub milestone: Milestone,
    /// When it was reached.
    pub reached_at: DateTime<Utc>,
}

/// The milestones an instance reached, and its milestone aggregate's
/// sequence (a push of a new one expects it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MilestoneState {
    /// The instance.
    pub instance_id: String,
    /// What it reached, oldest first.
    pub reached: Vec<Reached>,
    /// The milestone aggregate's latest sequence (0: none reached).
    pub sequence: u64,
}

/// How milestone states are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneIndex {
    /// By instance id.
    Instance,
}

impl Index for MilestoneIndex {
    const ALL: &'static [Self] = &[MilestoneIndex::Instance];

    fn name(self) -> &'static str {
        "instance"
    }
}

impl Object for MilestoneState {
    type Index = MilestoneIndex;

    fn keys(&self, _index: MilestoneIndex) -> Vec<String> {
        vec![self.instance_id.clone()]
    }
}

impl MilestoneState {
    /// Whether `milestone` was reached.
    pub fn has(&self, milestone: Milestone) -> bool {
        self.reached.iter().any(|r| r.milestone == milestone)
    }

    /// Whether every milestone was reached.
    pub fn complete(&self) -> bool {
        Milestone::ALL.iter().all(|m| self.has(*m))
    }

    /// The milestones of `instance_id`, folded from their events.
    ///
    /// # Errors
    /// The store's error.
    pub(crate) async fn load(
        source: &dyn EventSource,
        instance_id: &str,
    ) -> Result<Self, StoreError> {
        let aggregate = AggregateRef::new(instance_id, AGGREGATE_TYPE, instance_id);
        let events = source.events(&EventQuery::aggregate(&aggregate)).await?;
        let mut state = Self {
            instance_id: instance_id.to_owned(),
            reached: Vec::new(),
            sequence: events.last().map_or(0, |e| e.sequence),
        };
        for event in events
            .iter()
            .filter(|e| e.event_type == MilestoneReached::TYPE)
        {
            let Some(reached) = payload::<MilestoneReached>(event) else {
                continue;
            };
            let Some(milestone) = Milestone::parse(&reached.milestone) else {
                continue;
            };
            if !state.has(milestone) {
                state.reached.push(Reached {
                    milestone,
                    reached_at: event.created_at,
                });
            }
        }
        Ok(state)
    }
}
