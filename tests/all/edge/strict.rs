//! Strict input on the API methods: request bodies refuse unknown fields,
//! nested ones included, naming them; a NUL character in any string field
//! (ids, filters, nested messages, list items) gets the same 400 naming the
//! field on SQLite and PostgreSQL, before any backend sees it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{message, reason, violated_field};
use crate::cqrs::{Backend, start};
use crate::support::{Api, user_body};

/// Calls `method` with `body` and expects a 400 `invalid_argument` whose
/// message names every word of `names`; returns the answer.
async fn refused(api: &Api, method: &str, body: Value, names: &[&str]) -> Value {
    let (status, answer) = api.call(method, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{method}: {answer}");
    assert_eq!(answer["code"], "invalid_argument", "{method}: {answer}");
    assert_eq!(reason(&answer), Some("INVALID_ARGUMENT"), "{answer}");
    for name in names {
        assert!(
            message(&answer).contains(name),
            "{method}: {answer} lacks {name:?}"
        );
    }
    answer
}

/// The number of items a list answer reports (`details.total`, a uint64
/// in its JSON form; absent when 0).
fn total(list: &Value) -> u64 {
    list["details"]["total"]
        .as_str()
        .map_or(0, |t| t.parse().expect("a uint64"))
}

const ADD_HUMAN: &str = "rampart.user.v1.UserService/AddHumanUser";
const GET_USER: &str = "rampart.user.v1.UserService/GetUser";

#[tokio::test]
async fn unknown_fields_are_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let api = Api::new(&server);
    let org = api.add_org("ACME").await;

    // A misspelt password must not create a user without one.
    let mut body = user_body(&org, "ada", None);
    body["pasword"] = json!("Str0ng-Password");
    refused(&api, ADD_HUMAN, body, &["'pasword'", "AddHumanUserRequest"]).await;
    // Fields of the resource that the request does not take.
    for (field, value) in [
        ("state", json!("USER_STATE_LOCKED")),
        ("id", json!("u1")),
        ("instanceId", json!("i")),
        ("userId", json!("u1")),
    ] {
        let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
        body[field] = value;
        refused(&api, ADD_HUMAN, body, &[&format!("'{field}'")]).await;
    }
    // Nested messages refuse theirs too.
    let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
    body["email"]["verifed"] = json!(true);
    refused(&api, ADD_HUMAN, body, &["'verifed'"]).await;
    let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
    body["profile"]["nickname"] = json!("Ada");
    refused(&api, ADD_HUMAN, body, &["'nickname'"]).await;
    let list = api
        .ok(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": org }),
        )
        .await;
    assert_eq!(total(&list), 0, "refused bodies stored nothing: {list}");

    // The well-formed body still works, password included.
    let user = api.add_user(&org, "ada", Some("Str0ng-Password")).await;
    let row = api.ok(GET_USER, json!({ "userId": user })).await;
    assert_eq!(row["user"]["human"]["passwordSet"], true, "{row}");

    // Every other kind of body, top level and nested.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "rampart.user.v1.UserService/UpdateHumanProfile",
            json!({"userId": user, "profile": {"givenName": "A", "familyName": "L", "middleName": "B"}}),
            "'middleName'",
        ),
        (
            "rampart.user.v1.UserService/UpdateHumanEmail",
            json!({"userId": user, "email": {"address": "a@b.example", "verifed": true}}),
            "'verifed'",
        ),
        (
            "rampart.user.v1.UserService/SetPassword",
            json!({"userId": user, "password": "An0ther-Password", "old": "x"}),
            "'old'",
        ),
        (
            "rampart.user.v1.UserService/LockUser",
            json!({"userId": user, "reason": "x"}),
            "'reason'",
        ),
        (
            GET_USER,
            json!({"userId": user, "fields": ["username"]}),
            "'fields'",
        ),
        (
            "rampart.user.v1.UserService/ListUsers",
            json!({"orgId": org, "query": {"limit": 5, "page": 2}}),
            "'page'",
        ),
        (
            "rampart.org.v1.OrgService/AddOrg",
            json!({"name": "Other", "domian": "o.example"}),
            "'domian'",
        ),
        (
            "rampart.org.v1.OrgService/RenameOrg",
            json!({"orgId": org, "name": "ACME 2", "id": "x"}),
            "'id'",
        ),
        (
            "rampart.org.v1.OrgService/AddOrgDomain",
            json!({"orgId": org, "domain": "acme.example", "verified": true}),
            "'verified'",
        ),
        (
            "rampart.org.v1.OrgService/DeactivateOrg",
            json!({"orgId": org, "force": true}),
            "'force'",
        ),
        (
            "rampart.instance.v1.InstanceService/RenameMyInstance",
            json!({"name": "X", "domains": []}),
            "'domains'",
        ),
        (
            "rampart.instance.v1.InstanceService/AddMyInstanceDomain",
            json!({"domain": "x.example", "primary": true}),
            "'primary'",
        ),
        (
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({"name": "X", "domains": ["x.example"], "owner": "y"}),
            "'owner'",
        ),
        (
            "rampart.member.v1.MemberService/AddInstanceMember",
            json!({"userId": user, "roles": ["IAM_OWNER"], "expires": "never"}),
            "'expires'",
        ),
        (
            "rampart.plugin.v1.PluginService/ReloadPlugins",
            json!({"all": true}),
            "'all'",
        ),
        (
            "rampart.plugin.v1.PluginService/ValidateCommand",
            json!({"name": "password-policy", "command": {"name": "user.human.add",
                   "instanceId": "i", "actor": "a", "aggregateType": "user",
                   "aggregateId": "u", "payload": {}, "tenant": "t"}}),
            "'tenant'",
        ),
        (
            "rampart.projection.v1.ProjectionService/ListProjectionFailures",
            json!({"name": "users", "since": "yesterday"}),
            "'since'",
        ),
    ];
    for (method, body, name) in cases {
        refused(&api, method, body, &[name]).await;
    }
    // Nothing changed: the user is still active with its first profile, the
    // instance has no other member and no other domain.
    let row = api.ok(GET_USER, json!({ "userId": user })).await;
    assert_eq!(
        (
            row["user"]["state"].as_str(),
            row["user"]["human"]["profile"]["givenName"].as_str()
        ),
        (Some("USER_STATE_ACTIVE"), Some("Ada")),
        "{row}"
    );
    let domains = api
        .ok(
            "rampart.instance.v1.InstanceService/ListMyInstanceDomains",
            json!({}),
        )
        .await;
    assert!(!domains.to_string().contains("x.example"), "{domains}");
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    nul_characters_are_refused(&Api::new(&server)).await;
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(dir.path(), &backend, &[]).await;
    nul_characters_are_refused(&Api::new(&server)).await;
    server.terminate().await.unwrap();
}

async fn nul_characters_are_refused(api: &Api) {
    let org = api.add_org("ACME").await;
    let user = api.add_user(&org, "ada", None).await;
    let mut human = user_body(&org, "bob", None);
    human["profile"]["givenName"] = json!("B\u{0}ob");
    // Ids, lookups, filters, nested messages and list items, each named by
    // its path in the answer's message and in its `BadRequest`.
    let cases: Vec<(&str, Value, &str)> = vec![
        (GET_USER, json!({"userId": "a\u{0}b"}), "user_id"),
        (
            "rampart.user.v1.UserService/GetUserByUsername",
            json!({"username": "ada\u{0}"}),
            "username",
        ),
        (
            "rampart.user.v1.UserService/ListUsers",
            json!({"usernamePrefix": "a\u{0}"}),
            "username_prefix",
        ),
        (
            "rampart.user.v1.UserService/ListUsers",
            json!({"query": {"sortBy": "username\u{0}"}}),
            "query.sort_by",
        ),
        (
            "rampart.user.v1.UserService/LockUser",
            json!({"userId": format!("{user}\u{0}")}),
            "user_id",
        ),
        (
            "rampart.user.v1.UserService/SetPassword",
            json!({"userId": user, "password": "Str0ng-\u{0}Password"}),
            "password",
        ),
        (
            "rampart.event.v1.EventService/ListEvents",
            json!({"aggregateType": "user", "aggregateId": "\u{0}"}),
            "aggregate_id",
        ),
        (
            "rampart.org.v1.OrgService/GetOrgByDomain",
            json!({"domain": "x\u{0}.example"}),
            "domain",
        ),
        (
            "rampart.org.v1.OrgService/RemoveOrgDomain",
            json!({"orgId": org, "domain": "a\u{0}.example"}),
            "domain",
        ),
        (
            "rampart.instance.v1.InstanceService/GetInstance",
            json!({"instanceId": "\u{0}"}),
            "instance_id",
        ),
        (
            "rampart.projection.v1.ProjectionService/ListProjectionFailures",
            json!({"name": "users\u{0}"}),
            "name",
        ),
        (
            "rampart.org.v1.OrgService/AddOrg",
            json!({"name": "a\u{0}b"}),
            "name",
        ),
        (ADD_HUMAN, human, "profile.given_name"),
        (
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({"name": "X", "domains": ["ok.example", "x\u{0}"]}),
            "domains[1]",
        ),
    ];
    for (method, body, field) in cases {
        let answer = refused(api, method, body, &[field, "NUL"]).await;
        assert_eq!(violated_field(&answer), Some(field), "{method}: {answer}");
    }
    // Nothing was stored: the first instance's organization and ACME, Ada
    // as she was, and no second instance.
    let orgs = api
        .ok("rampart.org.v1.OrgService/ListOrgs", json!({}))
        .await;
    assert_eq!(total(&orgs), 2, "only the first org and ACME: {orgs}");
    let users = api
        .ok(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": org }),
        )
        .await;
    assert_eq!(total(&users), 1, "only Ada: {users}");
    let instances = api
        .ok(
            "rampart.instance.v1.InstanceService/ListInstances",
            json!({}),
        )
        .await;
    assert_eq!(total(&instances), 1, "{instances}");
}
