//! Milestones through the API: an instance created by the server reached
//! `instance_created`; a removed instance reached `instance_deleted`, once,
//! and its host name stops resolving.

use serde_json::{Value, json};

use crate::cqrs::{Api, Backend, start};

fn reached(answer: &Value) -> Vec<String> {
    answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["reached"] == true)
        .map(|m| m["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn milestones(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let mine = admin
        .ok(
            "rampart.instance.v1.InstanceService/ListMyMilestones",
            json!({}),
        )
        .await;
    assert_eq!(
        reached(&mine),
        ["MILESTONE_TYPE_INSTANCE_CREATED"],
        "{mine}"
    );
    assert_eq!(mine["result"].as_array().unwrap().len(), 6, "{mine}");

    let added = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Short-lived",
                "domains": ["short.example"],
                "admin": {
                    "username": "short-admin",
                    "name": "Short admin",
                    "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                },
            }),
        )
        .await;
    let id = added["instanceId"].as_str().unwrap().to_owned();
    let other = Api::new(&server).with_token(added["adminToken"].as_str());
    // Resolved (and cached) before it goes.
    other
        .on_host("short.example")
        .ok(
            "rampart.instance.v1.InstanceService/GetMyInstance",
            json!({}),
        )
        .await;
    admin
        .ok(
            "rampart.instance.v1.InstanceService/RemoveInstance",
            json!({ "instanceId": id }),
        )
        .await;
    let (status, answer) = other
        .on_host("short.example")
        .call(
            "rampart.instance.v1.InstanceService/GetMyInstance",
            json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{answer}");
    let theirs = admin
        .ok(
            "rampart.instance.v1.InstanceService/ListInstanceMilestones",
            json!({ "instanceId": id }),
        )
        .await;
    assert_eq!(
        reached(&theirs),
        [
            "MILESTONE_TYPE_INSTANCE_CREATED",
            "MILESTONE_TYPE_INSTANCE_DELETED"
        ],
        "{theirs}"
    );
    let (status, again) = admin
        .call(
            "rampart.instance.v1.InstanceService/RemoveInstance",
            json!({ "instanceId": id }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{again}");
    // A removed instance's host name is free for another.
    admin
        .ok(
            "rampart.instance.v1.InstanceService/AddMyInstanceDomain",
            json!({ "domain": "short.example" }),
        )
        .await;
}

#[tokio::test]
async fn milestones_are_listed_and_a_removed_instance_reaches_its_last_sqlite() {
    milestones(Backend::Sqlite).await;
}

#[tokio::test]
async fn milestones_are_listed_and_a_removed_instance_reaches_its_last_postgres() {
    milestones(Backend::postgres().await).await;
}
