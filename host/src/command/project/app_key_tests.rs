//! Given/when/then tests of application keys.

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    ApiConfig, AppAdded, AppKeyAdded, AppKeyRemoved, AppRemoved, ClientAuthMethod, KeyType,
    OidcConfig, ProjectAdded,
};

use super::AGGREGATE_TYPE;
use super::app_key::{AddAppKeyCommand, RemoveAppKeyCommand};
use crate::command::key_pair::{KeyPair, test_pair};
use crate::command::testing::fixtures::{instance_added, org_added};
use crate::command::testing::{Given, aggregate, event, expected, given};
use crate::eventstore::NewEvent;

/// Project p-1 of org-1 with API app "a-jwt" (`private_key_jwt`), OIDC app
/// "a-basic" (`client_secret_basic`), and `more` events of the project.
fn project(more: Vec<NewEvent>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    let p = aggregate(AGGREGATE_TYPE, "p-1");
    history.push(event(
        &p,
        &ProjectAdded {
            org_id: "org-1".into(),
            name: "Shop".into(),
            ..ProjectAdded::default()
        },
    ));
    history.push(event(
        &p,
        &AppAdded {
            app_id: "a-jwt".into(),
            name: "Backend".into(),
            client_id: "a-jwt@p-1".into(),
            oidc: None,
            api: Some(ApiConfig {
                auth_method: ClientAuthMethod::PrivateKeyJwt,
            }),
        },
    ));
    history.push(event(
        &p,
        &AppAdded {
            app_id: "a-basic".into(),
            name: "Web".into(),
            client_id: "a-basic@p-1".into(),
            oidc: Some(OidcConfig {
                auth_method: ClientAuthMethod::ClientSecretBasic,
                ..OidcConfig::default()
            }),
            api: None,
        },
    ));
    history.extend(more.into_iter().map(|e| (p.clone(), e)));
    given(history)
}

fn in_a_month() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() + 30 * 24 * 3600, 0).unwrap()
}

async fn add(app_id: &str, key_id: &str, at: DateTime<Utc>) -> (AddAppKeyCommand, KeyPair) {
    let pair = test_pair().await;
    let cmd = AddAppKeyCommand::new(
        "p-1",
        app_id,
        key_id,
        Some(at),
        Utc::now(),
        Some(pair.clone()),
    )
    .unwrap();
    (cmd, pair)
}

fn key_added(key_id: &str, public_key: &str, at: DateTime<Utc>) -> AppKeyAdded {
    AppKeyAdded {
        app_id: "a-jwt".into(),
        key_id: key_id.into(),
        key_type: KeyType::Json,
        public_key: public_key.into(),
        expires_at: at,
    }
}

#[tokio::test]
async fn given_a_private_key_jwt_app_when_adding_a_key_then_its_public_half_is_stored() {
    let at = in_a_month();
    let (cmd, pair) = add("a-jwt", "k-1", at).await;
    let decision = project(vec![])
        .when(cmd)
        .await
        .then(vec![expected(&key_added("k-1", &pair.public_pem, at))]);
    assert!(!decision.events[0].payload.to_string().contains("PRIVATE"));
}

#[tokio::test]
async fn given_an_app_with_another_auth_method_when_adding_a_key_then_refused_naming_it() {
    let (cmd, _) = add("a-basic", "k-1", in_a_month()).await;
    project(vec![])
        .when(cmd)
        .await
        .then_error("FAILED_PRECONDITION", "client_secret_basic");
}

#[tokio::test]
async fn given_an_unknown_or_removed_app_when_adding_a_key_then_not_found() {
    let (cmd, _) = add("a-9", "k-1", in_a_month()).await;
    project(vec![])
        .when(cmd)
        .await
        .then_error("NOT_FOUND", "a-9");
    let removed = expected(&AppRemoved {
        app_id: "a-jwt".into(),
        client_id: "a-jwt@p-1".into(),
    });
    let (cmd, _) = add("a-jwt", "k-1", in_a_month()).await;
    project(vec![removed])
        .when(cmd)
        .await
        .then_error("NOT_FOUND", "a-jwt");
}

#[tokio::test]
async fn given_a_key_id_in_use_when_adding_it_again_then_already_exists() {
    let at = in_a_month();
    let (cmd, _) = add("a-jwt", "k-1", at).await;
    project(vec![expected(&key_added("k-1", "pem", at))])
        .when(cmd)
        .await
        .then_error("ALREADY_EXISTS", "k-1");
}

#[tokio::test]
async fn given_a_key_when_removing_it_then_removed_once() {
    let added = expected(&key_added("k-1", "pem", in_a_month()));
    let removed = AppKeyRemoved {
        app_id: "a-jwt".into(),
        key_id: "k-1".into(),
    };
    project(vec![added.clone()])
        .when(RemoveAppKeyCommand::new("p-1", "a-jwt", "k-1"))
        .await
        .then(vec![expected(&removed)]);
    project(vec![added, expected(&removed)])
        .when(RemoveAppKeyCommand::new("p-1", "a-jwt", "k-1"))
        .await
        .then_error("NOT_FOUND", "k-1");
    project(vec![])
        .when(RemoveAppKeyCommand::new("p-1", "a-9", "k-1"))
        .await
        .then_error("NOT_FOUND", "a-9");
}
