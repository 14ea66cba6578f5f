//! Machine-user and application keys, and machine users' client secrets,
//! through the public API, on both backends: the JSON key file comes once
//! with the answer, its private key signs what the public key in the audit
//! trail verifies, listings and the audit trail never show private
//! material, and the refusals (a human user, a past expiry, an application
//! using a client secret, an owner of another organization) keep their
//! status. A client secret is shown once (never by `GetUser` nor the audit
//! trail), a second one replaces it in the store, removing it works once,
//! and the access token type set on add and update reads back.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::{Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use rampart::eventstore::{AggregateRef, EventQuery, EventStore};

use super::{project, refused};
use crate::cqrs::{Backend, start};
use crate::support::{Api, TestServer};

/// The path of `UserService` method `name`.
fn user(name: &str) -> String {
    format!("rampart.user.v1.UserService/{name}")
}

/// The JSON key file in an `Add…Key` answer (`keyDetails`: base64).
fn key_file(answer: &Value) -> Value {
    let bytes = STANDARD
        .decode(answer["keyDetails"].as_str().expect("keyDetails"))
        .expect("base64");
    serde_json::from_slice(&bytes).expect("a JSON key file")
}

/// The audit trail of aggregate `kind`/`id`, as JSON text.
async fn trail(admin: &Api, kind: &str, id: &str) -> String {
    admin
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": kind, "aggregateId": id }),
        )
        .await
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_sqlite() {
    keys(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_on_postgres() {
    keys(Backend::postgres().await).await;
}

async fn keys(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;
    machine_keys(&admin, &org).await;
    app_keys(&admin, &org).await;
    tenant_isolation(&admin, &org).await;
    let secrets = machine_secrets(&admin, &org).await;
    access_token_types(&admin, &org).await;
    secrets.stored_as_hashes(server, &backend).await;
}

async fn machine_keys(admin: &Api, org: &str) {
    let bot = admin
        .ok(
            &user("AddMachineUser"),
            json!({ "orgId": org, "username": "ci-bot", "name": "CI" }),
        )
        .await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = admin
        .ok(&user("AddMachineKey"), json!({ "userId": bot }))
        .await;
    let key_id = added["keyId"].as_str().unwrap().to_owned();
    let file = key_file(&added);
    assert_eq!(file["type"], "serviceaccount");
    assert_eq!(file["keyId"], key_id.as_str());
    assert_eq!(file["userId"], bot.as_str());
    assert!(file["expirationDate"].is_string(), "{file}");
    let pem = file["key"].as_str().unwrap();
    let private = RsaPrivateKey::from_pkcs1_pem(pem).expect("a PKCS#1 private key");

    // The private key signs what the stored public key verifies.
    let events = admin
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": "user", "aggregateId": bot, "eventTypes": ["user.machine.key.added"] }),
        )
        .await;
    let public = events["events"][0]["payload"]["publicKey"]
        .as_str()
        .unwrap_or_else(|| panic!("a public key in {events}"));
    let public = RsaPublicKey::from_public_key_pem(public).unwrap();
    let message = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjaS1ib3QifQ";
    let signature = SigningKey::<Sha256>::new(private).sign(message);
    VerifyingKey::<Sha256>::new(public)
        .verify(message, &signature)
        .expect("the stored public key verifies the key file's signature");

    let listed = admin
        .ok(&user("ListMachineKeys"), json!({ "userId": bot }))
        .await;
    assert_eq!(listed["result"][0]["keyId"], key_id.as_str(), "{listed}");
    assert_eq!(listed["result"][0]["type"], "KEY_TYPE_JSON", "{listed}");
    assert!(listed["result"][0]["expirationDate"].is_string());
    let text = listed.to_string();
    assert!(
        !text.contains("PRIVATE") && !text.contains("PUBLIC KEY"),
        "{text}"
    );
    let audit = trail(admin, "user", &bot).await;
    assert!(audit.contains("BEGIN PUBLIC KEY"), "{audit}");
    assert!(!audit.contains("PRIVATE KEY"), "{audit}");

    admin
        .ok(
            &user("RemoveMachineKey"),
            json!({ "userId": bot, "keyId": key_id }),
        )
        .await;
    let listed = admin
        .ok(&user("ListMachineKeys"), json!({ "userId": bot }))
        .await;
    let left = listed["result"].as_array().map_or(0, Vec::len);
    assert_eq!(left, 0, "{listed}");
    let again = admin
        .call(
            &user("RemoveMachineKey"),
            json!({ "userId": bot, "keyId": key_id }),
        )
        .await;
    assert_eq!(again.0, StatusCode::NOT_FOUND, "{}", again.1);

    let ada = admin.add_user(org, "ada", None).await;
    let human = admin
        .call(&user("AddMachineKey"), json!({ "userId": ada }))
        .await;
    refused(
        &human,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "only machine users have keys",
    );
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let expired = admin
        .call(
            &user("AddMachineKey"),
            json!({ "userId": bot, "expirationDate": past }),
        )
        .await;
    assert_eq!(expired.0, StatusCode::BAD_REQUEST, "{}", expired.1);
    assert_eq!(expired.1["code"], "invalid_argument", "{}", expired.1);
}

async fn app_keys(admin: &Api, org: &str) {
    let p = admin.add_project(org, "Shop").await;
    let app = admin
        .ok(
            &project("AddApiApp"),
            json!({ "projectId": p, "name": "Backend",
                    "config": { "authMethod": "CLIENT_AUTH_METHOD_PRIVATE_KEY_JWT" } }),
        )
        .await;
    let app_id = app["appId"].as_str().unwrap().to_owned();
    let added = admin
        .ok(
            &project("AddAppKey"),
            json!({ "projectId": p, "appId": app_id }),
        )
        .await;
    let key_id = added["keyId"].as_str().unwrap().to_owned();
    let file = key_file(&added);
    assert_eq!(file["type"], "application");
    assert_eq!(file["appId"], app_id.as_str());
    assert_eq!(file["clientId"], app["clientId"]);
    RsaPrivateKey::from_pkcs1_pem(file["key"].as_str().unwrap()).expect("PKCS#1");
    let listed = admin
        .ok(
            &project("ListAppKeys"),
            json!({ "projectId": p, "appId": app_id }),
        )
        .await;
    assert_eq!(listed["result"][0]["keyId"], key_id.as_str(), "{listed}");
    assert!(!listed.to_string().contains("PRIVATE"));
    assert!(!trail(admin, "project", &p).await.contains("PRIVATE KEY"));

    let basic = admin
        .ok(
            &project("AddApiApp"),
            json!({ "projectId": p, "name": "Legacy",
                    "config": { "authMethod": "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC" } }),
        )
        .await["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret_app = admin
        .call(
            &project("AddAppKey"),
            json!({ "projectId": p, "appId": basic }),
        )
        .await;
    refused(
        &secret_app,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "client_secret_basic",
    );

    admin
        .ok(
            &project("RemoveAppKey"),
            json!({ "projectId": p, "appId": app_id, "keyId": key_id }),
        )
        .await;
    // A removed application takes its keys along.
    admin
        .ok(
            &project("AddAppKey"),
            json!({ "projectId": p, "appId": app_id }),
        )
        .await;
    admin
        .ok(
            &project("RemoveApp"),
            json!({ "projectId": p, "appId": app_id }),
        )
        .await;
    let gone = admin
        .call(
            &project("ListAppKeys"),
            json!({ "projectId": p, "appId": app_id }),
        )
        .await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND, "{}", gone.1);
}

/// An owner of another organization may touch neither its machine users'
/// keys nor its applications' keys.
async fn tenant_isolation(admin: &Api, acme: &str) {
    let globex = admin.add_org("Globex").await;
    let (owner_id, token) = admin.add_machine(&globex, "globex-owner", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": globex, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let owner = admin.with_token(Some(&token));
    let (bot, _) = admin.add_machine(acme, "acme-bot", &[]).await;
    let p = admin.add_project(acme, "Acme Shop").await;
    let app_id = admin
        .ok(
            &project("AddApiApp"),
            json!({ "projectId": p, "name": "Backend",
                    "config": { "authMethod": "CLIENT_AUTH_METHOD_PRIVATE_KEY_JWT" } }),
        )
        .await["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, body) in [
        (user("AddMachineKey"), json!({ "userId": bot })),
        (user("ListMachineKeys"), json!({ "userId": bot })),
        (user("GenerateMachineSecret"), json!({ "userId": bot })),
        (user("RemoveMachineSecret"), json!({ "userId": bot })),
        (
            user("RemoveMachineKey"),
            json!({ "userId": bot, "keyId": "0000000000000001" }),
        ),
        (
            project("AddAppKey"),
            json!({ "projectId": p, "appId": app_id }),
        ),
        (
            project("ListAppKeys"),
            json!({ "projectId": p, "appId": app_id }),
        ),
        (
            project("RemoveAppKey"),
            json!({ "projectId": p, "appId": app_id, "keyId": "0000000000000001" }),
        ),
    ] {
        let (status, answer) = owner.call(&method, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}: {answer}");
    }
    // Its own machine user's keys are the owner's to manage.
    let (own_bot, _) = admin.add_machine(&globex, "globex-bot", &[]).await;
    owner
        .ok(&user("AddMachineKey"), json!({ "userId": own_bot }))
        .await;
    let own = owner
        .ok(&user("GenerateMachineSecret"), json!({ "userId": own_bot }))
        .await;
    assert_eq!(own["clientId"], "globex-bot", "{own}");
    owner
        .ok(&user("RemoveMachineSecret"), json!({ "userId": own_bot }))
        .await;
}

/// The secrets `machine_secrets` was shown, oldest first, to check the
/// store against.
struct ShownSecrets {
    bot: String,
    shown: Vec<String>,
}

/// SHA-256 of `text`, hex: what the store keeps of a secret.
fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn machine_secrets(admin: &Api, org: &str) -> ShownSecrets {
    let bot = admin
        .ok(
            &user("AddMachineUser"),
            json!({ "orgId": org, "username": "Token-Bot", "name": "Tokens" }),
        )
        .await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = admin.ok(&user("GetUser"), json!({ "userId": bot })).await;
    assert_eq!(got["user"]["machine"].get("hasSecret"), None, "{got}");

    let first = admin
        .ok(&user("GenerateMachineSecret"), json!({ "userId": bot }))
        .await;
    assert_eq!(first["clientId"], "token-bot", "the username: {first}");
    let first = first["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 64);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");

    // Shown once: neither the user nor the audit trail carries it.
    let got = admin.ok(&user("GetUser"), json!({ "userId": bot })).await;
    assert_eq!(got["user"]["machine"]["hasSecret"], true, "{got}");
    let text = got.to_string();
    assert!(!text.contains(&first) && !text.contains(&sha256_hex(&first)));
    let audit = trail(admin, "user", &bot).await;
    assert!(audit.contains("user.machine.secret.set"), "{audit}");
    assert!(audit.contains("<redacted>"), "{audit}");
    assert!(
        !audit.contains(&first) && !audit.contains(&sha256_hex(&first)),
        "{audit}"
    );

    // A second one replaces it.
    let second = admin
        .ok(&user("GenerateMachineSecret"), json!({ "userId": bot }))
        .await["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, first);

    // Removing works once.
    admin
        .ok(&user("RemoveMachineSecret"), json!({ "userId": bot }))
        .await;
    let got = admin.ok(&user("GetUser"), json!({ "userId": bot })).await;
    assert_eq!(got["user"]["machine"].get("hasSecret"), None, "{got}");
    let again = admin
        .call(&user("RemoveMachineSecret"), json!({ "userId": bot }))
        .await;
    refused(
        &again,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "the machine user has no client secret",
    );
    let third = admin
        .ok(&user("GenerateMachineSecret"), json!({ "userId": bot }))
        .await["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();

    // A human has none, nor an unknown user.
    let ada = admin.add_user(org, "grace", None).await;
    for method in ["GenerateMachineSecret", "RemoveMachineSecret"] {
        let human = admin.call(&user(method), json!({ "userId": ada })).await;
        refused(
            &human,
            StatusCode::BAD_REQUEST,
            "failed_precondition",
            "FAILED_PRECONDITION",
            "only machine users have client secrets",
        );
    }
    let unknown = admin
        .call(
            &user("GenerateMachineSecret"),
            json!({ "userId": "0000000000000001" }),
        )
        .await;
    assert_eq!(unknown.0, StatusCode::NOT_FOUND, "{}", unknown.1);
    ShownSecrets {
        bot,
        shown: vec![first, second, third],
    }
}

impl ShownSecrets {
    /// Stops `server` and reads the bot's history from its store: the
    /// secret events hold the SHA-256 of the secrets shown, the newest one
    /// last, and never a secret itself.
    async fn stored_as_hashes(&self, server: TestServer, backend: &Backend) {
        let dir = server.dir.clone();
        let (status, log) = server.terminate().await.expect("the server stops");
        assert!(status.success(), "{log}");
        for secret in &self.shown {
            assert!(!log.contains(secret.as_str()), "the log shows a secret");
        }
        let store: Box<dyn EventStore> = match backend {
            Backend::Sqlite => {
                let cfg = rampart::config::SqliteConfig {
                    dir: dir.join("data"),
                    ..rampart::config::Config::defaults().database.sqlite
                };
                Box::new(
                    rampart::eventstore::sqlite::SqliteStore::open(&cfg, crate::support::limits())
                        .await
                        .expect("open the server's store"),
                )
            }
            Backend::Postgres(db) => Box::new(crate::support::postgres_store_on(db).await),
        };
        let query = EventQuery::new()
            .aggregate_type("user")
            .aggregate_id(self.bot.clone())
            .event_type("user.machine.secret.set");
        let events = store.query(&query).await.unwrap();
        let hashes: Vec<&str> = events
            .iter()
            .map(|e| e.payload["secretHash"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = self.shown.iter().map(|s| sha256_hex(s)).collect();
        assert_eq!(
            hashes, expected,
            "each secret shown, hashed, the newest last"
        );
        let all = store
            .query(&EventQuery::aggregate(&AggregateRef::new(
                &events[0].aggregate.instance_id,
                "user",
                &self.bot,
            )))
            .await
            .unwrap();
        let text =
            serde_json::to_string(&all.iter().map(|e| &e.payload).collect::<Vec<_>>()).unwrap();
        for secret in &self.shown {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
        store.close().await;
    }
}

/// The access token type set on add and update reads back from `GetUser`;
/// an update not naming it keeps it.
async fn access_token_types(admin: &Api, org: &str) {
    let jwt = admin
        .ok(
            &user("AddMachineUser"),
            json!({ "orgId": org, "username": "jwt-bot", "name": "JWT",
                    "accessTokenType": "ACCESS_TOKEN_TYPE_JWT" }),
        )
        .await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = |id: String| async move {
        let got = admin.ok(&user("GetUser"), json!({ "userId": id })).await;
        got["user"]["machine"]["accessTokenType"]
            .as_str()
            .unwrap_or_else(|| panic!("a token type in {got}"))
            .to_owned()
    };
    assert_eq!(read(jwt.clone()).await, "ACCESS_TOKEN_TYPE_JWT");
    admin
        .ok(
            &user("UpdateMachineUser"),
            json!({ "userId": jwt, "name": "Renamed" }),
        )
        .await;
    assert_eq!(read(jwt.clone()).await, "ACCESS_TOKEN_TYPE_JWT", "kept");
    admin
        .ok(
            &user("UpdateMachineUser"),
            json!({ "userId": jwt, "name": "Renamed",
                    "accessTokenType": "ACCESS_TOKEN_TYPE_BEARER" }),
        )
        .await;
    assert_eq!(read(jwt.clone()).await, "ACCESS_TOKEN_TYPE_BEARER");
    let unchanged = admin
        .call(
            &user("UpdateMachineUser"),
            json!({ "userId": jwt, "name": "Renamed",
                    "accessTokenType": "ACCESS_TOKEN_TYPE_BEARER" }),
        )
        .await;
    assert_eq!(unchanged.0, StatusCode::BAD_REQUEST, "{}", unchanged.1);
    let (plain, _) = admin.add_machine(org, "plain-bot", &[]).await;
    assert_eq!(read(plain).await, "ACCESS_TOKEN_TYPE_BEARER", "the default");
}
