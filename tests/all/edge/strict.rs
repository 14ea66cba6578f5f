//! Strict input: bodies refuse unknown fields, nested ones included, naming
//! them; a NUL character in a path id, a query parameter or a body string
//! gets the same 400 on SQLite and PostgreSQL, before any backend sees it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::expect_error;
use crate::cqrs::{Api, Backend, start, user_body};

/// Posts or puts `body` and expects a 400 naming every word of `names`.
async fn refused(api: &Api, method: &str, path: &str, body: Value, names: &[&str]) {
    let (status, answer) = match method {
        "PUT" => api.put(path, body).await,
        _ => api.post(path, body).await,
    };
    assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {answer}");
    assert_eq!(answer["code"], "INVALID_ARGUMENT", "{answer}");
    let message = answer["message"].as_str().unwrap();
    for name in names {
        assert!(
            message.contains(name),
            "{method} {path}: {message:?} lacks {name:?}"
        );
    }
}

#[tokio::test]
async fn unknown_fields_are_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let api = Api::new(&server);
    let org = api.add_org("ACME").await;

    // A misspelt password must not create a user without one.
    let mut body = user_body(&org, "ada", None);
    body["pasword"] = json!("Str0ng-Password");
    refused(&api, "POST", "/v1/users", body, &["`pasword`"]).await;
    for (field, value) in [
        ("state", json!("locked")),
        ("id", json!("u1")),
        ("instanceId", json!("i")),
    ] {
        let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
        body[field] = value;
        refused(&api, "POST", "/v1/users", body, &[&format!("`{field}`")]).await;
    }
    let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
    body["email"]["verifed"] = json!(true);
    refused(&api, "POST", "/v1/users", body, &["email", "`verifed`"]).await;
    let mut body = user_body(&org, "ada", Some("Str0ng-Password"));
    body["profile"]["nickname"] = json!("Ada");
    refused(&api, "POST", "/v1/users", body, &["profile", "`nickname`"]).await;
    let (_, list) = api.get(&format!("/v1/users?orgId={org}")).await;
    assert_eq!(list["total"], 0, "refused bodies stored nothing: {list}");

    // The well-formed body still works, password included.
    let user = api.add_user(&org, "ada", Some("Str0ng-Password")).await;
    let (_, row) = api.get(&format!("/v1/users/{user}")).await;
    assert_eq!(row["passwordSet"], true, "{row}");

    // Every other body, top level and nested.
    let u = format!("/v1/users/{user}");
    let o = format!("/v1/orgs/{org}");
    let cases: Vec<(&str, String, Value, Vec<&str>)> = vec![
        (
            "PUT",
            format!("{u}/profile"),
            json!({"givenName": "A", "familyName": "L", "middleName": "B"}),
            vec!["`middleName`"],
        ),
        (
            "PUT",
            format!("{u}/email"),
            json!({"address": "a@b.example", "verifed": true}),
            vec!["`verifed`"],
        ),
        (
            "PUT",
            format!("{u}/password"),
            json!({"password": "An0ther-Password", "old": "x"}),
            vec!["`old`"],
        ),
        (
            "POST",
            format!("{u}/lock"),
            json!({"reason": "x"}),
            vec!["reason"],
        ),
        (
            "POST",
            "/v1/orgs".into(),
            json!({"name": "Other", "domian": "o.example"}),
            vec!["`domian`"],
        ),
        (
            "PUT",
            o.clone(),
            json!({"name": "ACME 2", "id": "x"}),
            vec!["`id`"],
        ),
        (
            "POST",
            format!("{o}/domains"),
            json!({"domain": "acme.example", "verified": true}),
            vec!["`verified`"],
        ),
        (
            "POST",
            format!("{o}/deactivate"),
            json!({"force": true}),
            vec!["force"],
        ),
        (
            "PUT",
            "/v1/instance".into(),
            json!({"name": "X", "domains": []}),
            vec!["`domains`"],
        ),
        (
            "POST",
            "/v1/instance/domains".into(),
            json!({"domain": "x.example", "primary": true}),
            vec!["`primary`"],
        ),
        (
            "POST",
            "/admin/v1/instances".into(),
            json!({"name": "X", "domains": ["x.example"], "owner": "y"}),
            vec!["`owner`"],
        ),
        (
            "POST",
            "/admin/v1/plugins/reload".into(),
            json!({"all": true}),
            vec!["all"],
        ),
        (
            "POST",
            "/admin/v1/plugins/password-policy/validate".into(),
            json!({"command": {"name": "user.human.add", "instance_id": "i", "actor": "a",
                   "aggregate_type": "user", "aggregate_id": "u", "payload": "{}", "tenant": "t"}}),
            vec!["command", "`tenant`"],
        ),
    ];
    for (method, path, body, names) in cases {
        refused(&api, method, &path, body, &names).await;
    }
    // Nothing changed: the user is still active with its first profile.
    let (_, row) = api.get(&format!("/v1/users/{user}")).await;
    assert_eq!(
        (row["state"].as_str(), row["givenName"].as_str()),
        (Some("active"), Some("Ada"))
    );
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    nul_characters_are_refused(&server.url).await;
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn nul_characters_are_refused_alike_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::postgres().await;
    let server = start(dir.path(), &backend, &[]).await;
    nul_characters_are_refused(&server.url).await;
    server.terminate().await.unwrap();
}

async fn nul_characters_are_refused(url: &str) {
    let api = Api::at(url);
    let org = api.add_org("ACME").await;
    let client = reqwest::Client::new();
    // Path ids and query parameters, named in the answer.
    for (path, name) in [
        ("/v1/users/a%00b".to_owned(), "`id`"),
        ("/v1/users/%00/events".to_owned(), "`id`"),
        ("/v1/users/by-username/ada%00".to_owned(), "`username`"),
        ("/v1/orgs/by-domain/x%00.example".to_owned(), "`domain`"),
        ("/v1/users?username=a%00".to_owned(), "\"username\""),
        ("/v1/users?usernamePrefix%00=a".to_owned(), "usernamePrefix"),
        (format!("/v1/orgs/{org}/domains?domain=%00"), "\"domain\""),
        ("/admin/v1/instances/%00".to_owned(), "`id`"),
        (
            "/admin/v1/projections/users%00/failures".to_owned(),
            "`name`",
        ),
    ] {
        let answer = client.get(format!("{url}{path}")).send().await.unwrap();
        let (_, message) = expect_error(answer, 400, "INVALID_ARGUMENT").await;
        assert!(
            message.contains(name) && message.contains("NUL"),
            "{path}: {message}"
        );
    }
    let answer = client
        .delete(format!("{url}/v1/orgs/{org}/domains/a%00.example"))
        .send()
        .await
        .unwrap();
    let (_, message) = expect_error(answer, 400, "INVALID_ARGUMENT").await;
    assert!(message.contains("`domain`"), "{message}");
    // Body strings, named by their path.
    let mut body = user_body(&org, "ada", None);
    body["profile"]["givenName"] = json!("A\u{0}da");
    for (path, body, name) in [
        ("/v1/orgs", json!({"name": "a\u{0}b"}), "name"),
        ("/v1/users", body, "profile.givenName"),
        (
            "/admin/v1/instances",
            json!({"name": "X", "domains": ["ok.example", "x\u{0}"]}),
            "domains[1]",
        ),
    ] {
        let (status, answer) = api.post(path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["code"], "INVALID_ARGUMENT");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains(name) && message.contains("NUL"),
            "{path}: {message}"
        );
    }
    let (_, list) = api.get("/v1/orgs").await;
    assert_eq!(list["total"], 2, "only the bootstrap org and ACME: {list}");
}
