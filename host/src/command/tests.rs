//! The pipeline end to end: a real SQLite store in a temporary directory
//! and the shipped validator plugins.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddHumanUser, AddOrg, AddOrgDomain, ChangeHumanEmail, Email, HumanProfileChanged,
    HumanUserAdded, Profile, SetHumanPassword,
};

use super::pipeline::{Decide, Decision, Env};
use super::user::model::UserModel;
use super::user::state::{StateChange, UserStateCommand};
use super::{CommandContext, CommandError, Commands, Written, verify_password};
use crate::config::Config;
use crate::eventstore::{AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Push};
use crate::plugins::PluginRegistry;

/// The shipped plugins, loaded once for every test (compiled code cached
/// across runs).
fn registry() -> Arc<PluginRegistry> {
    static REGISTRY: OnceLock<Arc<PluginRegistry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let base = std::env::temp_dir().join("rampart-command-tests");
            let mut config = Config::defaults().plugins;
            config.dir = base.join("plugins");
            config.cache_dir = base.join("cache");
            config.watch = false;
            let registry = PluginRegistry::start(config).expect("plugin runtime starts");
            let catalog = registry.catalog();
            assert!(
                catalog.failures.is_empty(),
                "shipped plugins load: {:?}",
                catalog.failures
            );
            Arc::new(registry)
        })
        .clone()
}

/// A command side over a fresh store.
struct Fixture {
    commands: Commands,
    store: Arc<dyn EventStore>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let (commands, store, dir) = crate::command::testing::sqlite_commands(registry()).await;
    Fixture {
        commands,
        store,
        _dir: dir,
    }
}

fn user_input(username: &str, password: Option<&str>) -> AddHumanUser {
    AddHumanUser {
        username: username.into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            ..Profile::default()
        },
        email: Email {
            address: "ada@example.com".into(),
            verified: false,
        },
        password: password.map(str::to_owned),
    }
}

impl Fixture {
    /// A new instance and org; the context acts in the instance.
    async fn instance_and_org(&self) -> (CommandContext, String) {
        let instance = self
            .commands
            .add_instance("system", "Rampart", &["localhost".into()])
            .await
            .expect("instance added");
        let ctx = CommandContext::new(instance.aggregate.instance_id, "admin-1");
        let org = AddOrg {
            name: "ACME".into(),
            domain: None,
        };
        let org = self.commands.add_org(&ctx, org).await.expect("org added");
        (ctx, org.aggregate.aggregate_id)
    }

    async fn events_of(&self, aggregate: &AggregateRef) -> Vec<crate::eventstore::Event> {
        self.store
            .query(&EventQuery::aggregate(aggregate))
            .await
            .expect("query")
    }
}

#[tokio::test]
async fn given_an_org_when_a_user_is_added_then_its_events_are_stored_with_the_actor() {
    let f = fixture().await;
    let (ctx, org_id) = f.instance_and_org().await;
    let written = f
        .commands
        .add_human_user(&ctx, &org_id, user_input("Ada", Some("Secret-Pass-1")))
        .await
        .expect("user added");
    assert_eq!(written.aggregate.aggregate_type, "user");
    assert_eq!(written.aggregate.instance_id, ctx.instance_id);
    assert_eq!((written.sequence, written.events), (1, 1));
    let events = f.events_of(&written.aggregate).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].creator, "admin-1");
    assert_eq!(events[0].position, written.position);
    let added: HumanUserAdded = serde_json::from_value(events[0].payload.clone()).unwrap();
    assert_eq!(
        (added.username.as_str(), added.org_id.as_str()),
        ("ada", org_id.as_str())
    );
    assert!(verify_password(
        &added.password_hash.unwrap(),
        "Secret-Pass-1"
    ));
}

#[tokio::test]
async fn given_a_weak_password_when_adding_a_user_then_password_policy_rejects_and_nothing_is_stored()
 {
    let f = fixture().await;
    let (ctx, org_id) = f.instance_and_org().await;
    let err = f
        .commands
        .add_human_user(&ctx, &org_id, user_input("ada", Some("short")))
        .await
        .unwrap_err();
    match &err {
        CommandError::Rejected { plugin, code, .. } => {
            assert_eq!(
                (plugin.as_str(), code.as_str()),
                ("password-policy", "PASSWORD_TOO_SHORT")
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(err.code(), "PASSWORD_TOO_SHORT");
    let users = EventQuery::new()
        .instance(ctx.instance_id.clone())
        .aggregate_type("user");
    assert!(f.store.query(&users).await.unwrap().is_empty());
    // The username was not claimed either.
    f.commands
        .add_human_user(&ctx, &org_id, user_input("ada", Some("Long-Enough-1")))
        .await
        .expect("the name is still free");
}

#[tokio::test]
async fn given_a_taken_username_when_adding_it_in_another_case_then_already_exists() {
    let f = fixture().await;
    let (ctx, org_id) = f.instance_and_org().await;
    f.commands
        .add_human_user(&ctx, &org_id, user_input("ada", None))
        .await
        .expect("first");
    let err = f
        .commands
        .add_human_user(&ctx, &org_id, user_input(" ADA ", None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CommandError::AlreadyExists { kind, value, .. } if kind == "username" && value == "ada"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the username ada is already taken");
}

/// Wraps a command; its first `times` decisions are each followed by
/// another writer appending to the same aggregate, as a concurrent request
/// would.
struct Interfered<D> {
    inner: D,
    store: Arc<dyn EventStore>,
    times: AtomicU32,
    /// The events of every decision made, in order.
    decided: Mutex<Vec<Vec<NewEvent>>>,
}

impl<D> Interfered<D> {
    fn new(inner: D, store: Arc<dyn EventStore>, times: u32) -> Self {
        Self {
            inner,
            store,
            times: AtomicU32::new(times),
            decided: Mutex::default(),
        }
    }

    fn decisions(&self) -> Vec<Vec<NewEvent>> {
        self.decided.lock().unwrap().clone()
    }
}

#[async_trait]
impl<D: Decide> Decide for Interfered<D> {
    type Model = D::Model;
    const CREATES: bool = D::CREATES;

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn aggregate_id<'a>(&'a self, ctx: &'a CommandContext) -> &'a str {
        self.inner.aggregate_id(ctx)
    }

    fn org_id(&self, model: &D::Model) -> Option<String> {
        self.inner.org_id(model)
    }

    fn payload(&self) -> serde_json::Value {
        self.inner.payload()
    }

    async fn decide(&self, model: &D::Model, env: &Env<'_>) -> Result<Decision, CommandError> {
        let decision = self.inner.decide(model, env).await?;
        self.decided.lock().unwrap().push(decision.events.clone());
        if self.times.load(Ordering::SeqCst) > 0 {
            self.times.fetch_sub(1, Ordering::SeqCst);
            let aggregate = AggregateRef::new(
                &env.ctx.instance_id,
                <D::Model as super::write_model::WriteModel>::AGGREGATE_TYPE,
                self.inner.aggregate_id(env.ctx),
            );
            let change = HumanProfileChanged {
                profile: Profile {
                    given_name: "Ada".into(),
                    family_name: "King".into(),
                    ..Profile::default()
                },
            };
            let event = NewEvent::new(
                "user.human.profile.changed",
                super::pipeline::json(&change),
                "other",
            );
            self.store
                .push(Push::new(aggregate, ExpectedSequence::Any, vec![event]))
                .await
                .expect("the other writer's push");
        }
        Ok(decision)
    }
}

async fn user(f: &Fixture) -> (CommandContext, Written) {
    let (ctx, org_id) = f.instance_and_org().await;
    let user = f
        .commands
        .add_human_user(&ctx, &org_id, user_input("ada", None))
        .await
        .expect("user added");
    (ctx, user)
}

#[tokio::test]
async fn given_another_writer_moved_the_aggregate_once_when_locking_then_the_retry_succeeds() {
    let f = fixture().await;
    let (ctx, user) = user(&f).await;
    let id = user.aggregate.aggregate_id.clone();
    let cmd = Interfered::new(
        UserStateCommand::new(&id, StateChange::Lock),
        f.store.clone(),
        1,
    );
    let written = f
        .commands
        .execute(&ctx, &cmd)
        .await
        .expect("locked on retry");
    assert_eq!(cmd.decisions().len(), 2);
    assert_eq!(
        written.sequence, 3,
        "added, the other writer's change, locked"
    );
    let types: Vec<String> = f
        .events_of(&user.aggregate)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "user.human.added",
            "user.human.profile.changed",
            "user.locked"
        ]
    );
}

#[tokio::test]
async fn given_other_writers_never_stop_when_locking_then_conflict_after_max_retries() {
    let f = fixture().await;
    let (ctx, user) = user(&f).await;
    let id = user.aggregate.aggregate_id.clone();
    let cmd = Interfered::new(
        UserStateCommand::new(&id, StateChange::Lock),
        f.store.clone(),
        100,
    );
    let err = f.commands.execute(&ctx, &cmd).await.unwrap_err();
    let max = Config::defaults().commands.max_retries;
    assert!(
        matches!(err, CommandError::Conflict { attempts } if attempts == max + 1),
        "{err:?}"
    );
    assert_eq!(err.code(), "ABORTED");
    let events = f.events_of(&user.aggregate).await;
    assert!(events.iter().all(|e| e.event_type != "user.locked"));
}

#[tokio::test]
async fn given_a_retry_when_setting_a_password_then_it_is_hashed_once() {
    let f = fixture().await;
    let (ctx, user) = user(&f).await;
    let id = user.aggregate.aggregate_id.clone();
    let set = super::user::password::SetPasswordCommand::new(
        &id,
        SetHumanPassword {
            password: "New-Secret-2".into(),
        },
    )
    .unwrap();
    let cmd = Interfered::new(set, f.store.clone(), 1);
    f.commands.execute(&ctx, &cmd).await.expect("set on retry");
    let hashes: Vec<String> = cmd
        .decisions()
        .iter()
        .map(|events| {
            events[0].payload["passwordHash"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(hashes.len(), 2);
    assert_eq!(
        hashes[0], hashes[1],
        "the retry reused the first attempt's hash"
    );
    let stored = f.events_of(&user.aggregate).await.pop().unwrap();
    assert_eq!(stored.payload["passwordHash"], hashes[0].as_str());
    assert!(verify_password(&hashes[0], "New-Secret-2"));
}

#[tokio::test]
async fn given_org_and_email_commands_when_validators_object_then_their_codes_reach_the_caller() {
    let f = fixture().await;
    let (ctx, user) = user(&f).await;
    let org = AddOrg {
        name: "Beta".into(),
        domain: Some("Login.BETA.example".into()),
    };
    let beta = f
        .commands
        .add_org(&ctx, org)
        .await
        .expect("normalized before validation");
    let blocked = AddOrgDomain {
        domain: "app.localhost".into(),
    };
    let err = f
        .commands
        .add_org_domain(&ctx, &beta.aggregate.aggregate_id, blocked)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ORG_DOMAIN_NOT_ALLOWED", "{err}");
    let email = ChangeHumanEmail {
        address: "not-an-address".into(),
        verified: false,
    };
    let err = f
        .commands
        .change_human_email(&ctx, &user.aggregate.aggregate_id, email)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "EMAIL_INVALID", "{err}");
}

#[tokio::test]
async fn given_an_org_with_users_when_removed_then_users_go_and_their_names_are_free() {
    let f = fixture().await;
    let (ctx, org_id) = f.instance_and_org().await;
    let ada = f
        .commands
        .add_human_user(&ctx, &org_id, user_input("ada", None))
        .await
        .unwrap();
    let grace = f
        .commands
        .add_human_user(&ctx, &org_id, user_input("grace", None))
        .await
        .unwrap();
    f.commands
        .remove_user(&ctx, &grace.aggregate.aggregate_id)
        .await
        .unwrap();
    let removed = f
        .commands
        .remove_org(&ctx, &org_id)
        .await
        .expect("org removed");
    assert_eq!(removed.events, 2, "ada's user.removed and org.removed");
    let last = f.events_of(&ada.aggregate).await.pop().unwrap();
    assert_eq!(last.event_type, "user.removed");
    let err = f
        .commands
        .lock_user(&ctx, &ada.aggregate.aggregate_id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    // Names and domains are free again.
    let org = AddOrg {
        name: "ACME".into(),
        domain: None,
    };
    let org = f
        .commands
        .add_org(&ctx, org)
        .await
        .expect("the domain is free");
    f.commands
        .add_human_user(&ctx, &org.aggregate.aggregate_id, user_input("ada", None))
        .await
        .expect("the username is free");
}

#[tokio::test]
async fn given_two_instances_when_adding_the_same_domain_then_already_exists() {
    let f = fixture().await;
    f.commands
        .add_instance("system", "One", &["login.example.com".into()])
        .await
        .unwrap();
    let err = f
        .commands
        .add_instance("system", "Two", &["Login.Example.com".into()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err}");
}

#[test]
fn given_a_user_model_when_serialized_then_validators_see_camel_case_json() {
    let model = UserModel::default();
    let json = super::pipeline::json(&model);
    assert_eq!(json["state"], "unknown");
    assert!(
        json.get("orgId").is_some() && json.get("hasPassword").is_some(),
        "{json}"
    );
}
