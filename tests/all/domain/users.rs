//! Phone numbers and metadata of users through the public JSON API: numbers
//! normalized to E.164, metadata bytes round-tripped as base64, the limits,
//! read-your-writes, metadata rows leaving the read model with their user,
//! and tenant isolation between organizations and instances.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;

use super::refused;
use crate::cqrs::{Backend, count, start};
use crate::support::Api;

/// The path of `UserService` method `name`.
fn method(name: &str) -> String {
    format!("rampart.user.v1.UserService/{name}")
}

/// `bytes` as JSON carries them: padded standard base64.
fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The keys of a metadata list answer, in order.
fn keys(list: &Value) -> Vec<String> {
    list["result"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["key"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Sets metadata `key` of `user` to `value`; the raw answer.
async fn set(api: &Api, user: &str, key: &str, value: &[u8]) -> crate::support::Answer {
    api.call(
        &method("SetUserMetadata"),
        json!({ "userId": user, "key": key, "value": b64(value) }),
    )
    .await
}

/// The rows of `user` in the serving `user_metadata` table, read from the
/// database itself: what the API cannot show once the user is gone.
async fn metadata_rows(dir: &Path, backend: &Backend, user: &str) -> i64 {
    const TABLES: &str = "LIKE 'rm\\_users\\_%\\_user\\_metadata' ESCAPE '\\'";
    match backend {
        Backend::Sqlite => {
            let path = dir.join("data/projections.db");
            let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let table: String = sqlx::query_scalar(&format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name {TABLES}"
            ))
            .fetch_one(&mut db)
            .await
            .unwrap();
            sqlx::query_scalar(&format!(
                "SELECT count(*) FROM \"{table}\" WHERE user_id = ?"
            ))
            .bind(user)
            .fetch_one(&mut db)
            .await
            .unwrap()
        }
        Backend::Postgres(pg) => {
            let mut db = pg.connect().await;
            let table: String = sqlx::query_scalar(&format!(
                "SELECT table_name::text FROM information_schema.tables WHERE table_name {TABLES}"
            ))
            .fetch_one(&mut db)
            .await
            .unwrap();
            sqlx::query_scalar(&format!(
                "SELECT count(*) FROM \"{table}\" WHERE user_id = $1"
            ))
            .bind(user)
            .fetch_one(&mut db)
            .await
            .unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_metadata_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_metadata_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let ada = admin.add_user(&acme, "ada", None).await;
    let (bot, _) = admin.add_machine(&acme, "ci-bot", &[]).await;

    phone(&admin, &ada, &bot).await;
    metadata(&admin, &ada, &bot).await;
    limits(&admin, &ada).await;

    // Removing a user takes its metadata out of the read model; so does
    // removing its organization (which removes the user).
    set(&admin, &bot, "ci:owner", b"ops").await;
    // (A read through the API first: it waits for the projection.)
    admin
        .ok(&method("ListUserMetadata"), json!({ "userId": bot }))
        .await;
    assert_eq!(metadata_rows(dir.path(), &backend, &bot).await, 1);
    admin
        .ok(&method("RemoveUser"), json!({ "userId": bot }))
        .await;
    refused(
        &admin
            .call(&method("ListUserMetadata"), json!({ "userId": bot }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "NOT_FOUND",
        "user",
    );
    assert_eq!(metadata_rows(dir.path(), &backend, &bot).await, 0);
    let temp = admin.add_org("Temporary").await;
    let grace = admin.add_user(&temp, "grace", None).await;
    set(&admin, &grace, "team", b"red").await;
    admin
        .ok(&method("ListUserMetadata"), json!({ "userId": grace }))
        .await;
    assert_eq!(metadata_rows(dir.path(), &backend, &grace).await, 1);
    admin
        .ok(
            "rampart.org.v1.OrgService/RemoveOrg",
            json!({ "orgId": temp }),
        )
        .await;
    let gone = admin
        .call(&method("GetUser"), json!({ "userId": grace }))
        .await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND, "{}", gone.1);
    assert_eq!(metadata_rows(dir.path(), &backend, &grace).await, 0);
    assert!(metadata_rows(dir.path(), &backend, &ada).await > 0);
}

/// A human's phone number: normalized, read at once, verified on its own,
/// refused when malformed, unchanged or on a machine, removed once.
async fn phone(admin: &Api, ada: &str, bot: &str) {
    admin
        .ok(
            &method("SetPhone"),
            json!({ "userId": ada, "phone": "+41 (44) 668-18-00" }),
        )
        .await;
    let got = admin.ok(&method("GetUser"), json!({ "userId": ada })).await;
    let human = &got["user"]["human"];
    assert_eq!(human["phone"], "+41446681800", "{got}");
    assert!(human.get("phoneVerified").is_none(), "{got}");
    refused(
        &admin
            .call(
                &method("SetPhone"),
                json!({ "userId": ada, "phone": "+41.44.668.18.00" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "the phone number is unchanged",
    );
    admin
        .ok(
            &method("SetPhone"),
            json!({ "userId": ada, "phone": "+41446681800", "verified": true }),
        )
        .await;
    let listed = admin
        .ok(&method("ListUsers"), json!({ "usernamePrefix": "ada" }))
        .await;
    assert_eq!(
        listed["result"][0]["human"]["phoneVerified"], true,
        "{listed}"
    );
    for bad in [
        "044 668 18 00",
        "+0446681800",
        "+41 44",
        "+41 44 668 18 00 ext 5",
    ] {
        refused(
            &admin
                .call(&method("SetPhone"), json!({ "userId": ada, "phone": bad }))
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "INVALID_ARGUMENT",
            "E.164",
        );
    }
    refused(
        &admin
            .call(
                &method("SetPhone"),
                json!({ "userId": bot, "phone": "+41446681800" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "only human users have a phone number",
    );
    admin
        .ok(&method("RemovePhone"), json!({ "userId": ada }))
        .await;
    let got = admin.ok(&method("GetUser"), json!({ "userId": ada })).await;
    assert!(got["user"]["human"].get("phone").is_none(), "{got}");
    refused(
        &admin
            .call(&method("RemovePhone"), json!({ "userId": ada }))
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "no phone number",
    );
}

/// Metadata: bytes round-trip, read at once, replaced keeping the time it
/// was created, listed with paging, sorting and key prefixes, removed.
async fn metadata(admin: &Api, ada: &str, bot: &str) {
    let binary = [0_u8, 255, 254, b'\n', b'\r', 0x80];
    let (status, answer) = set(admin, ada, "bin", &binary).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let got = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": ada, "key": "bin" }),
        )
        .await;
    assert_eq!(got["metadata"]["value"], b64(&binary), "{got}");

    set(admin, ada, "team", b"blue").await;
    let first = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": ada, "key": "team" }),
        )
        .await;
    assert_eq!(first["metadata"]["value"], "Ymx1ZQ==", "{first}");
    assert!(first["metadata"]["createdAt"].is_string(), "{first}");
    refused(
        &set(admin, ada, "team", b"blue").await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "unchanged",
    );
    set(admin, ada, "team", b"green").await;
    let second = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": ada, "key": "team" }),
        )
        .await;
    assert_eq!(second["metadata"]["value"], b64(b"green"), "{second}");
    assert_eq!(
        second["metadata"]["createdAt"], first["metadata"]["createdAt"],
        "a change keeps the time the key was created"
    );

    // Machines have metadata too; each user sees only its own.
    let (status, answer) = set(admin, bot, "ci:owner", b"platform").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let bots = admin
        .ok(&method("ListUserMetadata"), json!({ "userId": bot }))
        .await;
    assert_eq!(keys(&bots), ["ci:owner"], "{bots}");

    for i in 1..=5 {
        set(admin, ada, &format!("app.{i}"), format!("v{i}").as_bytes()).await;
    }
    let all = admin
        .ok(&method("ListUserMetadata"), json!({ "userId": ada }))
        .await;
    assert_eq!(
        keys(&all),
        ["app.1", "app.2", "app.3", "app.4", "app.5", "bin", "team"],
        "by key unless sorted otherwise"
    );
    let page = admin
        .ok(
            &method("ListUserMetadata"),
            json!({ "userId": ada, "keyPrefix": "APP.",
                    "query": { "sortBy": "key", "limit": 2, "offset": 2 } }),
        )
        .await;
    assert_eq!(count(&page["details"]["total"]), 5, "{page}");
    assert_eq!(keys(&page), ["app.3", "app.4"], "{page}");
    assert_eq!(page["result"][1]["value"], b64(b"v4"), "{page}");
    let last = admin
        .ok(
            &method("ListUserMetadata"),
            json!({ "userId": ada, "keyPrefix": "app",
                    "query": { "sortBy": "key", "descending": true, "limit": 1 } }),
        )
        .await;
    assert_eq!(keys(&last), ["app.5"], "{last}");

    admin
        .ok(
            &method("RemoveUserMetadata"),
            json!({ "userId": ada, "key": "team" }),
        )
        .await;
    for name in ["GetUserMetadata", "RemoveUserMetadata"] {
        refused(
            &admin
                .call(&method(name), json!({ "userId": ada, "key": "team" }))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
            "NOT_FOUND",
            "metadata team not found",
        );
    }
}

/// Keys and values out of bounds, and the most keys a user may have.
async fn limits(admin: &Api, ada: &str) {
    refused(
        &set(admin, ada, "two words", b"v").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "contains ' '",
    );
    refused(
        &set(admin, ada, &"k".repeat(201), b"v").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "key",
    );
    refused(
        &set(admin, ada, "big", &[7; 4097]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "value: is 4097 bytes long; at most 4096",
    );
    refused(
        &set(admin, ada, "empty", b"").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "value: is required",
    );
    let (status, answer) = set(admin, ada, "big", &[7; 4096]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let big = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": ada, "key": "big" }),
        )
        .await;
    assert_eq!(big["metadata"]["value"], b64(&[7; 4096]));

    // Up to 100 keys; a 101st is refused, an existing key still changes.
    let listed = admin
        .ok(&method("ListUserMetadata"), json!({ "userId": ada }))
        .await;
    let held = count(&listed["details"]["total"]);
    for i in held..100 {
        let (status, answer) = set(admin, ada, &format!("fill.{i:03}"), b"x").await;
        assert_eq!(status, StatusCode::OK, "{i}: {answer}");
    }
    refused(
        &set(admin, ada, "one-too-many", b"x").await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "already has 100 metadata keys",
    );
    let (status, answer) = set(admin, ada, "big", b"small now").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let full = admin
        .ok(
            &method("ListUserMetadata"),
            json!({ "userId": ada, "query": { "limit": 1000 } }),
        )
        .await;
    assert_eq!(count(&full["details"]["total"]), 100, "{full}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_details_are_isolated_between_organizations_and_instances() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let globex = admin.add_org("Globex").await;
    let ada = admin.add_user(&acme, "ada", None).await;
    let grace = admin.add_user(&globex, "grace", None).await;
    set(&admin, &grace, "secret", b"globex only").await;

    // An owner of ACME (a user of another organization) reads and writes
    // ACME's users' details only.
    let home = admin.add_org("Owners").await;
    let (owner_id, token) = admin.add_machine(&home, "acme-owner", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": acme, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let owner = admin.with_token(Some(&token));
    let (status, answer) = set(&owner, &ada, "team", b"acme").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    owner
        .ok(
            &method("SetPhone"),
            json!({ "userId": ada, "phone": "+41446681800" }),
        )
        .await;
    let mine = owner
        .ok(&method("ListUserMetadata"), json!({ "userId": ada }))
        .await;
    assert_eq!(keys(&mine), ["team"], "{mine}");
    for (name, body) in [
        (
            "GetUserMetadata",
            json!({ "userId": grace, "key": "secret" }),
        ),
        ("ListUserMetadata", json!({ "userId": grace })),
        (
            "SetUserMetadata",
            json!({ "userId": grace, "key": "secret", "value": b64(b"mine now") }),
        ),
        (
            "RemoveUserMetadata",
            json!({ "userId": grace, "key": "secret" }),
        ),
        (
            "SetPhone",
            json!({ "userId": grace, "phone": "+41446681800" }),
        ),
        ("RemovePhone", json!({ "userId": grace })),
    ] {
        let (status, answer) = owner.call(&method(name), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {answer}");
    }
    let theirs = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": grace, "key": "secret" }),
        )
        .await;
    assert_eq!(theirs["metadata"]["value"], b64(b"globex only"), "{theirs}");

    // Another instance's administrator finds neither the users nor their
    // metadata, and its own list holds only its own rows.
    let other = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Other",
                "domains": ["users-other.test"],
                "admin": {
                    "username": "other-admin",
                    "name": "Other admin",
                    "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                },
            }),
        )
        .await;
    let stranger = Api::new(&server)
        .with_token(other["adminToken"].as_str())
        .on_host("users-other.test");
    for (name, body) in [
        (
            "GetUserMetadata",
            json!({ "userId": grace, "key": "secret" }),
        ),
        ("ListUserMetadata", json!({ "userId": grace })),
        (
            "SetUserMetadata",
            json!({ "userId": grace, "key": "secret", "value": b64(b"x") }),
        ),
        (
            "SetPhone",
            json!({ "userId": ada, "phone": "+41446681800" }),
        ),
    ] {
        let (status, answer) = stranger.call(&method(name), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}: {answer}");
    }
    let me = stranger
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    let own = me["user"]["id"].as_str().unwrap().to_owned();
    let (status, answer) = set(&stranger, &own, "secret", b"other instance").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let listed = stranger
        .ok(&method("ListUserMetadata"), json!({ "userId": own }))
        .await;
    assert_eq!(count(&listed["details"]["total"]), 1, "{listed}");
    assert_eq!(listed["result"][0]["value"], b64(b"other instance"));
    let still = admin
        .ok(
            &method("GetUserMetadata"),
            json!({ "userId": grace, "key": "secret" }),
        )
        .await;
    assert_eq!(still["metadata"]["value"], b64(b"globex only"), "{still}");
}
