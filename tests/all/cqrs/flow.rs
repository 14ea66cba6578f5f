//! Given a fresh server, when a client creates, changes and reads its
//! organizations and users over HTTP, then it reads its own writes at once,
//! rejected commands carry the plugin's code and store nothing, and the
//! audit trail names the actor.

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, Backend, start, user_body};

#[tokio::test]
async fn crud_and_read_your_writes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    exercise(&Api::new(&server)).await;
}

#[tokio::test]
async fn crud_and_read_your_writes_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(dir.path(), &backend, &[]).await;
    exercise(&Api::new(&server)).await;
}

async fn exercise(api: &Api) {
    // The first instance exists and resolves from 127.0.0.1.
    let (status, instance) = api.get("/v1/instance").await;
    assert_eq!(status, StatusCode::OK, "{instance}");
    assert_eq!(instance["name"], "Rampart");
    assert_eq!(instance["primaryDomain"], "localhost");

    // An organization, read back at once by id and by its generated domain.
    let org = api.add_org("ACME Corp").await;
    let (status, body) = api.get(&format!("/v1/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "ACME Corp");
    assert_eq!(body["state"], "active");
    assert_eq!(body["primaryDomain"], "acme-corp.localhost");
    let (status, body) = api.get("/v1/orgs/by-domain/acme-corp.localhost").await;
    assert_eq!((status, body["id"].clone()), (StatusCode::OK, json!(org)));

    // A user, read back at once by id, by username and through the list.
    let user = api.add_user(&org, "Ada.L", Some("Str0ng-Password")).await;
    let (status, body) = api.get(&format!("/v1/users/{user}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["username"], "ada.l");
    assert_eq!(body["orgId"], json!(org));
    assert_eq!(body["passwordSet"], true);
    assert_eq!(body["emailVerified"], true);
    assert_eq!(body["creator"], "tester");
    assert!(body.get("passwordHash").is_none(), "{body}");
    let (_, by_name) = api.get("/v1/users/by-username/ADA.L").await;
    assert_eq!(by_name["id"], json!(user));
    let (status, list) = api.get(&format!("/v1/users?orgId={org}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["result"][0]["id"], json!(user));

    // Rejections carry the plugin's code and store nothing.
    for (body, code) in [
        (user_body(&org, "weak", Some("short")), "PASSWORD_TOO_SHORT"),
        (
            json!({"orgId": org, "username": "bad", "profile": {"givenName": "B", "familyName": "E"},
                   "email": {"address": "not-an-address"}}),
            "EMAIL_INVALID",
        ),
    ] {
        let (status, answer) = api.post("/v1/users", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, answer) = api.post("/v1/users", user_body(&org, "ADA.l", None)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "ALREADY_EXISTS");
    let (_, list) = api.get(&format!("/v1/users?orgId={org}")).await;
    assert_eq!(list["total"], 1, "rejected commands stored nothing: {list}");

    // Changes show at once; state rules are enforced.
    let (status, _) = api
        .put(
            &format!("/v1/users/{user}/profile"),
            json!({"givenName": "Augusta", "familyName": "King"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = api.get(&format!("/v1/users/{user}")).await;
    assert_eq!(body["givenName"], "Augusta");
    assert_eq!(
        api.post(&format!("/v1/users/{user}/lock"), json!({}))
            .await
            .0,
        StatusCode::OK
    );
    let (_, body) = api.get(&format!("/v1/users/{user}")).await;
    assert_eq!(body["state"], "locked");
    let (status, answer) = api.post(&format!("/v1/users/{user}/lock"), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "FAILED_PRECONDITION");

    // The audit trail lists every event with its actor, secrets redacted.
    let (status, trail) = api.get(&format!("/v1/users/{user}/events")).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let events = trail["events"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "user.human.added",
            "user.human.profile.changed",
            "user.locked"
        ]
    );
    assert!(events.iter().all(|e| e["creator"] == "tester"));
    assert_eq!(events[0]["payload"]["passwordHash"], "<redacted>");
    let (_, page) = api
        .get(&format!("/v1/users/{user}/events?afterSequence=1&limit=1"))
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["events"][0]["eventType"], "user.human.profile.changed");
    assert_eq!(page["nextAfterSequence"], 2);

    // Removal frees the username.
    assert_eq!(
        api.delete(&format!("/v1/users/{user}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&format!("/v1/users/{user}")).await.0,
        StatusCode::NOT_FOUND
    );
    api.add_user(&org, "ada.l", None).await;

    // Bad queries say what is wrong.
    let (status, answer) = api.get("/v1/users?nickname=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"].as_str().unwrap().contains("givenName"),
        "{answer}"
    );
    let (status, answer) = api.get("/v1/orgs/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = api.get(&format!("/v1/orgs/{org}/events?limit=many")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "INVALID_ARGUMENT");
    let (status, answer) = api
        .post("/v1/users", json!({"orgId": org, "username": "x"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("profile"),
        "{answer}"
    );
}

#[tokio::test]
async fn an_unknown_host_name_is_no_instance() {
    let dir = tempfile::tempdir().unwrap();
    // The default, relative code cache (the other tests share one absolute
    // cache to compile each component once).
    let cache = [("RAMPART_PLUGINS_CACHEDIR", "./data/plugin-cache")];
    let server = start(dir.path(), &Backend::Sqlite, &cache).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/instance", server.url))
        .header("host", "nowhere.example:443")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "INSTANCE_NOT_FOUND");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("nowhere.example")
    );
}

#[tokio::test]
async fn a_second_instance_serves_its_own_domain() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let api = Api::new(&server);
    let (status, body) = api
        .post(
            "/admin/v1/instances",
            json!({"name": "Tenant B", "domains": ["b.example"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let client = reqwest::Client::new();
    let on_b = |path: &str| {
        client
            .get(format!("{}{path}", server.url))
            .header("host", "b.example")
            .send()
    };
    let instance: serde_json::Value = on_b("/v1/instance").await.unwrap().json().await.unwrap();
    assert_eq!(instance["name"], "Tenant B");
    // The first instance's organization is not visible from B.
    let orgs: serde_json::Value = on_b("/v1/orgs").await.unwrap().json().await.unwrap();
    assert_eq!(
        orgs["total"], 0,
        "B sees none of the first instance's orgs: {orgs}"
    );
    let (status, _) = api
        .post(
            "/admin/v1/instances",
            json!({"name": "Dup", "domains": ["B.example"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
