//! The audit API: the instance's events filtered by aggregate, type, actor
//! and time range, paged by position in both directions; auditors and
//! administrators only.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::first_instance;
use crate::cqrs::{Backend, start};
use crate::support::Api;

const LIST_EVENTS: &str = "rampart.event.v1.EventService/ListEvents";

fn types(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_filter_by_type_actor_and_time_and_page_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    let (_, org) = first_instance(&admin).await;
    let (auditor_id, auditor) = admin.add_machine(&org, "auditor", &["IAM_AUDITOR"]).await;
    let (writer_id, writer) = admin.add_machine(&org, "writer", &["IAM_OWNER"]).await;
    let (_, manager) = admin
        .add_machine(&org, "manager", &["IAM_USER_MANAGER"])
        .await;
    let writer = Api::at(&server.url, Some(&writer));
    let auditor = Api::at(&server.url, Some(&auditor));
    let before = chrono::Utc::now();
    for name in ["One", "Two", "Three"] {
        writer.add_org(name).await;
    }
    let after = chrono::Utc::now();

    // Only the writer's org additions, oldest first.
    let mine = auditor
        .ok(
            LIST_EVENTS,
            json!({ "creator": writer_id, "eventTypes": ["org.added"] }),
        )
        .await;
    assert_eq!(types(&mine), ["org.added"; 3], "{mine}");
    // The same by time range.
    let window = auditor
        .ok(
            LIST_EVENTS,
            json!({ "eventTypes": ["org.added"], "createdAfter": before.to_rfc3339(),
                    "createdBefore": after.to_rfc3339() }),
        )
        .await;
    assert_eq!(window["events"], mine["events"], "{window}");
    let none = auditor
        .ok(
            LIST_EVENTS,
            json!({ "eventTypes": ["org.added"], "createdAfter": after.to_rfc3339() }),
        )
        .await;
    assert!(none.get("events").is_none(), "{none}");

    // Newest first, a page at a time, back to the start.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = auditor
            .ok(
                LIST_EVENTS,
                json!({ "creator": writer_id, "eventTypes": ["org.added"], "descending": true, "limit": 2,
                        "afterPosition": cursor }),
            )
            .await;
        seen.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["position"].as_str().unwrap().to_owned()),
        );
        match page["nextPosition"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let oldest_first: Vec<String> = mine["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = oldest_first;
    expected.reverse();
    assert_eq!(seen, expected, "every event once, newest first");

    assert_ne!(auditor_id, writer_id);
    // A user manager may not read the trail.
    let (status, body) = Api::at(&server.url, Some(&manager))
        .call(LIST_EVENTS, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("event.read"),
        "{body}"
    );
}
