//! Applications of projects through the public API, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::project as method;
use crate::cqrs::{Backend, count, reason, start};
use crate::support::Api;

/// A web application's settings: code flow, one redirect URI.
fn web(redirect: &str) -> Value {
    json!({
        "redirectUris": [redirect],
        "authMethod": "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC",
        "accessTokenType": "ACCESS_TOKEN_TYPE_JWT",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;
    let project = admin.add_project(&org, "Shop").await;

    // A confidential web app: its secret is in the answer, and only there.
    let added = admin
        .ok(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "Web", "config": web("https://shop.example/cb") }),
        )
        .await;
    let app_id = added["appId"].as_str().unwrap().to_owned();
    let client_id = added["clientId"].as_str().unwrap().to_owned();
    assert_eq!(client_id, format!("{app_id}@{project}"));
    let secret = added["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64, "{added}");
    let got = admin
        .ok(
            &method("GetApp"),
            json!({ "projectId": project, "appId": app_id }),
        )
        .await;
    let oidc = &got["app"]["oidc"];
    assert_eq!(
        oidc["redirectUris"],
        json!(["https://shop.example/cb"]),
        "{got}"
    );
    assert_eq!(oidc["grantTypes"], json!(["GRANT_TYPE_AUTHORIZATION_CODE"]));
    assert_eq!(oidc["responseTypes"], json!(["RESPONSE_TYPE_CODE"]));
    assert_eq!(oidc["accessTokenType"], "ACCESS_TOKEN_TYPE_JWT");
    assert_eq!(
        oidc["accessTokenLifetimeSecs"], "3600",
        "defaults filled in"
    );
    assert!(
        !got.to_string().contains(&secret),
        "the secret is never read back"
    );

    // The shipped redirect-uri-policy: http only in development mode.
    let insecure = admin
        .call(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "Dev", "config": web("http://localhost:3000/cb") }),
        )
        .await;
    assert_eq!(insecure.0, StatusCode::BAD_REQUEST, "{}", insecure.1);
    assert_eq!(
        reason(&insecure.1),
        "REDIRECT_URI_INSECURE",
        "{}",
        insecure.1
    );
    let mut dev = web("http://localhost:3000/cb");
    dev["devMode"] = json!(true);
    dev["authMethod"] = json!("CLIENT_AUTH_METHOD_NONE");
    let public = admin
        .ok(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "Dev", "config": dev }),
        )
        .await;
    assert!(
        public.get("clientSecret").is_none(),
        "a public client: {public}"
    );
    let public_id = public["appId"].as_str().unwrap().to_owned();

    // The host's own rules, by name.
    let no_redirect = admin
        .call(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "Broken", "config": { "redirectUris": [] } }),
        )
        .await;
    assert_eq!(no_redirect.0, StatusCode::BAD_REQUEST, "{}", no_redirect.1);
    assert!(
        no_redirect.1["message"]
            .as_str()
            .unwrap()
            .contains("at least one redirect URI"),
        "{}",
        no_redirect.1
    );
    let unspecified = admin
        .call(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "Broken",
                    "config": { "redirectUris": ["https://x.example/cb"], "grantTypes": ["GRANT_TYPE_UNSPECIFIED"] } }),
        )
        .await;
    assert_eq!(unspecified.0, StatusCode::BAD_REQUEST, "{}", unspecified.1);
    assert!(
        unspecified.1["message"]
            .as_str()
            .unwrap()
            .contains("config.grant_types"),
        "{}",
        unspecified.1
    );
    let taken = admin
        .call(
            &method("AddOidcApp"),
            json!({ "projectId": project, "name": "WEB", "config": web("https://shop.example/cb") }),
        )
        .await;
    assert_eq!(taken.0, StatusCode::CONFLICT, "{}", taken.1);

    // An API app, listed with the others.
    let api = admin
        .ok(
            &method("AddApiApp"),
            json!({ "projectId": project, "name": "Orders API" }),
        )
        .await;
    assert_eq!(api["clientSecret"].as_str().unwrap().len(), 64, "{api}");
    let apps = admin
        .ok(
            &method("ListApps"),
            json!({ "projectId": project, "query": { "sortBy": "name" } }),
        )
        .await;
    assert_eq!(count(&apps["details"]["total"]), 3, "{apps}");
    assert_eq!(
        apps["result"][1]["api"]["authMethod"],
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC"
    );

    // Rotating: a new secret; a public app has none to rotate.
    let rotated = admin
        .ok(
            &method("RegenerateAppSecret"),
            json!({ "projectId": project, "appId": app_id }),
        )
        .await;
    let second = rotated["clientSecret"].as_str().unwrap();
    assert_ne!(second, secret);
    let none = admin
        .call(
            &method("RegenerateAppSecret"),
            json!({ "projectId": project, "appId": public_id }),
        )
        .await;
    assert_eq!(none.0, StatusCode::BAD_REQUEST, "{}", none.1);
    assert_eq!(none.1["code"], "failed_precondition", "{}", none.1);

    // Becoming confidential creates a secret; the change is read at once.
    let mut confidential = web("http://localhost:3000/cb");
    confidential["devMode"] = json!(true);
    let changed = admin
        .ok(
            &method("UpdateOidcAppConfig"),
            json!({ "projectId": project, "appId": public_id, "config": confidential }),
        )
        .await;
    assert_eq!(
        changed["clientSecret"].as_str().unwrap().len(),
        64,
        "{changed}"
    );
    admin
        .ok(
            &method("DeactivateApp"),
            json!({ "projectId": project, "appId": public_id }),
        )
        .await;
    let got = admin
        .ok(
            &method("GetApp"),
            json!({ "projectId": project, "appId": public_id }),
        )
        .await;
    assert_eq!(got["app"]["state"], "PROJECT_STATE_INACTIVE", "{got}");
    assert_eq!(
        got["app"]["oidc"]["authMethod"],
        "CLIENT_AUTH_METHOD_CLIENT_SECRET_BASIC"
    );

    // Removing it, then the project: nothing of them is left to read.
    admin
        .ok(
            &method("RemoveApp"),
            json!({ "projectId": project, "appId": public_id }),
        )
        .await;
    let gone = admin
        .call(
            &method("GetApp"),
            json!({ "projectId": project, "appId": public_id }),
        )
        .await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND, "{}", gone.1);
    admin
        .ok(&method("RemoveProject"), json!({ "projectId": project }))
        .await;
    let apps = admin
        .call(&method("ListApps"), json!({ "projectId": project }))
        .await;
    assert_eq!(apps.0, StatusCode::NOT_FOUND, "{}", apps.1);
}
