//! The verification seam of machine and application keys, against a real
//! SQLite store: a key file the command side hands out signs an RS256
//! payload that the stored public key verifies, at once, and stops doing
//! so when the key, its owner or the owner's container goes.

use rampart_plugin_sdk::catalogue::{AddApiApp, AddProject, ApiConfig, AppRef, ClientAuthMethod};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

use super::keys::{app_key, app_keys, machine_key, machine_keys};
use super::tests::fixture;
use crate::command::AppAction;
use crate::eventstore::{AggregateRef, EventQuery};

/// The private key of a JSON key file, and the file's other fields.
fn parse(file: &str) -> (RsaPrivateKey, serde_json::Value) {
    let json: serde_json::Value = serde_json::from_str(file).expect("a JSON key file");
    let pem = json["key"].as_str().expect("a key");
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{pem}");
    (
        RsaPrivateKey::from_pkcs1_pem(pem).expect("PKCS#1 PEM"),
        json,
    )
}

/// An RS256 signature of `message` with `key`.
fn sign(key: RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    SigningKey::<Sha256>::new(key).sign(message).to_vec()
}

const MESSAGE: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJjaS1ib3QifQ";

#[tokio::test]
async fn given_a_machine_key_file_when_it_signs_then_the_stored_public_key_verifies_it() {
    let f = fixture().await;
    let added = f
        .commands
        .add_machine_key(&f.ctx, &f.bot, None)
        .await
        .unwrap();
    let (private, json) = parse(&added.key_file);
    assert_eq!(json["type"], "serviceaccount");
    assert_eq!(json["keyId"], added.key_id.as_str());
    assert_eq!(json["userId"], f.bot.as_str());
    let signature = sign(private, MESSAGE);

    let info = machine_key(f.store(), f.instance(), &f.bot, &added.key_id)
        .await
        .unwrap()
        .expect("the key, at once");
    assert!(info.verify_rs256(MESSAGE, &signature));
    assert!(!info.verify_rs256(b"eyJhbGciOiJSUzI1NiJ9.tampered", &signature));
    assert!(!info.verify_rs256(MESSAGE, b"not a signature"));
    assert!(info.owner_active && !info.expired(chrono::Utc::now()));
    assert_eq!(info.expires_at, added.expires_at);
    assert!(!format!("{info:?}").contains("PUBLIC KEY"));

    let listed = machine_keys(f.store(), f.instance(), &f.bot)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key_id, added.key_id);

    // The user's events hold the public key and never a private one.
    let user = AggregateRef::new(f.instance(), "user", &f.bot);
    let events = f
        .store()
        .query(&EventQuery::aggregate(&user))
        .await
        .unwrap();
    let trail =
        serde_json::to_string(&events.iter().map(|e| &e.payload).collect::<Vec<_>>()).unwrap();
    assert!(trail.contains("BEGIN PUBLIC KEY"));
    assert!(!trail.contains("PRIVATE KEY"));

    f.commands.lock_user(&f.ctx, &f.bot).await.unwrap();
    let locked = machine_key(f.store(), f.instance(), &f.bot, &added.key_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !locked.owner_active,
        "a locked user's key does not authenticate"
    );

    f.commands
        .remove_machine_key(&f.ctx, &f.bot, &added.key_id)
        .await
        .unwrap();
    assert_eq!(
        machine_key(f.store(), f.instance(), &f.bot, &added.key_id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        machine_keys(f.store(), f.instance(), &f.bot).await.unwrap(),
        Some(vec![])
    );
    let human = f.commands.add_machine_key(&f.ctx, &f.ada, None).await;
    assert_eq!(human.unwrap_err().code(), "FAILED_PRECONDITION");
}

#[tokio::test]
async fn given_an_app_key_file_when_it_signs_then_the_client_key_verifies_it_until_the_app_goes() {
    let f = fixture().await;
    let project = AddProject {
        name: "Shop".into(),
        ..AddProject::default()
    };
    let project = f
        .commands
        .add_project(&f.ctx, &f.org, project)
        .await
        .unwrap()
        .aggregate
        .aggregate_id;
    let add = AppAction::AddApi(AddApiApp {
        name: "Backend".into(),
        config: ApiConfig {
            auth_method: ClientAuthMethod::PrivateKeyJwt,
        },
    });
    let app = f.commands.project_app(&f.ctx, &project, add).await.unwrap();
    assert_eq!(app.client_secret, None);
    let added = f
        .commands
        .add_app_key(&f.ctx, &project, &app.app_id, None)
        .await
        .unwrap();
    let (private, json) = parse(&added.key_file);
    assert_eq!(json["type"], "application");
    assert_eq!(json["appId"], app.app_id.as_str());
    assert_eq!(json["clientId"], app.client_id.as_str());
    let signature = sign(private, MESSAGE);

    let info = app_key(f.store(), f.instance(), &app.client_id, &added.key_id)
        .await
        .unwrap()
        .expect("the key, at once");
    assert!(info.verify_rs256(MESSAGE, &signature));
    assert!(info.owner_active);
    assert_eq!(info.org_id, f.org);
    let listed = app_keys(f.store(), f.instance(), &project, &app.app_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listed.len(), 1);

    f.commands
        .set_project_active(&f.ctx, &project, false)
        .await
        .unwrap();
    let inactive = app_key(f.store(), f.instance(), &app.client_id, &added.key_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !inactive.owner_active,
        "a deactivated project's keys do not"
    );

    let remove = AppAction::Remove(AppRef {
        app_id: app.app_id.clone(),
    });
    f.commands
        .project_app(&f.ctx, &project, remove)
        .await
        .unwrap();
    assert_eq!(
        app_key(f.store(), f.instance(), &app.client_id, &added.key_id)
            .await
            .unwrap(),
        None,
        "the keys go with their application"
    );
    assert_eq!(
        app_keys(f.store(), f.instance(), &project, &app.app_id)
            .await
            .unwrap(),
        None
    );
}
