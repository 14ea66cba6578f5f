//! The plugin service of the real server (`rampart.plugin.v1.PluginService`):
//! listing, dry runs, a hostile plugin dropped in at run time, a broken
//! file, a forced reload, and who may call it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Api, TestServer};

use super::{add_user, test_plugin};

const LIST: &str = "rampart.plugin.v1.PluginService/ListPlugins";
const GET: &str = "rampart.plugin.v1.PluginService/GetPlugin";
const RELOAD: &str = "rampart.plugin.v1.PluginService/ReloadPlugins";
const VALIDATE: &str = "rampart.plugin.v1.PluginService/ValidateCommand";
const PROJECT: &str = "rampart.plugin.v1.PluginService/ProjectEvent";

/// Polls the status until `plugin` serves; returns it.
async fn wait_for(api: &Api, plugin: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = api.call(GET, json!({ "name": plugin })).await;
        if status == StatusCode::OK {
            return body["plugin"].clone();
        }
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{plugin} never started serving"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A `ValidateCommand` request for `plugin` with a command named `name`.
fn validate(plugin: &str, name: &str, payload: Value) -> Value {
    json!({
        "name": plugin,
        "command": {
            "name": name, "instanceId": "i1", "actor": "admin",
            "aggregateType": "user", "aggregateId": "u1", "payload": payload,
        },
    })
}

/// A `ProjectEvent` request for `plugin` with a well-formed event.
fn project(plugin: &str) -> Value {
    json!({
        "name": plugin,
        "event": {
            "instanceId": "i", "aggregateType": "user", "aggregateId": "a", "sequence": "1",
            "position": "1.0", "eventType": "user.locked", "revision": 1, "creator": "c",
            "createdAt": "1970-01-01T00:00:00Z", "payload": {},
        },
    })
}

/// The `reason` of an error's `google.rpc.ErrorInfo`.
fn reason(body: &Value) -> Option<&str> {
    body["details"]
        .as_array()?
        .iter()
        .find(|d| d["type"] == "google.rpc.ErrorInfo")?["debug"]["reason"]
        .as_str()
}

#[tokio::test]
async fn the_status_api_lists_shipped_plugins_and_contains_a_hostile_one_dropped_in_at_run_time() {
    // given: a server with a config that sets the hostile plugin's mode
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rampart.yaml");
    std::fs::write(
        &config,
        "Plugins:\n  hostile:\n    Config: {mode: loop}\n    Deadline: 30ms\n    Grants: [log, config, clock]\n",
    )
    .unwrap();
    let server = TestServer::start(dir.path(), &[], &["--config", config.to_str().unwrap()])
        .await
        .unwrap();
    let api = Api::new(&server);

    // then: the shipped validators serve, in the configured order
    let list = api.ok(LIST, json!({})).await;
    let names: Vec<&str> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "authorizations",
            "email-format",
            "instances",
            "org-domain-policy",
            "orgs",
            "password-policy",
            "projects",
            "redirect-uri-policy",
            "role-key-format",
            "sessions",
            "username-format",
            "users"
        ]
    );
    let password = &list["plugins"][5];
    assert_eq!(
        (password["world"].as_str(), password["order"].as_u64()),
        (Some("PLUGIN_WORLD_VALIDATOR"), Some(1))
    );
    assert_eq!(
        password["source"],
        json!({"kind": "PLUGIN_SOURCE_KIND_SHIPPED", "path": "password-policy"})
    );
    assert_eq!(password["hash"].as_str().unwrap().len(), 64);
    let users = &list["plugins"][11];
    assert_eq!(users["world"], "PLUGIN_WORLD_PROJECTION");
    assert!(users.get("order").is_none(), "0 is omitted: {users}");
    assert_eq!(
        api.ok(GET, json!({"name": "password-policy"})).await["plugin"]["name"],
        "password-policy"
    );

    // when: a dry run of the password policy
    let weak = validate(
        "password-policy",
        "user.human.add",
        add_user("ada", "ada@example.com", Some("abc")),
    );
    let verdict = api.ok(VALIDATE, weak).await;
    // then: the plugin's code and message
    assert_eq!(verdict["verdict"], "VERDICT_REJECTED", "{verdict}");
    assert_eq!(verdict["rejection"]["code"], "PASSWORD_TOO_SHORT");
    let strong = validate(
        "password-policy",
        "user.human.add",
        add_user("ada", "ada@example.com", Some("Sup3r-secret")),
    );
    let verdict = api.ok(VALIDATE, strong).await;
    assert_eq!(verdict["verdict"], "VERDICT_ALLOWED", "{verdict}");
    assert!(verdict.get("rejection").is_none(), "{verdict}");

    // when: a looping plugin is dropped into the watched directory
    std::fs::copy(
        test_plugin("hostile"),
        dir.path().join("data/plugins/hostile.wasm"),
    )
    .unwrap();
    let hostile = wait_for(&api, "hostile").await;
    assert_eq!(
        hostile["source"]["kind"], "PLUGIN_SOURCE_KIND_FILE",
        "{hostile}"
    );
    assert!(hostile.get("calls").is_none(), "no call yet: {hostile}");
    let (status, error) = api
        .call(VALIDATE, validate("hostile", "x", json!({})))
        .await;
    // then: the caller gets a clear error, the server keeps serving, the status shows it
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{error}");
    assert_eq!(error["code"], "internal");
    assert_eq!(reason(&error), Some("PLUGIN_DEADLINE_EXCEEDED"), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("plugin `hostile` exceeded its 30ms deadline"),
        "{error}"
    );
    let hostile = api.ok(GET, json!({"name": "hostile"})).await["plugin"].clone();
    assert_eq!(
        (hostile["calls"].as_str(), hostile["errors"].as_str()),
        (Some("1"), Some("1")),
        "uint64 as strings: {hostile}"
    );
    assert!(
        hostile["lastError"]["message"]
            .as_str()
            .unwrap()
            .contains("deadline")
    );
    assert!(hostile["latencyP50Us"].as_f64().unwrap() >= 30_000.0);
    let ready = reqwest::get(format!("{}/debug/ready", server.url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    // when: the file is replaced by garbage and a reload is forced
    std::fs::write(dir.path().join("data/plugins/hostile.wasm"), b"garbage").unwrap();
    let report = api.ok(RELOAD, json!({})).await;
    // then: the previous version keeps serving and the failure is reported
    let list = api.ok(LIST, json!({})).await;
    let failure = &list["failures"][0];
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("not a valid WebAssembly component"),
        "{list} {report}"
    );
    assert_eq!(failure["stillServing"], "hostile@1.0.0");
    let hostile = api.ok(GET, json!({"name": "hostile"})).await;
    assert_eq!(
        hostile["plugin"]["lastLoadError"]["stillServing"],
        "hostile@1.0.0"
    );
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn dry_runs_answer_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let api = Api::new(&server);
    // an unknown plugin
    for (method, body) in [
        (VALIDATE, validate("nope", "x", json!({}))),
        (PROJECT, project("nope")),
        (GET, json!({"name": "nope"})),
    ] {
        let (status, body) = api.call(method, body).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{method}: {body}"
        );
        assert!(body["message"].as_str().unwrap().contains("nope"), "{body}");
    }
    // a body that is not a command, or none
    for (body, field) in [
        (
            json!({"name": "password-policy", "command": {}}),
            "command.name",
        ),
        (json!({"name": "password-policy"}), "command"),
        (
            json!({"name": "password-policy", "command": {"name": "user.human.add",
                   "instanceId": "i1", "actor": "admin", "aggregateType": "user"}}),
            "command.aggregate_id",
        ),
        (validate("", "x", json!({})), "name"),
    ] {
        let (status, answer) = api.call(VALIDATE, body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_argument")),
            "{answer}"
        );
        let violation = &answer["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["type"] == "google.rpc.BadRequest")
            .expect("a BadRequest detail")["debug"]["fieldViolations"][0];
        assert_eq!(violation["field"], field, "{answer}");
        assert_eq!(violation["description"], "is required", "{answer}");
    }
    // an event whose position is not one
    let mut bad = project("users");
    bad["event"]["position"] = json!("x");
    let (status, answer) = api.call(PROJECT, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("event.position"),
        "{answer}"
    );
    // a projection answers with the statements it would execute
    let answer = api.ok(PROJECT, project("users")).await;
    assert_eq!(
        answer["statements"][0]["update"]["table"], "users",
        "{answer}"
    );
    // a validator asked to project
    let (status, body) = api.call(PROJECT, project("password-policy")).await;
    assert_eq!(
        (status, body["code"].as_str(), reason(&body)),
        (
            StatusCode::NOT_FOUND,
            Some("not_found"),
            Some("PLUGIN_NOT_FOUND")
        ),
        "{body}"
    );
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn the_plugin_service_needs_a_system_role_not_a_loopback_peer() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;
    let (_, iam_owner) = admin.add_machine(&org, "iam-owner", &["IAM_OWNER"]).await;
    let (_, nobody) = admin.add_machine(&org, "nobody", &[]).await;
    let calls = [
        (LIST, json!({}), "system.plugin.read"),
        (GET, json!({"name": "users"}), "system.plugin.read"),
        (RELOAD, json!({}), "system.plugin.write"),
        (
            VALIDATE,
            validate(
                "password-policy",
                "user.human.add",
                add_user("ada", "ada@example.com", Some("Sup3r-secret")),
            ),
            "system.plugin.write",
        ),
        (PROJECT, project("users"), "system.plugin.write"),
    ];
    for (method, body, permission) in calls {
        // No credential, or one that is no token: 401.
        for token in [None, Some("nope")] {
            let (status, answer) = admin.with_token(token).call(method, body.clone()).await;
            assert_eq!(
                (status, answer["code"].as_str(), reason(&answer)),
                (
                    StatusCode::UNAUTHORIZED,
                    Some("unauthenticated"),
                    Some("UNAUTHENTICATED")
                ),
                "{method} with {token:?}: {answer}"
            );
        }
        // A token without a SYSTEM_* role, even the instance's owner: 403
        // naming the permission.
        for token in [&iam_owner, &nobody] {
            let (status, answer) = admin
                .with_token(Some(token.as_str()))
                .call(method, body.clone())
                .await;
            assert_eq!(
                (status, answer["code"].as_str(), reason(&answer)),
                (
                    StatusCode::FORBIDDEN,
                    Some("permission_denied"),
                    Some("PERMISSION_DENIED")
                ),
                "{method}: {answer}"
            );
            let message = answer["message"].as_str().unwrap();
            assert!(
                message.contains(permission) && message.contains("SYSTEM_"),
                "{method}: {message}"
            );
        }
        // The administrator (SYSTEM_OWNER) may.
        let (status, answer) = admin.call(method, body).await;
        assert_eq!(status, StatusCode::OK, "{method}: {answer}");
    }
    // The instance owner keeps its instance-level permissions.
    admin
        .with_token(Some(iam_owner.as_str()))
        .ok("rampart.org.v1.OrgService/ListOrgs", json!({}))
        .await;
    server.terminate().await.unwrap();
}
