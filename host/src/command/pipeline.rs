//! The execution loop every command runs through: load the write model,
//! ask the validators, decide, push with an expected sequence, and start
//! over when another writer got there first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::EventPayload;
use serde::Serialize;
use tokio::sync::OnceCell;

use super::Commands;
use super::context::CommandContext;
use super::error::CommandError;
use super::password::PasswordHasher;
use super::write_model::{self, EventSource, Loaded, StoreSource, WriteModel};
use crate::cache::Caches;
use crate::cache::objects::CachedOrg;
use crate::command::instance::model::InstanceModel;
use crate::command::org::model::OrgModel;
use crate::command::settings::{self, InEffect, SettingsLayer};
use crate::eventstore::{
    AggregatePush, AggregateRef, Event, EventQuery, ExpectedSequence, NewEvent, Position, Push,
    StoreError, UniqueOp,
};
use crate::plugins::Verdict;
use crate::plugins::types::{AggregateState, Command};

/// What a successful command wrote: its aggregate and where the aggregate's
/// last new event landed, so a client can wait for projections to catch up
/// (read your own writes) or audit the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The command's aggregate (for a create: the new id).
    pub aggregate: AggregateRef,
    /// The aggregate's sequence after the command.
    pub sequence: u64,
    /// Global position of the aggregate's last new event.
    pub position: Position,
    /// When the events were stored.
    pub created_at: DateTime<Utc>,
    /// How many events the command stored, over all aggregates it touched.
    pub events: usize,
}

/// One command's rules: what it is called and carries (for the validators)
/// and which events it produces from the aggregate's write model.
///
/// One implementation per command (or family of commands), beside the write
/// model of its aggregate; [`Commands::execute`] runs it.
#[async_trait]
pub(crate) trait Decide: Send + Sync {
    /// The write model of the aggregate the command changes.
    type Model: WriteModel;

    /// Whether the command creates its aggregate, under an id the host just
    /// generated (so its first attempt need not read the aggregate's
    /// events). Every other command answers "not found" on an aggregate that
    /// does not exist (any more).
    const CREATES: bool = false;

    /// The command's catalogue name, e.g. `user.human.add`; validators are
    /// chosen by it.
    fn name(&self) -> &'static str;

    /// The id of the aggregate the command changes (in `ctx`'s instance).
    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str;

    /// The organization the command acts in, as validators see it.
    fn org_id(&self, model: &Self::Model) -> Option<String>;

    /// The command's catalogue payload, as validators see it.
    fn payload(&self) -> serde_json::Value;

    /// The command's own rules against the current state: the events to
    /// append (and unique values to claim or release), or why not.
    async fn decide(&self, model: &Self::Model, env: &Env<'_>) -> Result<Decision, CommandError>;
}

/// The outcome of [`Decide::decide`]: everything one push carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    /// New events of the command's own aggregate (at least one).
    pub(crate) events: Vec<NewEvent>,
    /// Unique values claimed or released in the same transaction.
    pub(crate) unique: Vec<UniqueOp>,
    /// Events of other aggregates written in the same transaction (e.g. the
    /// users an org removal takes with it), each with its own expected
    /// sequence. They precede the command's own events in the push.
    pub(crate) others: Vec<AggregatePush>,
    /// When set, the command fails with [`CommandError::Mismatch`] (this
    /// code and message) once its events are stored: a wrong secret whose
    /// attempt must count.
    pub(crate) mismatch: Option<(&'static str, String)>,
}

impl Decision {
    /// A decision to append `events` to the command's aggregate.
    pub(crate) fn new(events: Vec<NewEvent>) -> Self {
        Self {
            events,
            ..Self::default()
        }
    }

    /// A decision to store `events` (the record of a failed attempt) and
    /// then fail with [`CommandError::Mismatch`].
    pub(crate) fn failing(
        events: Vec<NewEvent>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            events,
            mismatch: Some((code, message.into())),
            ..Self::default()
        }
    }

    /// Adds a unique-value claim or release.
    pub(crate) fn unique(mut self, op: UniqueOp) -> Self {
        self.unique.push(op);
        self
    }

    /// The push: other aggregates first, then the command's own aggregate
    /// expected at `sequence`.
    pub(crate) fn into_push(self, aggregate: AggregateRef, sequence: u64) -> Push {
        let mut aggregates = self.others;
        aggregates.push(AggregatePush {
            aggregate,
            expected: ExpectedSequence::Exact(sequence),
            events: self.events,
        });
        Push {
            aggregates,
            unique: self.unique,
        }
    }
}

/// What a decision may use besides its own write model: the caller, other
/// aggregates' write models, the password hasher.
pub(crate) struct Env<'a> {
    /// Who issues the command, in which instance.
    pub(crate) ctx: &'a CommandContext,
    source: &'a dyn EventSource,
    hasher: &'a PasswordHasher,
    /// The hash computed in an earlier attempt of the same execution.
    password_hash: &'a OnceCell<String>,
    /// Where other aggregates' state may be cached (organizations).
    caches: Option<&'a Caches>,
}

impl<'a> Env<'a> {
    /// An environment over `source` (the store, or given events in tests).
    pub(crate) fn new(
        ctx: &'a CommandContext,
        source: &'a dyn EventSource,
        hasher: &'a PasswordHasher,
        password_hash: &'a OnceCell<String>,
    ) -> Self {
        Self {
            ctx,
            source,
            hasher,
            password_hash,
            caches: None,
        }
    }

    /// The same environment, reading organizations through `caches`.
    pub(crate) fn cached(mut self, caches: &'a Caches) -> Self {
        self.caches = Some(caches);
        self
    }

    /// Organization `id` in the command's instance, through the
    /// Organization cache; `None` when it does not exist (any more).
    ///
    /// An entry older than an event this node saw on the organization is
    /// not used (see `cache::invalidate`).
    ///
    /// # Errors
    /// [`CommandError::Store`] when its events cannot be read.
    pub(crate) async fn org(&self, id: &str) -> Result<Option<CachedOrg>, CommandError> {
        let instance = &self.ctx.instance_id;
        Ok(match self.caches {
            Some(caches) => caches.org(self.source, instance, id).await?,
            None => {
                let loaded = self.load::<OrgModel>(id).await?;
                CachedOrg::from_state(instance, id, &loaded)
            }
        })
    }

    /// The write model of aggregate `id` of `M`'s type in the command's
    /// instance, up to date with the store (through the write-model cache).
    ///
    /// # Errors
    /// [`CommandError::Store`] when the events cannot be read.
    pub(crate) async fn load<M: WriteModel>(&self, id: &str) -> Result<Loaded<M>, CommandError> {
        let aggregate = AggregateRef::new(&self.ctx.instance_id, M::AGGREGATE_TYPE, id);
        Ok(match self.caches {
            Some(caches) => caches.write_models.load(self.source, &aggregate).await?,
            None => write_model::load(self.source, &aggregate).await?,
        })
    }

    /// The settings in effect in the command's instance where an
    /// organization has the records `org` (the instance's alone for `None`).
    ///
    /// # Errors
    /// [`CommandError::Store`] when the instance cannot be read.
    pub(crate) async fn settings(
        &self,
        org: Option<&SettingsLayer>,
    ) -> Result<InEffect, CommandError> {
        let instance = &self.ctx.instance_id;
        let layer = match self.caches {
            Some(caches) => caches
                .instance(self.source, instance)
                .await?
                .map(|i| i.settings)
                .unwrap_or_default(),
            None => self.load::<InstanceModel>(instance).await?.model.settings,
        };
        Ok(InEffect::layered(&layer, org))
    }

    /// The events matching `query` (e.g. every user of an org).
    ///
    /// # Errors
    /// [`CommandError::Store`] when the events cannot be read.
    pub(crate) async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, CommandError> {
        Ok(self.source.events(query).await?)
    }

    /// The argon2id hash of `password`. Computed once per execution: a retry
    /// after a conflict reuses it (a command carries at most one password).
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String, CommandError> {
        self.password_hash
            .get_or_try_init(|| self.hasher.hash(password))
            .await
            .cloned()
    }

    /// Whether the password `hash` was made with other parameters than the
    /// configured ones (then a proven password is hashed anew).
    pub(crate) fn password_outdated(&self, hash: &str) -> bool {
        self.hasher.outdated(hash)
    }

    /// Whether `candidate` matches the argon2id `hash` (a password or a
    /// code), checked under the hasher's bound.
    ///
    /// # Errors
    /// [`CommandError::Internal`] when the check could not run.
    pub(crate) async fn matches(&self, hash: &str, candidate: &str) -> Result<bool, CommandError> {
        self.hasher.matches(hash, candidate).await
    }

    /// A new event with `payload`, created by the command's actor.
    pub(crate) fn event<P: EventPayload>(&self, payload: &P) -> NewEvent {
        NewEvent::new(P::TYPE, json(payload), &self.ctx.actor)
    }

    /// Claims `value` of `kind` in the command's instance; `message` is what
    /// the caller hears when it is taken.
    pub(crate) fn claim(&self, kind: &str, value: &str, message: impl Into<String>) -> UniqueOp {
        UniqueOp::claim(&self.ctx.instance_id, kind, value, message)
    }

    /// Releases `value` of `kind` in the command's instance.
    pub(crate) fn release(&self, kind: &str, value: &str) -> UniqueOp {
        UniqueOp::release(&self.ctx.instance_id, kind, value)
    }
}

/// Where an attempt of [`Commands::execute`] takes its aggregate's state from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A new aggregate: no state.
    New,
    /// The write-model cache, possibly behind the store.
    Cache,
    /// The store (through the cache, brought up to date).
    Store,
}

/// A catalogue payload as JSON.
pub(crate) fn json<T: Serialize>(payload: &T) -> serde_json::Value {
    // The catalogue's payloads are plain structs of strings, booleans and
    // options: serializing them cannot fail.
    serde_json::to_value(payload).expect("catalogue payloads serialize to JSON")
}

/// [`CommandError::NotFound`] unless the aggregate exists or the command
/// creates it.
pub(crate) fn require_exists<D: Decide>(
    model: &D::Model,
    aggregate: &AggregateRef,
) -> Result<(), CommandError> {
    if D::CREATES || model.exists() {
        return Ok(());
    }
    Err(CommandError::NotFound {
        kind: <D::Model as WriteModel>::AGGREGATE_TYPE,
        id: aggregate.aggregate_id.clone(),
    })
}

impl Commands {
    /// Runs `cmd` for `ctx`: load, validate, decide, push; on a concurrency
    /// conflict start over, at most `Commands.MaxRetries` more times.
    ///
    /// # Errors
    /// Whatever a step fails with (see [`CommandError`]).
    pub(crate) async fn execute<D: Decide>(
        &self,
        ctx: &CommandContext,
        cmd: &D,
    ) -> Result<Written, CommandError> {
        let aggregate = AggregateRef::new(
            &ctx.instance_id,
            <D::Model as WriteModel>::AGGREGATE_TYPE,
            cmd.aggregate_id(ctx),
        );
        let payload = cmd.payload().to_string();
        let source = StoreSource(self.store.as_ref());
        let password_hash = OnceCell::new();
        let env = Env::new(ctx, &source, &self.hasher, &password_hash).cached(&self.caches);
        let write_models = &self.caches.write_models;
        // The first attempt decides on cached state (a creating command on
        // none: its id was just generated); a conflict, or a refusal decided
        // on cached state, decides again on state read from the store.
        let mut from = if D::CREATES {
            Origin::New
        } else {
            Origin::Cache
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let loaded: Loaded<D::Model> = match from {
                Origin::New => Loaded::new(),
                Origin::Cache => match write_models.get(&aggregate) {
                    Some(cached) => cached,
                    None => {
                        from = Origin::Store;
                        write_models
                            .catch_up(&source, &aggregate, Loaded::new())
                            .await?
                    }
                },
                Origin::Store => write_models.load(&source, &aggregate).await?,
            };
            let decided = self
                .decide_on(ctx, cmd, &aggregate, &loaded, &payload, &env)
                .await;
            let decision = match (decided, from) {
                (Ok(decision), _) => decision,
                (Err(e), Origin::Cache) if e.depends_on_state() => {
                    from = Origin::Store;
                    attempts -= 1;
                    continue;
                }
                (Err(e), _) => return Err(e),
            };
            let mismatch = decision.mismatch.clone();
            let push = decision.into_push(aggregate.clone(), loaded.sequence);
            match self.store_push(&source, push).await? {
                Ok(stored) => {
                    let written = written(aggregate.clone(), &stored)?;
                    write_models.pushed(&aggregate, loaded, &stored);
                    if let Some((code, message)) = mismatch {
                        return Err(CommandError::Mismatch { code, message });
                    }
                    return Ok(written);
                }
                Err(StoreError::Conflict { .. }) if attempts <= self.max_retries => {
                    tracing::debug!(
                        command = cmd.name(),
                        %aggregate,
                        attempts,
                        "concurrent change; deciding again"
                    );
                    write_models.forget_aggregate(&aggregate);
                    from = Origin::Store;
                }
                Err(StoreError::Conflict { .. }) => {
                    write_models.forget_aggregate(&aggregate);
                    return Err(CommandError::Conflict { attempts });
                }
                Err(other) => return Err(push_error(other)),
            }
        }
    }

    /// Checks that the aggregate exists (or is created), runs the validator
    /// chain and decides: one attempt's decision on `loaded`.
    async fn decide_on<D: Decide>(
        &self,
        ctx: &CommandContext,
        cmd: &D,
        aggregate: &AggregateRef,
        loaded: &Loaded<D::Model>,
        payload: &str,
        env: &Env<'_>,
    ) -> Result<Decision, CommandError> {
        require_exists::<D>(&loaded.model, aggregate)?;
        self.validate(ctx, cmd, aggregate, loaded, payload).await?;
        cmd.decide(&loaded.model, env).await
    }

    /// Stores a decided `push` with the milestones it reaches; on success
    /// invalidates the caches of what it changed. The outer error is reading
    /// the milestones' state; the inner one is the push's (after a conflict
    /// the milestones' cached state is forgotten: perhaps another node
    /// reached one first).
    pub(crate) async fn store_push(
        &self,
        source: &StoreSource<'_>,
        mut push: Push,
    ) -> Result<Result<Vec<Event>, StoreError>, CommandError> {
        let milestones = self.milestones.reached_by(source, &push.aggregates).await?;
        let milestone_instances: Vec<String> = milestones
            .iter()
            .map(|m| m.aggregate.instance_id.clone())
            .collect();
        push.aggregates.extend(milestones);
        let outcome = self.store.push(push).await;
        match &outcome {
            Ok(stored) => {
                self.caches.write_models.forget(stored);
                self.caches.invalidate_for(stored).await;
            }
            Err(StoreError::Conflict { .. }) => {
                for instance in &milestone_instances {
                    self.milestones.forget(instance).await;
                }
            }
            Err(_) => {}
        }
        Ok(outcome)
    }

    /// Runs the validator chain on the plugin call pool, serving it the
    /// settings in effect for the command's instance and organization; the
    /// first rejection fails the command.
    pub(crate) async fn validate<D: Decide>(
        &self,
        ctx: &CommandContext,
        cmd: &D,
        aggregate: &AggregateRef,
        loaded: &Loaded<D::Model>,
        payload: &str,
    ) -> Result<(), CommandError> {
        let command = Command {
            name: cmd.name().to_owned(),
            instance_id: ctx.instance_id.clone(),
            org_id: cmd.org_id(&loaded.model),
            actor: ctx.actor.clone(),
            aggregate_type: aggregate.aggregate_type.clone(),
            aggregate_id: aggregate.aggregate_id.clone(),
            payload: payload.to_owned(),
        };
        let state = AggregateState {
            sequence: loaded.sequence,
            state: if loaded.sequence == 0 {
                "null".to_owned()
            } else {
                json(&loaded.model).to_string()
            },
        };
        if !self.plugins.has_validators(&command.name) {
            return Ok(());
        }
        let source = StoreSource(self.store.as_ref());
        let in_effect = settings::in_effect(
            &self.caches,
            &source,
            &ctx.instance_id,
            command.org_id.as_deref(),
        )
        .await?;
        let settings = json(&in_effect.settings).to_string().into();
        match self.plugins.validate(command, state, settings).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Rejected { plugin, rejection } => Err(CommandError::Rejected {
                plugin,
                code: rejection.code,
                message: rejection.message,
            }),
        }
    }
}

/// What a failed push (other than a conflict) means to the caller: a taken
/// unique value is the command's `AlreadyExists`, the rest a store error.
pub(crate) fn push_error(error: StoreError) -> CommandError {
    match error {
        StoreError::UniqueTaken {
            kind,
            value,
            message,
        } => CommandError::AlreadyExists {
            kind,
            value,
            message,
        },
        other => CommandError::Store(other),
    }
}

/// The [`Written`] of a push: the last stored event of `aggregate`.
pub(crate) fn written(aggregate: AggregateRef, stored: &[Event]) -> Result<Written, CommandError> {
    let last = stored
        .iter()
        .rev()
        .find(|e| e.aggregate == aggregate)
        .ok_or_else(|| {
            CommandError::Internal(format!("the store returned no event of {aggregate}"))
        })?;
    Ok(Written {
        sequence: last.sequence,
        position: last.position,
        created_at: last.created_at,
        events: stored.len(),
        aggregate,
    })
}
