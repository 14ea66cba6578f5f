//! Given two server processes on one PostgreSQL database, when a domain moves
//! from one instance to another on node 1, then node 2 — which had the domain
//! cached under its old owner — routes the very next write to the new owner,
//! and its reads follow within moments.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, TwoNodes, two_nodes};

const GET_MY_INSTANCE: &str = "rampart.instance.v1.InstanceService/GetMyInstance";
const ADD_DOMAIN: &str = "rampart.instance.v1.InstanceService/AddMyInstanceDomain";
const ADD_ORG: &str = "rampart.org.v1.OrgService/AddOrg";
const GET_ORG: &str = "rampart.org.v1.OrgService/GetOrg";

#[tokio::test]
async fn a_moved_domain_routes_writes_to_its_new_instance_on_every_node() {
    let TwoNodes {
        a: node_1,
        b: node_2,
        api_a: a_1,
        api_b: a_2,
        dirs: _dirs,
        backend: _backend,
    } = two_nodes().await;

    // Instance A is the first instance (localhost); B is new, with an
    // administrator of its own (a token authenticates in its instance only).
    let answer = a_1
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({"name": "Tenant B", "domains": ["b.example"], "admin": {"username": "b-admin", "name": "B admin", "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
        )
        .await;
    let b_token = answer["adminToken"]
        .as_str()
        .expect("adminToken")
        .to_owned();
    let b_1 = Api::at(&node_1.url, Some(&b_token));
    let b_2 = Api::at(&node_2.url, Some(&b_token));
    a_1.ok(ADD_DOMAIN, json!({"domain": "moving.example"}))
        .await;

    // Node 2 resolves (and caches) moving.example as A, for reads and writes.
    let instance = a_2
        .on_host("moving.example")
        .ok(GET_MY_INSTANCE, json!({}))
        .await;
    assert_eq!(instance["instance"]["name"], "Rampart", "{instance}");
    a_2.on_host("moving.example")
        .ok(ADD_ORG, json!({"name": "Before the move"}))
        .await;

    // Node 1 moves the domain from A to B.
    a_1.ok(
        "rampart.instance.v1.InstanceService/RemoveMyInstanceDomain",
        json!({"domain": "moving.example"}),
    )
    .await;
    b_1.on_host("b.example")
        .ok(ADD_DOMAIN, json!({"domain": "moving.example"}))
        .await;

    // The next write through node 2 lands in B, not in A: B's token is
    // accepted there (in A it would be unauthenticated).
    let org = b_2
        .on_host("moving.example")
        .ok(ADD_ORG, json!({"name": "After the move"}))
        .await;
    let id = org["orgId"].as_str().unwrap();
    let (in_b, _) = b_2
        .on_host("b.example")
        .call(GET_ORG, json!({ "orgId": id }))
        .await;
    let (in_a, _) = a_2
        .on_host("localhost")
        .call(GET_ORG, json!({ "orgId": id }))
        .await;
    assert_eq!((in_b, in_a), (StatusCode::OK, StatusCode::NOT_FOUND));

    // Reads through node 2 follow too, within the notification delay.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, instance) = b_2
            .on_host("moving.example")
            .call(GET_MY_INSTANCE, json!({}))
            .await;
        if instance["instance"]["name"] == "Tenant B" {
            break;
        }
        assert!(Instant::now() < deadline, "node 2 still reads {instance}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
