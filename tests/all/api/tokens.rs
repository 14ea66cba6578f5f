//! Personal access tokens over the real server: shown once, stored and
//! listed without their secret, honoured at once, and refused on every node
//! as soon as they are revoked.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::first_instance;
use crate::cqrs::{Backend, start};
use crate::support::Api;

/// How long another node may keep honouring a revoked token.
const REVOCATION_BOUND: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_is_shown_once_stored_as_a_hash_and_revoked_on_every_node() {
    let backend = Backend::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &backend, &[]).await;
    let other_dir = tempfile::tempdir().unwrap();
    let second = start(other_dir.path(), &backend, &[]).await;
    let admin = Api::new(&first);
    let (_, org) = first_instance(&admin).await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/admin.pat"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the first token is readable by its owner only"
        );
    }
    let (id, token) = admin.add_machine(&org, "robot", &["IAM_AUDITOR"]).await;
    let secret = token.rsplit('_').next().unwrap();
    assert_eq!(secret.len(), 64, "256 bits as hex: {token}");

    let on_first = Api::at(&first.url, Some(&token));
    let on_second = Api::at(&second.url, Some(&token));
    let me = on_second
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(
        me["user"]["id"],
        id.as_str(),
        "honoured on another node at once"
    );
    on_first
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;

    let listed = admin
        .ok(
            "rampart.user.v1.UserService/ListPersonalAccessTokens",
            json!({ "userId": id }),
        )
        .await;
    let listed_text = listed.to_string();
    assert_eq!(listed["result"].as_array().unwrap().len(), 1, "{listed}");
    assert!(
        listed["result"][0]["expirationDate"].is_string(),
        "{listed}"
    );
    assert!(!listed_text.contains(secret), "the secret is never listed");
    let trail = admin
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": "user", "aggregateId": id }),
        )
        .await
        .to_string();
    assert!(!trail.contains(secret), "the secret is not stored: {trail}");
    assert!(trail.contains("user.pat.added"), "{trail}");
    assert!(
        trail.contains("<redacted>"),
        "the hash is not shown: {trail}"
    );

    let token_id = listed["result"][0]["tokenId"].as_str().unwrap();
    admin
        .ok(
            "rampart.user.v1.UserService/RemovePersonalAccessToken",
            json!({ "userId": id, "tokenId": token_id }),
        )
        .await;
    let (status, body) = on_first
        .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked at once here: {body}"
    );
    assert_eq!(body["code"], "unauthenticated");
    let revoked = Instant::now();
    loop {
        let (status, _) = on_second
            .call("rampart.auth.v1.AuthService/GetMyUser", json!({}))
            .await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            revoked.elapsed() < REVOCATION_BOUND,
            "the other node still honours the revoked token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "revocation reached the other node in {:?}",
        revoked.elapsed()
    );

    let (status, body) = admin
        .call(
            "rampart.user.v1.UserService/AddPersonalAccessToken",
            json!({ "userId": id, "expirationDate": "2001-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an expiry in the past: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_principal_is_the_actor_of_every_event_it_causes() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    let (_, org) = first_instance(&admin).await;
    let (robot, token) = admin.add_machine(&org, "writer", &["IAM_OWNER"]).await;
    let writer = Api::at(&server.url, Some(&token));
    let created = writer.add_org("Written By Robot").await;
    let trail = admin
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": "org", "aggregateId": created }),
        )
        .await;
    let events = trail["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{trail}");
    assert!(
        events.iter().all(|e| e["creator"] == robot.as_str()),
        "{trail}"
    );
}
