//! Given two nodes on one PostgreSQL, each with its own memory caches, when
//! node A changes an organization, then node B — which had it cached —
//! serves the change within the notification delay, not after the cache's
//! MaxAge (1 h). (Instances: `cqrs::routing`, a host name moved between
//! instances on one node, followed by the other's Instance cache.)

use std::time::{Duration, Instant};

use serde_json::json;

use crate::cqrs::{Api, TwoNodes, two_nodes};

const GET_ORG: &str = "rampart.org.v1.OrgService/GetOrg";

/// Longest the test waits for node B; the benchmark measures the window.
const PATIENCE: Duration = Duration::from_secs(5);

/// Polls `read` on node B until `seen` holds; how long it took.
async fn until(
    api: &Api,
    method: &str,
    body: serde_json::Value,
    seen: impl Fn(&serde_json::Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let answer = api.ok(method, body.clone()).await;
        if seen(&answer) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PATIENCE,
            "node B still serves {answer} after {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn a_change_on_one_node_reaches_the_memory_caches_of_the_other() {
    let TwoNodes {
        backend: _backend,
        a: _node_a,
        b: _node_b,
        api_a: a,
        api_b: b,
        dirs: _dirs,
    } = two_nodes().await;

    // Node B caches the organization.
    let org = a.add_org("Before").await;
    let read = b.ok(GET_ORG, json!({ "orgId": org })).await;
    assert_eq!(read["org"]["name"], "Before", "{read}");

    // Node A renames it.
    a.ok(
        "rampart.org.v1.OrgService/RenameOrg",
        json!({ "orgId": org, "name": "After" }),
    )
    .await;
    let window = until(&b, GET_ORG, json!({ "orgId": org }), |r| {
        r["org"]["name"] == "After"
    })
    .await;
    eprintln!("node B followed the rename in {window:?}");

    // A deactivated organization takes no new users through node B either,
    // though B had it cached as active.
    a.ok(
        "rampart.org.v1.OrgService/DeactivateOrg",
        json!({ "orgId": org }),
    )
    .await;
    until(&b, GET_ORG, json!({ "orgId": org }), |r| {
        r["org"]["state"] == "ORG_STATE_INACTIVE"
    })
    .await;
    let (status, answer) = b
        .call(
            "rampart.user.v1.UserService/AddHumanUser",
            crate::cqrs::user_body(&org, "late-user", None),
        )
        .await;
    assert_eq!(answer["code"], "failed_precondition", "{status} {answer}");
}
