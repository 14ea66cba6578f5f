//! Settings through the public API, on both backends: records set on the
//! instance and overridden per organization reach the shipped validators
//! (password complexity, usernames) and the host's own rules (domain
//! verification), and each organization sees only its own.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::refused;
use crate::cqrs::{Backend, start};
use crate::support::{Api, user_body};

/// The path of `SettingsService` method `name`.
fn method(name: &str) -> String {
    format!("rampart.settings.v1.SettingsService/{name}")
}

/// A password complexity record: `min_length` characters, and lowercase
/// letters and digits only when `classes`.
fn complexity(min_length: u32, classes: bool) -> Value {
    json!({
        "minLength": min_length,
        "maxLength": 72,
        "requireUppercase": classes,
        "requireLowercase": classes,
        "requireNumber": classes,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let globex = admin.add_org("Globex").await;

    // Nothing set: the defaults, and their level says so.
    let instance = admin.ok(&method("GetInstanceSettings"), json!({})).await;
    assert_eq!(instance["passwordComplexity"]["minLength"], 8, "{instance}");
    assert_eq!(instance["lockout"]["showLockoutFailures"], true);
    assert_eq!(
        instance["levels"]["passwordComplexity"],
        "SETTINGS_LEVEL_DEFAULT"
    );

    // The instance asks for 12 characters: the shipped password policy
    // applies it in every organization at once.
    admin
        .ok(
            &method("SetInstanceSettings"),
            json!({ "passwordComplexity": complexity(12, true) }),
        )
        .await;
    let add = |org: &str, name: &str, password: &str| {
        admin.call(
            "rampart.user.v1.UserService/AddHumanUser",
            user_body(org, name, Some(password)),
        )
    };
    refused(
        &add(&acme, "ada", "Sh0rt-pass").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "PASSWORD_TOO_SHORT",
        "at least 12 characters",
    );
    let acme_settings = admin
        .ok(&method("GetOrgSettings"), json!({ "orgId": acme }))
        .await;
    assert_eq!(acme_settings["passwordComplexity"]["minLength"], 12);
    assert_eq!(
        acme_settings["levels"]["passwordComplexity"],
        "SETTINGS_LEVEL_INSTANCE"
    );

    // ACME relaxes it for itself only.
    admin
        .ok(
            &method("SetOrgSettings"),
            json!({ "orgId": acme, "passwordComplexity": complexity(6, false) }),
        )
        .await;
    let (status, body) = add(&acme, "ada", "simple").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    refused(
        &add(&globex, "grace", "simple").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "PASSWORD_TOO_SHORT",
        "at least 12 characters",
    );
    let acme_settings = admin
        .ok(&method("GetOrgSettings"), json!({ "orgId": acme }))
        .await;
    assert_eq!(acme_settings["passwordComplexity"]["minLength"], 6);
    assert_eq!(
        acme_settings["levels"]["passwordComplexity"],
        "SETTINGS_LEVEL_ORG"
    );

    // Reset: ACME follows the instance again; a second reset has nothing
    // to drop.
    let reset = json!({ "orgId": acme, "kind": "SETTINGS_KIND_PASSWORD_COMPLEXITY" });
    admin.ok(&method("ResetOrgSettings"), reset.clone()).await;
    refused(
        &add(&acme, "alan", "simple").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "PASSWORD_TOO_SHORT",
        "at least 12 characters",
    );
    refused(
        &admin.call(&method("ResetOrgSettings"), reset).await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "no passwordComplexity settings of its own",
    );

    // Domain settings: Globex's login names carry its domain, so its
    // usernames carry none; the instance stops asking for domain proofs.
    admin
        .ok(
            &method("SetOrgSettings"),
            json!({ "orgId": globex, "domain": {
                "userLoginMustBeDomain": true, "validateOrgDomains": true } }),
        )
        .await;
    refused(
        &admin
            .call(
                "rampart.user.v1.UserService/AddHumanUser",
                user_body(&globex, "grace@elsewhere.example", None),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "USERNAME_HAS_DOMAIN",
        "must not contain @",
    );
    // ACME's do not: a username may be an e-mail address there.
    let mut alan = user_body(&acme, "alan@acme.example", None);
    alan["email"]["address"] = json!("alan@acme.example");
    admin
        .ok("rampart.user.v1.UserService/AddHumanUser", alan)
        .await;
    admin
        .ok(
            &method("SetInstanceSettings"),
            json!({ "domain": { "validateOrgDomains": false } }),
        )
        .await;
    admin
        .ok(
            "rampart.org.v1.OrgService/AddOrgDomain",
            json!({ "orgId": acme, "domain": "shop.acme.example" }),
        )
        .await;
    let domains = admin
        .ok(
            "rampart.org.v1.OrgService/ListOrgDomains",
            json!({ "orgId": acme }),
        )
        .await;
    let shop = domains["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == "shop.acme.example")
        .unwrap_or_else(|| panic!("{domains}"));
    assert_eq!(shop["verified"], true, "{domains}");

    bad_input(&admin, &acme).await;
    tenant_isolation(&admin, &acme, &globex).await;
}

/// Records that break a rule, and requests without a record.
async fn bad_input(admin: &Api, acme: &str) {
    refused(
        &admin.call(&method("SetInstanceSettings"), json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "exactly one kind of settings",
    );
    refused(
        &admin
            .call(
                &method("SetOrgSettings"),
                json!({ "orgId": acme, "passwordComplexity": { "minLength": 20, "maxLength": 10 } }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "maxLength must be between minLength (20) and 1024",
    );
    refused(
        &admin
            .call(
                &method("SetInstanceSettings"),
                json!({ "login": { "allowUsernamePassword": false } }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "nobody can log in",
    );
    refused(
        &admin
            .call(&method("GetOrgSettings"), json!({ "orgId": "no-such-org" }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "NOT_FOUND",
        "no-such-org",
    );
}

/// An owner of ACME reads and sets ACME's settings only, never the
/// instance's.
async fn tenant_isolation(admin: &Api, acme: &str, globex: &str) {
    let home = admin.add_org("Owners").await;
    let (owner_id, token) = admin.add_machine(&home, "acme-owner", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": acme, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let owner = admin.with_token(Some(&token));
    owner
        .ok(
            &method("SetOrgSettings"),
            json!({ "orgId": acme, "lockout": { "maxPasswordAttempts": 3 } }),
        )
        .await;
    let mine = owner
        .ok(&method("GetOrgSettings"), json!({ "orgId": acme }))
        .await;
    assert_eq!(mine["lockout"]["maxPasswordAttempts"], 3, "{mine}");
    for (name, body) in [
        ("GetOrgSettings", json!({ "orgId": globex })),
        (
            "SetOrgSettings",
            json!({ "orgId": globex, "lockout": { "maxPasswordAttempts": 1 } }),
        ),
        ("GetInstanceSettings", json!({})),
        (
            "SetInstanceSettings",
            json!({ "lockout": { "maxPasswordAttempts": 1 } }),
        ),
    ] {
        let (status, answer) = owner.call(&method(name), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {answer}");
    }
    let theirs = admin
        .ok(&method("GetOrgSettings"), json!({ "orgId": globex }))
        .await;
    // proto3 JSON leaves zero out: Globex still never locks.
    assert!(
        theirs["lockout"]["maxPasswordAttempts"].is_null(),
        "{theirs}"
    );
}
