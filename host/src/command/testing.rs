//! Given/when/then for commands, cqrs-es style, without a store or plugins:
//!
//! ```ignore
//! given(vec![event(&user, &HumanUserAdded { .. })])
//!     .when(UserStateCommand::new("u1", StateChange::Lock))
//!     .await
//!     .then(vec![expected(&UserLocked {})]);
//! ```
//!
//! `when` folds the given events of the command's aggregate into its write
//! model, applies the pipeline's existence check and runs `decide` with an
//! environment that loads other aggregates from the given events too.

use async_trait::async_trait;
use chrono::Utc;
use rampart_plugin_sdk::catalogue::EventPayload;
use tokio::sync::OnceCell;

use super::pipeline::{Decide, Decision, Env, json, require_exists};
use super::write_model::{self, EventSource, WriteModel};
use super::{CommandContext, CommandError, PasswordHasher};
use crate::config::PasswordHashConfig;
use crate::eventstore::{AggregateRef, Event, EventQuery, NewEvent, Position, StoreError};

/// The instance every given/when/then test acts in.
pub(crate) const INSTANCE: &str = "instance-1";
/// The actor of every command under test.
pub(crate) const ACTOR: &str = "admin-1";

/// The context of commands under test.
pub(crate) fn ctx() -> CommandContext {
    CommandContext::new(INSTANCE, ACTOR)
}

/// Aggregate `id` of type `kind` in [`INSTANCE`].
pub(crate) fn aggregate(kind: &str, id: &str) -> AggregateRef {
    AggregateRef::new(INSTANCE, kind, id)
}

/// A prior event of `aggregate` (created by someone else).
pub(crate) fn event<P: EventPayload>(
    aggregate: &AggregateRef,
    payload: &P,
) -> (AggregateRef, NewEvent) {
    (
        aggregate.clone(),
        NewEvent::new(P::TYPE, json(payload), "someone"),
    )
}

/// An event the command under test is expected to write.
pub(crate) fn expected<P: EventPayload>(payload: &P) -> NewEvent {
    NewEvent::new(P::TYPE, json(payload), ACTOR)
}

/// A password hasher with the cheapest valid parameters.
pub(crate) fn cheap_hasher() -> PasswordHasher {
    PasswordHasher::new(&PasswordHashConfig {
        memory: bytesize::ByteSize::kib(8),
        iterations: 1,
        parallelism: 1,
        max_concurrent: 0,
    })
    .expect("valid argon2 parameters")
}

/// The history a test starts from.
pub(crate) struct Given {
    events: Vec<Event>,
}

/// Starts a test from `events` (any aggregates, in order).
pub(crate) fn given(events: Vec<(AggregateRef, NewEvent)>) -> Given {
    Given {
        events: stored(events),
    }
}

/// `events` (any aggregates, in order) as the store would hold them: a
/// position each, sequences counted per aggregate; for folding a write
/// model directly.
pub(crate) fn stored(events: Vec<(AggregateRef, NewEvent)>) -> Vec<Event> {
    let mut stored: Vec<Event> = Vec::with_capacity(events.len());
    for (index, (aggregate, new)) in events.into_iter().enumerate() {
        let sequence = stored.iter().filter(|e| e.aggregate == aggregate).count() as u64 + 1;
        stored.push(Event {
            position: Position::new(index as i64 + 1, 0),
            aggregate,
            sequence,
            event_type: new.event_type,
            revision: new.revision,
            payload: new.payload,
            creator: new.creator,
            created_at: Utc::now(),
        });
    }
    stored
}

/// Starts a test from an empty store.
pub(crate) fn given_nothing() -> Given {
    given(Vec::new())
}

#[async_trait]
impl EventSource for Given {
    async fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .events
            .iter()
            .filter(|e| super::batch::admits(q, e))
            .cloned()
            .collect())
    }
}

impl Given {
    /// Decides `cmd` on the given history.
    pub(crate) async fn when<D: Decide>(self, cmd: D) -> Then {
        self.when_ref(&cmd).await
    }

    /// Decides `cmd` on the given history, leaving the command with the
    /// caller (for what its decision leaves in it).
    pub(crate) async fn when_ref<D: Decide>(self, cmd: &D) -> Then {
        let ctx = ctx();
        let aggregate = AggregateRef::new(
            INSTANCE,
            <D::Model as WriteModel>::AGGREGATE_TYPE,
            cmd.aggregate_id(&ctx),
        );
        let hasher = cheap_hasher();
        let memo = OnceCell::new();
        let result = match write_model::load::<D::Model>(&self, &aggregate).await {
            Err(err) => Err(err.into()),
            Ok(loaded) => match require_exists::<D>(&loaded.model, &aggregate) {
                Err(err) => Err(err),
                Ok(()) => {
                    let env = Env::new(&ctx, &self, &hasher, &memo);
                    cmd.decide(&loaded.model, &env).await
                }
            },
        };
        Then { result }
    }
}

/// The outcome of a decision under test.
#[derive(Debug)]
pub(crate) struct Then {
    result: Result<Decision, CommandError>,
}

impl Then {
    /// The decision; fails the test with the error otherwise.
    pub(crate) fn decision(self) -> Decision {
        match self.result {
            Ok(decision) => decision,
            Err(err) => panic!("expected a decision, got {err:?}"),
        }
    }

    /// Asserts the command's own aggregate gets exactly `events`; returns
    /// the decision for further checks (unique values, other aggregates).
    pub(crate) fn then(self, events: Vec<NewEvent>) -> Decision {
        let decision = self.decision();
        assert_eq!(decision.events, events);
        decision
    }

    /// Asserts the command failed with `code` and a message containing
    /// `message`.
    pub(crate) fn then_error(self, code: &str, message: &str) -> CommandError {
        match self.result {
            Ok(decision) => panic!("expected {code}, got a decision: {decision:?}"),
            Err(err) => {
                assert_eq!(err.code(), code, "{err}");
                assert!(
                    err.to_string().contains(message),
                    "{err:?} lacks {message:?}"
                );
                err
            }
        }
    }
}

/// Fixtures: the histories tests build on.
pub(crate) mod fixtures {
    use rampart_plugin_sdk::catalogue::{
        HumanUserAdded, InstanceAdded, InstanceDomainAdded, InstanceDomainPrimarySet,
        MachineUserAdded, OrgAdded, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainVerified,
        Profile,
    };

    use super::{INSTANCE, aggregate, event};
    use crate::command::{instance, org, user};
    use crate::eventstore::{AggregateRef, NewEvent};

    /// The test instance's aggregate.
    pub(crate) fn instance_ref() -> AggregateRef {
        aggregate(instance::AGGREGATE_TYPE, INSTANCE)
    }

    /// Org `id`'s aggregate.
    pub(crate) fn org_ref(id: &str) -> AggregateRef {
        aggregate(org::AGGREGATE_TYPE, id)
    }

    /// User `id`'s aggregate.
    pub(crate) fn user_ref(id: &str) -> AggregateRef {
        aggregate(user::AGGREGATE_TYPE, id)
    }

    /// The test instance, named "Rampart", with primary domain `primary`.
    pub(crate) fn instance_added(primary: &str) -> Vec<(AggregateRef, NewEvent)> {
        let domain = primary.to_owned();
        vec![
            event(
                &instance_ref(),
                &InstanceAdded {
                    name: "Rampart".into(),
                },
            ),
            event(
                &instance_ref(),
                &InstanceDomainAdded {
                    domain: domain.clone(),
                    generated: false,
                },
            ),
            event(&instance_ref(), &InstanceDomainPrimarySet { domain }),
        ]
    }

    /// Org `id` named `name` with verified primary domain `domain`.
    pub(crate) fn org_added(id: &str, name: &str, domain: &str) -> Vec<(AggregateRef, NewEvent)> {
        let org = org_ref(id);
        let domain = domain.to_owned();
        vec![
            event(&org, &OrgAdded { name: name.into() }),
            event(
                &org,
                &OrgDomainAdded {
                    domain: domain.clone(),
                },
            ),
            event(
                &org,
                &OrgDomainVerified {
                    domain: domain.clone(),
                },
            ),
            event(&org, &OrgDomainPrimarySet { domain }),
        ]
    }

    /// The profile of every fixture user: Ada Lovelace.
    pub(crate) fn ada() -> Profile {
        Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: Some("Ada Lovelace".into()),
            preferred_language: None,
        }
    }

    /// User `id` of org `org_id` named `username`, e-mail `<username>@example.com`.
    pub(crate) fn user_added(id: &str, org_id: &str, username: &str) -> (AggregateRef, NewEvent) {
        event(
            &user_ref(id),
            &HumanUserAdded {
                username: username.into(),
                profile: ada(),
                email: format!("{username}@example.com"),
                email_verified: false,
                password_hash: None,
                org_id: org_id.into(),
            },
        )
    }

    /// Machine user `id` of org `org_id` named `username`, display name
    /// "CI", no description, opaque access tokens.
    pub(crate) fn machine_added(
        id: &str,
        org_id: &str,
        username: &str,
    ) -> (AggregateRef, NewEvent) {
        event(
            &user_ref(id),
            &MachineUserAdded {
                org_id: org_id.into(),
                username: username.into(),
                name: "CI".into(),
                description: None,
                ..MachineUserAdded::default()
            },
        )
    }
}

/// A command side over a fresh SQLite store in a temporary directory, with
/// cheap password hashing and `plugins`; keep the directory alive.
pub(crate) async fn sqlite_commands(
    plugins: std::sync::Arc<crate::plugins::PluginRegistry>,
) -> (
    super::Commands,
    std::sync::Arc<dyn crate::eventstore::EventStore>,
    tempfile::TempDir,
) {
    use crate::config::{Config, SqliteConfig};
    use crate::eventstore::Limits;
    use crate::eventstore::sqlite::SqliteStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let defaults = Config::defaults();
    let sqlite = SqliteConfig {
        dir: dir.path().to_path_buf(),
        ..defaults.database.sqlite.clone()
    };
    let store: std::sync::Arc<dyn crate::eventstore::EventStore> = std::sync::Arc::new(
        SqliteStore::open(&sqlite, Limits::from(&defaults.eventstore))
            .await
            .expect("open sqlite store"),
    );
    let mut config = defaults.commands.clone();
    config.password_hash = PasswordHashConfig {
        memory: bytesize::ByteSize::kib(8),
        iterations: 1,
        parallelism: 1,
        max_concurrent: 0,
    };
    let commands = super::Commands::new(store.clone(), plugins, &config).expect("valid config");
    (commands, store, dir)
}

/// A plugin runtime with no plugins at all (commands pass no validator),
/// started once for every test that wants one.
pub(crate) fn no_plugins() -> std::sync::Arc<crate::plugins::PluginRegistry> {
    use std::sync::{Arc, OnceLock};
    static REGISTRY: OnceLock<Arc<crate::plugins::PluginRegistry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let base = std::env::temp_dir().join("rampart-no-plugin-tests");
            let mut config = crate::config::Config::defaults().plugins;
            config.dir = base.join("plugins");
            config.cache_dir = base.join("cache");
            config.shipped = false;
            config.watch = false;
            Arc::new(crate::plugins::PluginRegistry::start(config).expect("plugin runtime starts"))
        })
        .clone()
}
