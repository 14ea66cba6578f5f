//! Projects, roles and grants through the public JSON API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{project as method, refused};
use crate::cqrs::{Backend, count, start};
use crate::support::Api;

/// The role keys of the grants a list answered with.
fn grant_keys(list: &Value) -> Vec<Value> {
    list["result"]
        .as_array()
        .map(|grants| grants.iter().map(|g| g["roleKeys"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_roles_and_grants_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_roles_and_grants_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let globex = admin.add_org("Globex").await;

    // A project reads its own write; its name is unique per organization.
    let shop = admin.add_project(&acme, "Shop").await;
    let got = admin
        .ok(&method("GetProject"), json!({ "projectId": shop }))
        .await;
    let project = &got["project"];
    assert_eq!(project["name"], "Shop", "{got}");
    assert_eq!(project["orgId"], json!(acme), "{got}");
    assert_eq!(project["state"], "PROJECT_STATE_ACTIVE", "{got}");
    let again = admin
        .call(
            &method("AddProject"),
            json!({ "orgId": acme, "name": "SHOP" }),
        )
        .await;
    refused(
        &again,
        StatusCode::CONFLICT,
        "already_exists",
        "ALREADY_EXISTS",
        "already has a project named",
    );
    let globex_shop = admin.add_project(&globex, "Shop").await;

    // Roles: the host's key rule, the shipped validator, unique keys.
    let add_role = |key: &str, group: &str| json!({ "projectId": shop, "key": key, "displayName": key.to_uppercase(), "group": group });
    admin
        .ok(&method("AddProjectRole"), add_role("admin", "ops"))
        .await;
    admin
        .ok(&method("AddProjectRole"), add_role("viewer", "ops"))
        .await;
    admin
        .ok(&method("AddProjectRole"), add_role("billing.payer", ""))
        .await;
    let spaced = admin
        .call(&method("AddProjectRole"), add_role("two words", ""))
        .await;
    refused(
        &spaced,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "contains ' '",
    );
    let upper = admin
        .call(&method("AddProjectRole"), add_role("Admin", ""))
        .await;
    refused(
        &upper,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "ROLE_KEY_INVALID",
        "'A'",
    );
    let twice = admin
        .call(&method("AddProjectRole"), add_role("admin", ""))
        .await;
    refused(
        &twice,
        StatusCode::CONFLICT,
        "already_exists",
        "ALREADY_EXISTS",
        "already has the role \"admin\"",
    );
    let ops = admin
        .ok(
            &method("ListProjectRoles"),
            json!({ "projectId": shop, "group": "ops", "query": { "sortBy": "key" } }),
        )
        .await;
    assert_eq!(count(&ops["details"]["total"]), 2, "{ops}");
    assert_eq!(ops["result"][0]["key"], "admin", "{ops}");
    assert_eq!(ops["result"][1]["group"], "ops", "{ops}");

    // Grants: to another active organization, of roles the project has.
    let to_self = admin
        .call(
            &method("AddProjectGrant"),
            json!({ "projectId": shop, "grantedOrgId": acme, "roleKeys": ["admin"] }),
        )
        .await;
    refused(
        &to_self,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "organization that owns it",
    );
    let missing_role = admin
        .call(
            &method("AddProjectGrant"),
            json!({ "projectId": shop, "grantedOrgId": globex, "roleKeys": ["nope"] }),
        )
        .await;
    refused(
        &missing_role,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "no role \"nope\"",
    );
    let granted = admin
        .ok(
            &method("AddProjectGrant"),
            json!({ "projectId": shop, "grantedOrgId": globex, "roleKeys": ["viewer", "admin"] }),
        )
        .await;
    let grant_id = granted["grantId"].as_str().unwrap().to_owned();
    let grants = admin
        .ok(&method("ListProjectGrants"), json!({ "projectId": shop }))
        .await;
    assert_eq!(grants["result"][0]["grantId"], json!(grant_id), "{grants}");
    assert_eq!(grant_keys(&grants), vec![json!(["admin", "viewer"])]);
    let to_globex = admin
        .ok(&method("ListGrantedProjects"), json!({ "orgId": globex }))
        .await;
    assert_eq!(
        to_globex["result"][0]["projectId"],
        json!(shop),
        "{to_globex}"
    );

    // Removing a role takes it out of the grant, read at once.
    admin
        .ok(
            &method("RemoveProjectRole"),
            json!({ "projectId": shop, "key": "admin" }),
        )
        .await;
    let grants = admin
        .ok(&method("ListProjectGrants"), json!({ "projectId": shop }))
        .await;
    assert_eq!(grant_keys(&grants), vec![json!(["viewer"])]);
    admin
        .ok(
            &method("DeactivateProjectGrant"),
            json!({ "projectId": shop, "grantId": grant_id }),
        )
        .await;
    let grants = admin
        .ok(&method("ListProjectGrants"), json!({ "projectId": shop }))
        .await;
    assert_eq!(grants["result"][0]["state"], "PROJECT_STATE_INACTIVE");

    // Changing and filtering projects.
    admin
        .ok(
            &method("UpdateProject"),
            json!({ "projectId": shop, "name": "Storefront", "authorizationRequired": true }),
        )
        .await;
    admin
        .ok(&method("DeactivateProject"), json!({ "projectId": shop }))
        .await;
    let inactive = admin
        .ok(
            &method("ListProjects"),
            json!({ "state": "PROJECT_STATE_INACTIVE", "namePrefix": "store" }),
        )
        .await;
    assert_eq!(count(&inactive["details"]["total"]), 1, "{inactive}");
    assert_eq!(inactive["result"][0]["name"], "Storefront");
    assert_eq!(inactive["result"][0]["authorizationRequired"], true);
    let unchanged = admin
        .call(
            &method("UpdateProject"),
            json!({ "projectId": shop, "name": "Storefront" }),
        )
        .await;
    refused(
        &unchanged,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "unchanged",
    );

    // Removing the granted organization removes its grant and its projects.
    admin
        .ok(
            "rampart.org.v1.OrgService/RemoveOrg",
            json!({ "orgId": globex }),
        )
        .await;
    let grants = admin
        .ok(&method("ListProjectGrants"), json!({ "projectId": shop }))
        .await;
    assert_eq!(count(&grants["details"]["total"]), 0, "{grants}");
    let gone = admin
        .call(&method("GetProject"), json!({ "projectId": globex_shop }))
        .await;
    refused(
        &gone,
        StatusCode::NOT_FOUND,
        "not_found",
        "NOT_FOUND",
        "project",
    );

    // Removing a project frees its name.
    admin
        .ok(&method("RemoveProject"), json!({ "projectId": shop }))
        .await;
    let roles = admin
        .call(&method("ListProjectRoles"), json!({ "projectId": shop }))
        .await;
    assert_eq!(roles.0, StatusCode::NOT_FOUND, "{}", roles.1);
    admin.add_project(&acme, "Storefront").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_are_isolated_between_organizations_and_instances() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let globex = admin.add_org("Globex").await;
    let shop = admin.add_project(&acme, "Shop").await;
    let globex_app = admin.add_project(&globex, "App").await;

    // An owner of Globex sees and changes Globex's projects only.
    let (owner_id, token) = admin.add_machine(&globex, "globex-owner", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": globex, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let owner = admin.with_token(Some(&token));
    let mine = owner
        .ok(&method("ListProjects"), json!({ "orgId": globex }))
        .await;
    assert_eq!(count(&mine["details"]["total"]), 1, "{mine}");
    assert_eq!(mine["result"][0]["id"], json!(globex_app), "{mine}");
    for (name, body) in [
        ("GetProject", json!({ "projectId": shop })),
        ("ListProjects", json!({ "orgId": acme })),
        ("ListProjects", json!({})),
        ("ListProjectRoles", json!({ "projectId": shop })),
        (
            "AddProjectRole",
            json!({ "projectId": shop, "key": "x", "displayName": "X" }),
        ),
        ("RemoveProject", json!({ "projectId": shop })),
        ("AddProject", json!({ "orgId": acme, "name": "Intruder" })),
    ] {
        let answer = owner.call(&method(name), body).await;
        assert_eq!(answer.0, StatusCode::FORBIDDEN, "{name}: {}", answer.1);
    }
    owner
        .ok(
            &method("AddProjectRole"),
            json!({ "projectId": globex_app, "key": "user", "displayName": "User" }),
        )
        .await;

    // Another instance's administrator finds none of this instance's projects.
    let other = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Other",
                "domains": ["projects-other.test"],
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
        .on_host("projects-other.test");
    let answer = stranger
        .call(&method("GetProject"), json!({ "projectId": shop }))
        .await;
    assert_eq!(answer.0, StatusCode::NOT_FOUND, "{}", answer.1);
    let theirs = stranger.ok(&method("ListProjects"), json!({})).await;
    assert_eq!(count(&theirs["details"]["total"]), 0, "{theirs}");
    let grant = stranger
        .call(
            &method("AddProjectGrant"),
            json!({ "projectId": shop, "grantedOrgId": acme }),
        )
        .await;
    assert_eq!(grant.0, StatusCode::NOT_FOUND, "{}", grant.1);
}
