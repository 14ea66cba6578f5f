//! Several commands stored as one push: all of them, or none.
//!
//! Each command runs the pipeline's steps (load, validate, decide) on the
//! store *plus* what the commands before it decided, so a later command
//! sees an earlier one's aggregate (an org in the instance created just
//! before). Nothing is stored until [`Batch::commit`], which pushes every
//! decision in one transaction. Used where a half-done sequence would leave
//! the system in a state no single command can repair, e.g. an instance
//! with no administrator (`Commands::setup_instance`).

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::OnceCell;

use super::pipeline::{Decide, Env, push_error, require_exists, written};
use super::write_model::{self, EventSource, Loaded, StoreSource, WriteModel};
use super::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::{
    AggregatePush, AggregateRef, Event, EventQuery, ExpectedSequence, Position, Push, StoreError,
};

/// Commands decided but not stored yet; see the module documentation.
pub(crate) struct Batch<'c> {
    commands: &'c Commands,
    /// Every aggregate's new events, in the order they were decided, each
    /// expected at the sequence its first command loaded; every unique
    /// value claimed or released.
    push: Push,
    /// The decided events as the store would return them, for later loads.
    pending: Vec<Event>,
}

impl<'c> Batch<'c> {
    /// An empty batch on `commands`' store and validators.
    pub(crate) fn new(commands: &'c Commands) -> Self {
        Self {
            commands,
            push: Push::default(),
            pending: Vec::new(),
        }
    }

    /// Runs `cmd` for `ctx` up to its decision and adds the decision to the
    /// batch; returns the command's aggregate.
    ///
    /// # Errors
    /// As the command's own execution, except that nothing was stored.
    pub(crate) async fn stage<D: Decide>(
        &mut self,
        ctx: &CommandContext,
        cmd: &D,
    ) -> Result<AggregateRef, CommandError> {
        let aggregate = AggregateRef::new(
            &ctx.instance_id,
            <D::Model as WriteModel>::AGGREGATE_TYPE,
            cmd.aggregate_id(ctx),
        );
        let source = Overlay {
            store: StoreSource(self.commands.store.as_ref()),
            pending: &self.pending,
        };
        let loaded: Loaded<D::Model> = write_model::load(&source, &aggregate).await?;
        require_exists::<D>(&loaded.model, &aggregate)?;
        let payload = cmd.payload().to_string();
        self.commands
            .validate(ctx, cmd, &aggregate, &loaded, &payload)
            .await?;
        let password_hash = OnceCell::new();
        let env = Env::new(ctx, &source, &self.commands.hasher, &password_hash);
        let decision = cmd.decide(&loaded.model, &env).await?;
        if let Some((code, message)) = decision.mismatch {
            // A batch stores all or nothing: a failed attempt is not kept.
            return Err(CommandError::Mismatch { code, message });
        }
        let push = decision.into_push(aggregate.clone(), loaded.sequence);
        for part in push.aggregates {
            self.add(part);
        }
        self.push.unique.extend(push.unique);
        Ok(aggregate)
    }

    /// Appends `part`'s events to the batch, after what the batch holds
    /// for the same aggregate already (whose expected sequence stays).
    fn add(&mut self, part: AggregatePush) {
        let aggregates = &mut self.push.aggregates;
        let index = match aggregates
            .iter()
            .position(|a| a.aggregate == part.aggregate)
        {
            Some(index) => index,
            None => {
                aggregates.push(AggregatePush {
                    events: Vec::new(),
                    ..part.clone()
                });
                aggregates.len() - 1
            }
        };
        let held = &mut aggregates[index];
        for event in part.events {
            let sequence = held_sequence(held) + 1;
            self.pending.push(Event {
                position: Position::new(i64::MAX, self.pending.len() as i32),
                aggregate: part.aggregate.clone(),
                sequence,
                event_type: event.event_type.clone(),
                revision: event.revision,
                payload: event.payload.clone(),
                creator: event.creator.clone(),
                created_at: Utc::now(),
            });
            held.events.push(event);
        }
    }

    /// Stores every decision in one push (with the milestones it reaches).
    /// `aggregate`'s last event is what the returned [`Written`] describes.
    ///
    /// # Errors
    /// [`CommandError::Conflict`] when another writer changed one of the
    /// aggregates since it was loaded (nothing is stored: run the batch
    /// again), [`CommandError::AlreadyExists`] for a unique value taken
    /// meanwhile, [`CommandError::Store`] for the rest.
    pub(crate) async fn commit(self, aggregate: &AggregateRef) -> Result<Written, CommandError> {
        let source = StoreSource(self.commands.store.as_ref());
        match self.commands.store_push(&source, self.push).await? {
            Ok(stored) => written(aggregate.clone(), &stored),
            Err(StoreError::Conflict { .. }) => Err(CommandError::Conflict { attempts: 1 }),
            Err(other) => Err(push_error(other)),
        }
    }
}

/// The sequence of the last event `held` would store, counting only what
/// the batch added (0 for none).
fn held_sequence(held: &AggregatePush) -> u64 {
    let before = match held.expected {
        ExpectedSequence::Exact(sequence) => sequence,
        ExpectedSequence::Any => 0,
    };
    before + held.events.len() as u64
}

/// The store's events followed by the batch's pending ones.
struct Overlay<'a> {
    store: StoreSource<'a>,
    pending: &'a [Event],
}

#[async_trait]
impl EventSource for Overlay<'_> {
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let mut events = self.store.events(query).await?;
        events.extend(
            self.pending
                .iter()
                .filter(|event| admits(query, event))
                .cloned(),
        );
        Ok(events)
    }
}

/// Whether `event` matches `query`'s aggregate and event-type filters (the
/// only ones write models use).
pub(crate) fn admits(query: &EventQuery, event: &Event) -> bool {
    let any = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
    any(&query.instance_ids, &event.aggregate.instance_id)
        && any(&query.aggregate_types, &event.aggregate.aggregate_type)
        && any(&query.aggregate_ids, &event.aggregate.aggregate_id)
        && any(&query.event_types, &event.event_type)
}
