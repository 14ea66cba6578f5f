//! Authorizations (user grants) through the public API, on both backends:
//! direct and through project grants, the cascades of project changes, the
//! read-model cascades of removed users, and who may hand roles out.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{authz, project};
use crate::cqrs::{Backend, count, start};
use crate::support::Api;

/// `(user id, role keys)` of the authorizations a list answered with,
/// sorted by user.
fn roles_by_user(list: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = list["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let keys = a.get("roleKeys").cloned().unwrap_or(json!([]));
            (a["userId"].as_str().unwrap().to_owned(), keys)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizations_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizations_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let globex = admin.add_org("Globex").await;
    let shop = admin.add_project(&acme, "Shop").await;
    for key in ["admin", "viewer"] {
        admin
            .ok(
                &project("AddProjectRole"),
                json!({ "projectId": shop, "key": key, "displayName": key }),
            )
            .await;
    }
    let grant = admin
        .ok(
            &project("AddProjectGrant"),
            json!({ "projectId": shop, "grantedOrgId": globex, "roleKeys": ["viewer"] }),
        )
        .await["grantId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ada = admin.add_user(&acme, "ada", None).await;
    let bob = admin.add_user(&globex, "bob", None).await;

    // Directly by the project's organization; read at once.
    let direct = admin
        .ok(
            &authz("AddAuthorization"),
            json!({ "orgId": acme, "userId": ada, "projectId": shop, "roleKeys": ["viewer", "admin"] }),
        )
        .await["authorizationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = admin
        .ok(
            &authz("GetAuthorization"),
            json!({ "authorizationId": direct }),
        )
        .await;
    assert_eq!(
        got["authorization"]["roleKeys"],
        json!(["admin", "viewer"]),
        "{got}"
    );
    assert_eq!(got["authorization"]["usable"], true, "{got}");
    let again = admin
        .call(
            &authz("AddAuthorization"),
            json!({ "orgId": acme, "userId": ada, "projectId": shop }),
        )
        .await;
    assert_eq!(again.0, StatusCode::CONFLICT, "{}", again.1);

    // Through the grant, by the granted organization's user manager, who
    // may hand out only what was granted, and nothing of ACME's own.
    let (manager_id, token) = admin.add_machine(&globex, "globex-users", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": globex, "userId": manager_id, "roles": ["ORG_USER_MANAGER"] }),
        )
        .await;
    let manager = admin.with_token(Some(&token));
    let too_much = manager
        .call(
            &authz("AddAuthorization"),
            json!({ "orgId": globex, "userId": bob, "projectId": shop,
                    "projectGrantId": grant, "roleKeys": ["admin"] }),
        )
        .await;
    assert_eq!(too_much.0, StatusCode::BAD_REQUEST, "{}", too_much.1);
    assert!(
        too_much.1["message"]
            .as_str()
            .unwrap()
            .contains("does not grant the role")
    );
    let not_theirs = manager
        .call(
            &authz("AddAuthorization"),
            json!({ "orgId": acme, "userId": bob, "projectId": shop }),
        )
        .await;
    assert_eq!(not_theirs.0, StatusCode::FORBIDDEN, "{}", not_theirs.1);
    let wrong_owner = manager
        .call(
            &authz("AddAuthorization"),
            json!({ "orgId": globex, "userId": bob, "projectId": shop }),
        )
        .await;
    assert_eq!(wrong_owner.0, StatusCode::BAD_REQUEST, "{}", wrong_owner.1);
    assert!(
        wrong_owner.1["message"]
            .as_str()
            .unwrap()
            .contains(&format!("belongs to organization {acme}")),
        "{}",
        wrong_owner.1
    );
    manager
        .ok(
            &authz("AddAuthorization"),
            json!({ "orgId": globex, "userId": bob, "projectId": shop,
                    "projectGrantId": grant, "roleKeys": ["viewer"] }),
        )
        .await;
    let theirs = manager
        .ok(&authz("ListAuthorizations"), json!({ "orgId": globex }))
        .await;
    assert_eq!(
        roles_by_user(&theirs),
        vec![(bob.clone(), json!(["viewer"]))]
    );
    let checked = admin
        .ok(
            &authz("GetUserProjectRoles"),
            json!({ "userId": bob, "projectId": shop }),
        )
        .await;
    assert_eq!(
        checked,
        json!({ "authorized": true, "roleKeys": ["viewer"] })
    );

    // A role leaving the project leaves every authorization holding it.
    admin
        .ok(
            &project("RemoveProjectRole"),
            json!({ "projectId": shop, "key": "viewer" }),
        )
        .await;
    let by_project = admin
        .ok(&authz("ListAuthorizations"), json!({ "projectId": shop }))
        .await;
    assert_eq!(
        roles_by_user(&by_project),
        {
            let mut expected = vec![(ada.clone(), json!(["admin"])), (bob.clone(), json!([]))];
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            expected
        },
        "{by_project}"
    );

    // A deactivated grant makes its authorizations unusable, at once.
    admin
        .ok(
            &project("DeactivateProjectGrant"),
            json!({ "projectId": shop, "grantId": grant }),
        )
        .await;
    let checked = admin
        .ok(
            &authz("GetUserProjectRoles"),
            json!({ "userId": bob, "projectId": shop }),
        )
        .await;
    assert_eq!(checked, json!({}), "not authorized, no roles: {checked}");
    let checked = admin
        .ok(
            &authz("GetUserProjectRoles"),
            json!({ "userId": ada, "projectId": shop }),
        )
        .await;
    assert_eq!(
        checked,
        json!({ "authorized": true, "roleKeys": ["admin"] })
    );

    // A removed user's authorizations are gone from the lists at once.
    admin
        .ok(
            "rampart.user.v1.UserService/RemoveUser",
            json!({ "userId": ada }),
        )
        .await;
    let list = admin
        .ok(&authz("ListAuthorizations"), json!({ "userId": ada }))
        .await;
    assert_eq!(count(&list["details"]["total"]), 0, "{list}");

    // Removing the grant removes what went through it, at once.
    admin
        .ok(
            &project("RemoveProjectGrant"),
            json!({ "projectId": shop, "grantId": grant }),
        )
        .await;
    let list = admin
        .ok(&authz("ListAuthorizations"), json!({ "projectId": shop }))
        .await;
    assert_eq!(count(&list["details"]["total"]), 0, "{list}");
}
