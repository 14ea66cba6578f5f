//! Milestones reached through the real command pipeline on a real store:
//! each exactly once, by the events that reach it — including those the
//! login and the project commands will push, emitted here by a test command.

use std::sync::Arc;

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{EventPayload, MilestoneReached, UserAuthenticationSucceeded};
use serde::Serialize;

use super::pipeline::{Decide, Decision, Env};
use super::{CommandContext, CommandError, Commands};
use crate::cache::Caches;
use crate::config::Config;
use crate::eventstore::{AggregateRef, Event, EventQuery, EventStore, NewEvent};
use crate::milestone::{self, AGGREGATE_TYPE, Milestone};

/// A command side with the embedded default's caches (memory).
async fn fixture() -> (Commands, Arc<dyn EventStore>, tempfile::TempDir) {
    let (commands, store, dir) =
        super::testing::sqlite_commands(super::testing::no_plugins()).await;
    let caches = Arc::new(Caches::build(&Config::defaults().caches, None).expect("caches"));
    (commands.with_caches(caches), store, dir)
}

/// A model of any aggregate type that folds nothing.
#[derive(Debug, Clone, Default, Serialize)]
struct Anything<const PROJECT: bool>;

impl crate::command::write_model::WriteModel for Anything<false> {
    const AGGREGATE_TYPE: &'static str = "user";
    fn apply(&mut self, _event: &Event) {}
    fn exists(&self) -> bool {
        true
    }
}

impl crate::command::write_model::WriteModel for Anything<true> {
    const AGGREGATE_TYPE: &'static str = "project";
    fn apply(&mut self, _event: &Event) {}
    fn exists(&self) -> bool {
        true
    }
}

/// Appends one event of `event_type` to a user (or a project) aggregate,
/// as the login (or the project commands) will.
struct Emit<const PROJECT: bool> {
    id: String,
    event_type: &'static str,
    payload: serde_json::Value,
}

#[async_trait]
impl<const PROJECT: bool> Decide for Emit<PROJECT>
where
    Anything<PROJECT>: crate::command::write_model::WriteModel,
{
    type Model = Anything<PROJECT>;

    fn name(&self) -> &'static str {
        "test.emit"
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &Self::Model) -> Option<String> {
        None
    }

    fn payload(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    async fn decide(&self, _model: &Self::Model, env: &Env<'_>) -> Result<Decision, CommandError> {
        Ok(Decision::new(vec![NewEvent::new(
            self.event_type,
            self.payload.clone(),
            &env.ctx.actor,
        )]))
    }
}

fn login(user: &str, application: Option<&str>) -> Emit<false> {
    let payload = UserAuthenticationSucceeded {
        application_id: application.map(str::to_owned),
    };
    Emit {
        id: user.into(),
        event_type: UserAuthenticationSucceeded::TYPE,
        payload: serde_json::to_value(payload).unwrap(),
    }
}

fn project_event(project: &str, event_type: &'static str) -> Emit<true> {
    Emit {
        id: project.into(),
        event_type,
        payload: serde_json::json!({ "name": "Console" }),
    }
}

/// What an instance reached once it was created and users logged in, to it
/// and to an application.
const LOGGED_IN: [&str; 3] = [
    "instance_created",
    "authentication_succeeded_on_instance",
    "authentication_succeeded_on_application",
];

/// The milestones pushed for `instance`, in order.
async fn pushed(store: &Arc<dyn EventStore>, instance: &str) -> Vec<String> {
    let aggregate = AggregateRef::new(instance, AGGREGATE_TYPE, instance);
    store
        .query(&EventQuery::aggregate(&aggregate))
        .await
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e.event_type, MilestoneReached::TYPE);
            serde_json::from_value::<MilestoneReached>(e.payload.clone())
                .unwrap()
                .milestone
        })
        .collect()
}

async fn new_instance(commands: &Commands, domain: &str) -> String {
    let written = commands
        .add_instance("system", "Acme", &[domain.to_owned()])
        .await
        .unwrap();
    written.aggregate.aggregate_id
}

#[tokio::test]
async fn given_a_new_instance_when_it_is_added_then_instance_created_is_reached_with_it() {
    let (commands, store, _dir) = fixture().await;
    let a = new_instance(&commands, "a.example").await;
    let b = new_instance(&commands, "b.example").await;
    assert_eq!(pushed(&store, &a).await, ["instance_created"]);
    assert_eq!(pushed(&store, &b).await, ["instance_created"]);
}

#[tokio::test]
async fn given_an_instance_when_users_log_in_then_each_login_milestone_is_reached_once() {
    let (commands, store, _dir) = fixture().await;
    let id = new_instance(&commands, "login.example").await;
    let ctx = CommandContext::new(&id, "user-1");
    commands
        .execute(&ctx, &login("user-1", None))
        .await
        .unwrap();
    commands
        .execute(&ctx, &login("user-1", None))
        .await
        .unwrap();
    commands
        .execute(&ctx, &login("user-2", Some("app-1")))
        .await
        .unwrap();
    commands
        .execute(&ctx, &login("user-2", Some("app-2")))
        .await
        .unwrap();
    assert_eq!(pushed(&store, &id).await, LOGGED_IN);
}

#[tokio::test]
async fn given_an_instance_when_projects_and_applications_are_added_then_their_milestones_are_reached_once()
 {
    let (commands, store, _dir) = fixture().await;
    let id = new_instance(&commands, "projects.example").await;
    let ctx = CommandContext::new(&id, "admin");
    for project in ["p1", "p2"] {
        let added = project_event(project, milestone::PROJECT_ADDED);
        commands.execute(&ctx, &added).await.unwrap();
        let app = project_event(project, milestone::APPLICATION_ADDED);
        commands.execute(&ctx, &app).await.unwrap();
    }
    assert_eq!(
        pushed(&store, &id).await,
        ["instance_created", "project_created", "application_created"]
    );
}

#[tokio::test]
async fn given_concurrent_first_logins_when_they_race_then_the_milestone_is_reached_exactly_once() {
    let (commands, store, _dir) = fixture().await;
    let commands = Arc::new(commands);
    let id = new_instance(&commands, "race.example").await;
    let logins = (0..16).map(|n| {
        let commands = commands.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let ctx = CommandContext::new(&id, "user");
            commands
                .execute(&ctx, &login(&format!("user-{n}"), Some("app")))
                .await
        })
    });
    for login in futures::future::join_all(logins).await {
        login.unwrap().expect("every login succeeds");
    }
    assert_eq!(pushed(&store, &id).await, LOGGED_IN);
}

#[tokio::test]
async fn given_every_milestone_reached_when_more_eligible_actions_come_then_none_is_checked_again()
{
    let (commands, store, _dir) = fixture().await;
    let id = new_instance(&commands, "done.example").await;
    let ctx = CommandContext::new(&id, "admin");
    commands
        .execute(&ctx, &login("u", Some("app")))
        .await
        .unwrap();
    let project = project_event("p", milestone::PROJECT_ADDED);
    commands.execute(&ctx, &project).await.unwrap();
    let app = project_event("p", milestone::APPLICATION_ADDED);
    commands.execute(&ctx, &app).await.unwrap();
    commands.remove_instance("system", &id).await.unwrap();
    let all: Vec<&str> = Milestone::ALL.iter().map(|m| m.name()).collect();
    let mut reached = pushed(&store, &id).await;
    reached.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(reached, expected);
    // The next eligible action reads the state once and flags it complete;
    // from then on not even the cache is asked.
    commands.execute(&ctx, &login("u", None)).await.unwrap();
    assert!(commands.milestones.is_complete(&id));
    assert_eq!(pushed(&store, &id).await.len(), all.len());
}
