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

use super::spooling::pg_options;
use super::{Api, Backend, start};
use crate::support::postgres_store_on;

#[tokio::test]
async fn killing_the_leader_moves_the_projections_to_the_other_node() {
    let backend = Backend::postgres().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start(dir_a.path(), &backend, &[]).await;
    let b = start(dir_b.path(), &backend, &[]).await;
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));

    // A started first and leads; B reads A's writes through the shared tables.
    let org = api_a.add_org("Failover").await;
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(api_a.add_user(&org, &format!("before{n}"), None).await);
    }
    let (status, _) = api_b.get(&format!("/v1/users/{}", users[4])).await;
    assert_eq!(status, StatusCode::OK);
    let leaders = |status: &serde_json::Value| -> usize {
        status
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["generations"][0]["spooler"]["state"] == "running")
            .count()
    };
    let (_, on_a) = api_a.get("/admin/v1/projections").await;
    let (_, on_b) = api_b.get("/admin/v1/projections").await;
    assert_eq!((leaders(&on_a), leaders(&on_b)), (3, 0), "{on_a}\n{on_b}");

    a.kill().await;
    let killed = Instant::now();
    let user = api_b.add_user(&org, "after", None).await;
    let (status, body) = api_b.get(&format!("/v1/users/{user}")).await;
    let took = killed.elapsed();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(took < Duration::from_secs(5), "took over after {took:?}");
    let (_, on_b) = api_b.get("/admin/v1/projections").await;
    assert_eq!(leaders(&on_b), 3, "{on_b}");

    for n in 0..5 {
        api_b.add_user(&org, &format!("later{n}"), None).await;
    }
    let (_, list) = api_b.get(&format!("/v1/users?orgId={org}")).await;
    assert_eq!(list["total"], 11, "{list}");

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
