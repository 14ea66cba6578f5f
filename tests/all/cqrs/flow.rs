//! Given a fresh server, when a client creates, changes and reads its
//! organizations and users over the public API, then it reads its own writes
//! at once, rejected commands carry the plugin's code and store nothing, and
//! the audit trail names the calling principal as the actor.

use reqwest::StatusCode;
use serde_json::json;

use super::{Api, Backend, assert_error, count, my_user_id, reason, start, user_body};

const GET_MY_INSTANCE: &str = "rampart.instance.v1.InstanceService/GetMyInstance";
const ADD_INSTANCE: &str = "rampart.instance.v1.InstanceService/AddInstance";
const LIST_ORGS: &str = "rampart.org.v1.OrgService/ListOrgs";
const GET_ORG: &str = "rampart.org.v1.OrgService/GetOrg";
const ADD_USER: &str = "rampart.user.v1.UserService/AddHumanUser";
const GET_USER: &str = "rampart.user.v1.UserService/GetUser";
const LIST_USERS: &str = "rampart.user.v1.UserService/ListUsers";
const LIST_EVENTS: &str = "rampart.event.v1.EventService/ListEvents";

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
    let answer = api.ok(GET_MY_INSTANCE, json!({})).await;
    let instance = &answer["instance"];
    assert_eq!(instance["name"], "Rampart", "{answer}");
    assert_eq!(instance["primaryDomain"], "localhost", "{answer}");
    let me = my_user_id(api).await;

    // An organization, read back at once by id and by its generated domain.
    let org = api.add_org("ACME Corp").await;
    let answer = api.ok(GET_ORG, json!({ "orgId": org })).await;
    let body = &answer["org"];
    assert_eq!(body["name"], "ACME Corp", "{answer}");
    assert_eq!(body["state"], "ORG_STATE_ACTIVE", "{answer}");
    assert_eq!(body["primaryDomain"], "acme-corp.localhost", "{answer}");
    assert_eq!(body["creator"], json!(me), "{answer}");
    let answer = api
        .ok(
            "rampart.org.v1.OrgService/GetOrgByDomain",
            json!({ "domain": "acme-corp.localhost" }),
        )
        .await;
    assert_eq!(answer["org"]["id"], json!(org), "{answer}");

    // A user, read back at once by id, by username and through the list.
    let user = api.add_user(&org, "Ada.L", Some("Str0ng-Password")).await;
    let answer = api.ok(GET_USER, json!({ "userId": user })).await;
    let body = &answer["user"];
    assert_eq!(body["username"], "ada.l", "{answer}");
    assert_eq!(body["orgId"], json!(org), "{answer}");
    assert_eq!(body["state"], "USER_STATE_ACTIVE", "{answer}");
    assert_eq!(body["human"]["passwordSet"], true, "{answer}");
    assert_eq!(body["human"]["emailVerified"], true, "{answer}");
    assert_eq!(
        body["creator"],
        json!(me),
        "the caller created it: {answer}"
    );
    assert!(
        !answer.to_string().contains("passwordHash"),
        "no hash in a read: {answer}"
    );
    let by_name = api
        .ok(
            "rampart.user.v1.UserService/GetUserByUsername",
            json!({ "username": "ADA.L" }),
        )
        .await;
    assert_eq!(by_name["user"]["id"], json!(user), "{by_name}");
    let list = api.ok(LIST_USERS, json!({ "orgId": org })).await;
    assert_eq!(count(&list["details"]["total"]), 1, "{list}");
    assert_eq!(list["result"][0]["id"], json!(user), "{list}");

    // Rejections carry the plugin's code and store nothing.
    for (body, code) in [
        (user_body(&org, "weak", Some("short")), "PASSWORD_TOO_SHORT"),
        (
            // Shaped like an address (the API's field rule lets it pass),
            // but the `email-format` plugin refuses the misplaced dot.
            json!({"orgId": org, "username": "bad", "profile": {"givenName": "B", "familyName": "E"},
                   "email": {"address": "a..b@example.com"}}),
            "EMAIL_INVALID",
        ),
    ] {
        let answer = api.call(ADD_USER, body).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_argument", code);
    }
    // Not an address at all: the API's own field rule, naming the field.
    let answer = api
        .call(
            ADD_USER,
            json!({"orgId": org, "username": "bad", "profile": {"givenName": "B", "familyName": "E"},
                   "email": {"address": "not-an-address"}}),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
    );
    assert!(
        answer.1.to_string().contains("email.address"),
        "{}",
        answer.1
    );
    let answer = api.call(ADD_USER, user_body(&org, "ADA.l", None)).await;
    assert_error(
        &answer,
        StatusCode::CONFLICT,
        "already_exists",
        "ALREADY_EXISTS",
    );
    let list = api.ok(LIST_USERS, json!({ "orgId": org })).await;
    assert_eq!(
        count(&list["details"]["total"]),
        1,
        "rejected commands stored nothing: {list}"
    );

    // Changes show at once; state rules are enforced.
    api.ok(
        "rampart.user.v1.UserService/UpdateHumanProfile",
        json!({"userId": user, "profile": {"givenName": "Augusta", "familyName": "King"}}),
    )
    .await;
    let answer = api.ok(GET_USER, json!({ "userId": user })).await;
    assert_eq!(
        answer["user"]["human"]["profile"]["givenName"], "Augusta",
        "{answer}"
    );
    api.ok(
        "rampart.user.v1.UserService/LockUser",
        json!({ "userId": user }),
    )
    .await;
    let answer = api.ok(GET_USER, json!({ "userId": user })).await;
    assert_eq!(answer["user"]["state"], "USER_STATE_LOCKED", "{answer}");
    let answer = api
        .call(
            "rampart.user.v1.UserService/LockUser",
            json!({ "userId": user }),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
    );

    // The audit trail lists every event with its actor, secrets redacted.
    let trail = api
        .ok(
            LIST_EVENTS,
            json!({ "aggregateType": "user", "aggregateId": user }),
        )
        .await;
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
        ],
        "{trail}"
    );
    assert!(events.iter().all(|e| e["creator"] == json!(me)), "{trail}");
    assert_eq!(
        events[0]["payload"]["passwordHash"], "<redacted>",
        "{trail}"
    );
    assert_eq!(trail.get("nextPosition"), None, "one page: {trail}");
    let page = api
        .ok(
            LIST_EVENTS,
            json!({ "aggregateType": "user", "aggregateId": user,
                    "afterPosition": events[0]["position"], "limit": 1 }),
        )
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(
        page["events"][0]["eventType"], "user.human.profile.changed",
        "{page}"
    );
    assert_eq!(page["nextPosition"], events[1]["position"], "{page}");

    // Removal frees the username.
    api.ok(
        "rampart.user.v1.UserService/RemoveUser",
        json!({ "userId": user }),
    )
    .await;
    let answer = api.call(GET_USER, json!({ "userId": user })).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "not_found", "NOT_FOUND");
    api.add_user(&org, "ada.l", None).await;

    // Bad requests say what is wrong.
    let (status, answer) = api.call(LIST_USERS, json!({ "nickname": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "invalid_argument", "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("nickname"),
        "{answer}"
    );
    let (status, answer) = api
        .call(LIST_USERS, json!({ "query": { "sortBy": "nickname" } }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("nickname"),
        "{answer}"
    );
    let answer = api.call(GET_ORG, json!({ "orgId": "nope" })).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "not_found", "NOT_FOUND");
    let answer = api
        .call(
            LIST_EVENTS,
            json!({ "aggregateType": "org", "aggregateId": org, "limit": "many" }),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
    );
    let answer = api
        .call(
            LIST_EVENTS,
            json!({ "aggregateType": "org", "aggregateId": org, "afterPosition": "soon" }),
        )
        .await;
    assert_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
    );
    assert!(
        answer.1.to_string().contains("after_position"),
        "{}",
        answer.1
    );
    let (status, answer) = api
        .call(ADD_USER, json!({"orgId": org, "username": "x"}))
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
    let api = Api::new(&server).on_host("nowhere.example:443");
    let answer = api.call(GET_MY_INSTANCE, json!({})).await;
    assert_error(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "INSTANCE_NOT_FOUND",
    );
    assert!(
        answer.1["message"]
            .as_str()
            .unwrap()
            .contains("nowhere.example"),
        "{}",
        answer.1
    );
}

/// A new instance comes with its own administrator and token.
#[tokio::test]
async fn a_second_instance_serves_its_own_domain() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(dir.path(), &backend, &[]).await;
    let api = Api::new(&server);
    let first_orgs = api.ok(LIST_ORGS, json!({})).await;
    assert!(count(&first_orgs["details"]["total"]) >= 1, "{first_orgs}");

    let answer = api
        .ok(
            ADD_INSTANCE,
            json!({"name": "Tenant B", "domains": ["b.example"], "admin": {"username": "b-admin", "name": "B admin", "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}}),
        )
        .await;
    let b_token = answer["adminToken"]
        .as_str()
        .expect("adminToken")
        .to_owned();
    let b = answer["instanceId"]
        .as_str()
        .expect("instanceId")
        .to_owned();
    let answer = api
        .ok(
            "rampart.instance.v1.InstanceService/GetInstance",
            json!({ "instanceId": b }),
        )
        .await;
    assert_eq!(answer["instance"]["name"], "Tenant B", "{answer}");
    assert_eq!(answer["instance"]["primaryDomain"], "b.example", "{answer}");
    assert_eq!(
        answer["instance"]["creator"],
        json!(my_user_id(&api).await),
        "{answer}"
    );
    let all = api
        .ok(
            "rampart.instance.v1.InstanceService/ListInstances",
            json!({}),
        )
        .await;
    assert_eq!(count(&all["details"]["total"]), 2, "{all}");

    // b.example resolves to B, where the first instance's token means nothing.
    let on_b = api.on_host("b.example");
    let answer = on_b.call(GET_MY_INSTANCE, json!({})).await;
    assert_error(
        &answer,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "UNAUTHENTICATED",
    );

    // B's own administrator, created with it, reads B there.
    let on_b = on_b.with_token(Some(&b_token));
    let instance = on_b.ok(GET_MY_INSTANCE, json!({})).await;
    assert_eq!(instance["instance"]["name"], "Tenant B", "{instance}");
    // The first instance's organizations are not visible from B: B lists
    // only its own one (its administrator's).
    let orgs = on_b.ok(LIST_ORGS, json!({})).await;
    assert_eq!(count(&orgs["details"]["total"]), 1, "{orgs}");
    for org in first_orgs["result"].as_array().unwrap() {
        assert_ne!(orgs["result"][0]["id"], org["id"], "{orgs}");
        let answer = on_b.call(GET_ORG, json!({ "orgId": org["id"] })).await;
        assert_eq!(answer.0, StatusCode::NOT_FOUND, "{}", answer.1);
    }

    let answer = api
        .call(
            ADD_INSTANCE,
            json!({"name": "Dup", "domains": ["B.example"], "admin": {"username": "dup-admin", "name": "Dup", "tokenExpirationDate": "2099-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(answer.0, StatusCode::CONFLICT, "{}", answer.1);
    assert_eq!(answer.1["code"], "already_exists", "{}", answer.1);
    assert!(!reason(&answer.1).is_empty(), "{}", answer.1);
}
