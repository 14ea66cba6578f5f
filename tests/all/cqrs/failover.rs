//! Given two server processes on one PostgreSQL database, when the node
//! running the projections is killed, then the other takes them over within
//! 5 seconds, and the read model ends identical to a rebuild from scratch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart::config::Config;
use rampart::eventstore::{EventQuery, EventStore};
use rampart::plugins::PluginRegistry;
use rampart::readmodel::{Applied, ReadStore};
use reqwest::StatusCode;
use serde_json::json;

use super::spooling::pg_options;
use super::{Api, Backend, count, start};
use crate::support::postgres_store_on;

const GET_USER: &str = "rampart.user.v1.UserService/GetUser";
const LIST_PROJECTIONS: &str = "rampart.projection.v1.ProjectionService/ListProjections";

#[tokio::test]
async fn killing_the_leader_moves_the_projections_to_the_other_node() {
    let backend = Backend::postgres().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start(dir_a.path(), &backend, &[]).await;
    let b = start(dir_b.path(), &backend, &[]).await;
    // B wrote no token of its own: both use the first node's administrator.
    let api_a = Api::new(&a);
    let api_b = Api::at(&b.url, Some(&a.admin_token()));

    // A started first and leads; B reads A's writes through the shared tables.
    let org = api_a.add_org("Failover").await;
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(api_a.add_user(&org, &format!("before{n}"), None).await);
    }
    let (status, body) = api_b.call(GET_USER, json!({ "userId": users[4] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let leaders = |status: &serde_json::Value| -> usize {
        status["projections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["generations"][0]["spooler"]["state"] == "SPOOLER_STATE_RUNNING")
            .count()
    };
    let on_a = api_a.ok(LIST_PROJECTIONS, json!({})).await;
    let on_b = api_b.ok(LIST_PROJECTIONS, json!({})).await;
    assert_eq!((leaders(&on_a), leaders(&on_b)), (3, 0), "{on_a}\n{on_b}");

    a.kill().await;
    let killed = Instant::now();
    let user = api_b.add_user(&org, "after", None).await;
    let (status, body) = api_b.call(GET_USER, json!({ "userId": user })).await;
    let took = killed.elapsed();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(took < Duration::from_secs(5), "took over after {took:?}");
    let on_b = api_b.ok(LIST_PROJECTIONS, json!({})).await;
    assert_eq!(leaders(&on_b), 3, "{on_b}");

    for n in 0..5 {
        api_b.add_user(&org, &format!("later{n}"), None).await;
    }
    let list = api_b
        .ok(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": org }),
        )
        .await;
    assert_eq!(count(&list["details"]["total"]), 11, "{list}");

    let Backend::Postgres(db) = &backend else {
        unreachable!()
    };
    let store = Arc::new(postgres_store_on(db).await);
    let pool = sqlx::PgPool::connect_with(pg_options(db)).await.unwrap();
    let readstore = ReadStore::postgres(pool);
    let serving = readstore
        .serving("users")
        .await
        .unwrap()
        .expect("users serves");
    let live = readstore.dump(&serving, "users").await.unwrap();
    let rebuilt = rebuild_users(store.as_ref(), &readstore).await;
    assert_eq!(live, rebuilt);
    drop(b);
}

/// Replays every event through the shipped `users` plugin into fresh tables
/// of a scratch projection, and returns its rows.
async fn rebuild_users(
    store: &dyn EventStore,
    readstore: &ReadStore,
) -> Vec<rampart::readmodel::Row> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::defaults().plugins;
    config.dir = dir.path().join("plugins");
    config.cache_dir = crate::plugins::shared_cache();
    config.watch = false;
    let registry = PluginRegistry::start(config).unwrap();
    let users = registry.get("users").expect("shipped users projection");
    let generation = readstore
        .begin_generation(
            "users-rebuild-check",
            &users.manifest.version,
            &users.tables,
        )
        .await
        .unwrap();
    let events = store
        .query(&EventQuery::new().aggregate_type("user"))
        .await
        .unwrap();
    let mut from = rampart::eventstore::Position::ZERO;
    let items: Vec<Applied> = events
        .iter()
        .map(|event| Applied {
            position: event.position,
            statements: users
                .project(&rampart::spooler::envelope(event))
                .unwrap()
                .unwrap(),
        })
        .collect();
    for chunk in items.chunks(100) {
        from = readstore.apply(&generation, from, chunk).await.unwrap();
    }
    readstore.dump(&generation, "users").await.unwrap()
}
