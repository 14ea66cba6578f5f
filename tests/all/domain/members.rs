//! Project members through the public JSON API: `PROJECT_*` roles act on
//! their project and nowhere else, and a removed membership takes the
//! access away at once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{project, refused};
use crate::cqrs::{Backend, start};
use crate::support::{Answer, Api};

/// The path of `MemberService` method `name`.
fn member(name: &str) -> String {
    format!("rampart.member.v1.MemberService/{name}")
}

/// Asserts `answer` is a denial naming `permission`.
fn denied(answer: &Answer, permission: &str) {
    refused(
        answer,
        StatusCode::FORBIDDEN,
        "permission_denied",
        "PERMISSION_DENIED",
        permission,
    );
}

/// The user ids of a member list.
fn user_ids(list: &Value) -> Vec<String> {
    list["result"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["userId"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_roles_act_on_their_project_only_on_sqlite() {
    project_roles(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_roles_act_on_their_project_only_on_postgres() {
    project_roles(Backend::postgres().await).await;
}

async fn project_roles(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;

    // An org owner does the rest: projects, a machine user, its membership.
    let (owner_id, owner_token) = admin.add_machine(&acme, "acme-owner", &[]).await;
    admin
        .ok(
            &member("AddOrgMember"),
            json!({ "orgId": acme, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let owner = admin.with_token(Some(&owner_token));
    let p = owner.add_project(&acme, "Shop").await;
    let q = owner.add_project(&acme, "Blog").await;
    let (dev_id, dev_token) = owner.add_machine(&acme, "shop-dev", &[]).await;
    let dev = admin.with_token(Some(&dev_token));

    // Not a member yet: nothing on P.
    denied(
        &dev.call(&project("GetProject"), json!({ "projectId": p }))
            .await,
        "project.read",
    );
    // Only PROJECT_* roles are held on a project.
    let org_role = owner
        .call(
            &member("AddProjectMember"),
            json!({ "projectId": p, "userId": dev_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    refused(
        &org_role,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "PROJECT_OWNER",
    );
    owner
        .ok(
            &member("AddProjectMember"),
            json!({ "projectId": p, "userId": dev_id, "roles": ["PROJECT_OWNER"] }),
        )
        .await;

    // PROJECT_OWNER of P: P, its roles, apps and members.
    dev.ok(
        &project("UpdateProject"),
        json!({ "projectId": p, "name": "Shop 2" }),
    )
    .await;
    let got = dev
        .ok(&project("GetProject"), json!({ "projectId": p }))
        .await;
    assert_eq!(got["project"]["name"], "Shop 2", "{got}");
    dev.ok(
        &project("AddProjectRole"),
        json!({ "projectId": p, "key": "shop.admin", "displayName": "Admin" }),
    )
    .await;
    dev.ok(
        &project("AddApiApp"),
        json!({ "projectId": p, "name": "Backend" }),
    )
    .await;
    let members = dev
        .ok(&member("ListProjectMembers"), json!({ "projectId": p }))
        .await;
    assert_eq!(user_ids(&members), [dev_id.as_str()], "{members}");
    let mine = dev
        .ok("rampart.auth.v1.AuthService/ListMyPermissions", json!({}))
        .await;
    assert_eq!(
        mine["projectPermissions"][0]["projectId"],
        json!(p),
        "{mine}"
    );
    assert!(
        mine["orgPermissions"].as_array().is_none_or(Vec::is_empty),
        "{mine}"
    );

    // Nothing on Q, on the organization or the instance.
    denied(
        &dev.call(
            &project("UpdateProject"),
            json!({ "projectId": q, "name": "Mine now" }),
        )
        .await,
        "project.write",
    );
    denied(
        &dev.call(&project("GetProject"), json!({ "projectId": q }))
            .await,
        "project.read",
    );
    denied(
        &dev.call(
            "rampart.user.v1.UserService/ListUsers",
            json!({ "orgId": acme }),
        )
        .await,
        "user.read",
    );
    denied(
        &dev.call(
            &project("AddProject"),
            json!({ "orgId": acme, "name": "Another" }),
        )
        .await,
        "project.write",
    );
    denied(
        &dev.call(&project("RemoveProject"), json!({ "projectId": p }))
            .await,
        "project.delete",
    );
    denied(
        &dev.call(
            &member("AddOrgMember"),
            json!({ "orgId": acme, "userId": dev_id, "roles": ["ORG_OWNER"] }),
        )
        .await,
        "org.member.write",
    );

    // PROJECT_VIEWER reads P but changes nothing.
    owner
        .ok(
            &member("UpdateProjectMember"),
            json!({ "projectId": p, "userId": dev_id, "roles": ["PROJECT_VIEWER"] }),
        )
        .await;
    let got = dev
        .ok(&project("GetProject"), json!({ "projectId": p }))
        .await;
    assert_eq!(got["project"]["name"], "Shop 2", "{got}");
    dev.ok(&project("ListProjectRoles"), json!({ "projectId": p }))
        .await;
    denied(
        &dev.call(
            &project("UpdateProject"),
            json!({ "projectId": p, "name": "Shop 3" }),
        )
        .await,
        "project.write",
    );
    denied(
        &dev.call(
            &member("RemoveProjectMember"),
            json!({ "projectId": p, "userId": dev_id }),
        )
        .await,
        "project.member.write",
    );

    // Removing the membership takes the access away at once.
    owner
        .ok(
            &member("RemoveProjectMember"),
            json!({ "projectId": p, "userId": dev_id }),
        )
        .await;
    denied(
        &dev.call(&project("GetProject"), json!({ "projectId": p }))
            .await,
        "project.read",
    );
    let members = owner
        .ok(&member("ListProjectMembers"), json!({ "projectId": p }))
        .await;
    assert!(user_ids(&members).is_empty(), "{members}");

    // A removed user leaves the member list; a removed project has none.
    owner
        .ok(
            &member("AddProjectMember"),
            json!({ "projectId": q, "userId": dev_id, "roles": ["PROJECT_VIEWER"] }),
        )
        .await;
    dev.ok(&project("GetProject"), json!({ "projectId": q }))
        .await;
    owner
        .ok(
            "rampart.user.v1.UserService/RemoveUser",
            json!({ "userId": dev_id }),
        )
        .await;
    let members = owner
        .ok(&member("ListProjectMembers"), json!({ "projectId": q }))
        .await;
    assert!(user_ids(&members).is_empty(), "{members}");
    let (ops_id, _) = owner.add_machine(&acme, "blog-ops", &[]).await;
    owner
        .ok(
            &member("AddProjectMember"),
            json!({ "projectId": q, "userId": ops_id, "roles": ["PROJECT_OWNER"] }),
        )
        .await;
    owner
        .ok(&project("RemoveProject"), json!({ "projectId": q }))
        .await;
    let members = admin
        .ok(&member("ListProjectMembers"), json!({ "projectId": q }))
        .await;
    assert!(user_ids(&members).is_empty(), "{members}");
}
