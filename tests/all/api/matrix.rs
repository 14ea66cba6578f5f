//! The authorization matrix: every method of every service, generated from
//! the descriptors (so a new method is covered the moment it exists, and
//! one without a rule does not start), against:
//!
//! - no token, a malformed token, an expired token, a revoked token, and a
//!   token of this instance presented on another instance's host name:
//!   `UNAUTHENTICATED` for every method;
//! - a caller with no role, a member of another organization, and a caller
//!   for each role of the role table: allowed exactly when the role table
//!   grants the method's permission in its scope, otherwise
//!   `PERMISSION_DENIED` naming the permission. A `PROJECT_*` caller is a
//!   member of each method's target project: its permissions count for the
//!   methods whose resource is that project (or the target authorization,
//!   which the project's organization gave), never for organization- or
//!   instance-scoped methods.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::json;
use tonic::Code;

use super::{Client, Targets, Transport, first_instance, methods, valid_request};
use crate::cqrs::{Backend, start};
use crate::support::Api;

/// A caller of the matrix and what its roles grant.
struct Principal {
    label: String,
    token: String,
    instance_permissions: BTreeSet<String>,
    /// Permissions held in the target organization.
    org_permissions: BTreeSet<String>,
    /// Permissions held on the target project (made a member of each
    /// method's fresh target project).
    project_permissions: BTreeSet<String>,
    /// Its user id, for project callers (added to every target project).
    project_member: Option<String>,
}

impl Principal {
    fn may(&self, rule: &rampart::api::rules::MethodRule) -> bool {
        use rampart::api::rules::MethodScope;
        let permission = &rule.permission;
        match rule.scope {
            MethodScope::OwnSelf => true,
            MethodScope::Instance | MethodScope::System => {
                self.instance_permissions.contains(permission)
            }
            MethodScope::Org(_) => {
                self.instance_permissions.contains(permission)
                    || self.org_permissions.contains(permission)
            }
            // Every resource-scoped method a project role's permissions
            // (project.*, authorization.*) reach acts on the target project
            // or its authorization.
            // No principal of the matrix is the target user: methods a user
            // may call about itself are resource-scoped for everyone else.
            MethodScope::Resource | MethodScope::SelfOrResource => {
                self.instance_permissions.contains(permission)
                    || self.org_permissions.contains(permission)
                    || self.project_permissions.contains(permission)
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_allows_exactly_what_the_role_table_grants_sqlite_json() {
    matrix(Backend::Sqlite, Transport::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_allows_exactly_what_the_role_table_grants_sqlite_grpc() {
    matrix(Backend::Sqlite, Transport::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_allows_exactly_what_the_role_table_grants_postgres_json() {
    matrix(Backend::postgres().await, Transport::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_allows_exactly_what_the_role_table_grants_postgres_grpc() {
    matrix(Backend::postgres().await, Transport::Grpc).await;
}

async fn matrix(backend: Backend, transport: Transport) {
    let _turn = super::HEAVY.acquire().await.expect("never closed");
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let (instance_id, _) = first_instance(&admin).await;
    let org_a = admin.add_org("Matrix A").await;
    let org_b = admin.add_org("Matrix B").await;
    // The callers' own users live apart from the organization the calls
    // target, so removing that organization (the last method) removes none
    // of them: later callers still authenticate.
    let home = admin.add_org("Matrix callers").await;
    let org_a_domain = admin
        .ok(
            "rampart.org.v1.OrgService/GetOrg",
            json!({ "orgId": org_a }),
        )
        .await["org"]["primaryDomain"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Other",
                "domains": ["matrix-other.test"],
                "admin": {
                    "username": "other-admin",
                    "name": "Other admin",
                    "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                },
            }),
        )
        .await;

    let doomed = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Doomed",
                "domains": ["matrix-doomed.test"],
                "admin": {
                    "username": "doomed-admin",
                    "name": "Doomed admin",
                    "tokenExpirationDate": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                },
            }),
        )
        .await["instanceId"]
        .as_str()
        .unwrap()
        .to_owned();

    let roles = admin
        .ok("rampart.member.v1.MemberService/ListRoles", json!({}))
        .await;
    let table: BTreeMap<String, (String, BTreeSet<String>)> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let permissions = r["permissions"]
                .as_array()
                .map(|p| p.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (
                r["key"].as_str().unwrap().to_owned(),
                (r["level"].as_str().unwrap().to_owned(), permissions),
            )
        })
        .collect();
    assert!(table.len() >= 6, "{roles}");

    let mut principals = Vec::new();
    for (key, (level, permissions)) in &table {
        let username = format!("matrix-{}", key.to_lowercase().replace('_', "-"));
        let member_elsewhere = matches!(level.as_str(), "ROLE_LEVEL_ORG" | "ROLE_LEVEL_PROJECT");
        let instance_roles: &[&str] = if member_elsewhere { &[] } else { &[key] };
        let (id, token) = admin.add_machine(&home, &username, instance_roles).await;
        let mut principal = Principal {
            label: key.clone(),
            token,
            instance_permissions: BTreeSet::new(),
            org_permissions: BTreeSet::new(),
            project_permissions: BTreeSet::new(),
            project_member: None,
        };
        if level == "ROLE_LEVEL_PROJECT" {
            principal.project_permissions = permissions.clone();
            principal.project_member = Some(id);
        } else if level == "ROLE_LEVEL_ORG" {
            admin
                .ok(
                    "rampart.member.v1.MemberService/AddOrgMember",
                    json!({ "orgId": org_a, "userId": id, "roles": [key] }),
                )
                .await;
            principal.org_permissions = permissions.clone();
        } else {
            principal.instance_permissions = permissions.clone();
        }
        principals.push(principal);
    }
    let (_, nobody) = admin.add_machine(&home, "matrix-nobody", &[]).await;
    principals.push(Principal {
        label: "no role".into(),
        token: nobody,
        instance_permissions: BTreeSet::new(),
        org_permissions: BTreeSet::new(),
        project_permissions: BTreeSet::new(),
        project_member: None,
    });
    let (other_id, other) = admin.add_machine(&org_b, "matrix-other-org", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": org_b, "userId": other_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    principals.push(Principal {
        label: "ORG_OWNER of another org".into(),
        token: other,
        instance_permissions: BTreeSet::new(),
        org_permissions: BTreeSet::new(),
        project_permissions: BTreeSet::new(),
        project_member: None,
    });

    // Credentials that authenticate nobody.
    let (revoked_id, revoked) = admin
        .add_machine(&org_a, "matrix-revoked", &["IAM_OWNER"])
        .await;
    let tokens = admin
        .ok(
            "rampart.user.v1.UserService/ListPersonalAccessTokens",
            json!({ "userId": revoked_id }),
        )
        .await;
    let token_id = tokens["result"][0]["tokenId"].as_str().unwrap().to_owned();
    admin
        .ok(
            "rampart.user.v1.UserService/RemovePersonalAccessToken",
            json!({ "userId": revoked_id, "tokenId": token_id }),
        )
        .await;
    let (expiring_id, _) = admin
        .add_machine(&org_a, "matrix-expired", &["IAM_OWNER"])
        .await;
    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    let expired = admin
        .ok(
            "rampart.user.v1.UserService/AddPersonalAccessToken",
            json!({ "userId": expiring_id, "expirationDate": soon.to_rfc3339() }),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let admin_token = server.admin_token();
    let malformed = format!("{admin_token}x");

    let client = Client::new(&server, None).await;
    let refused: Vec<(&str, Client)> = vec![
        ("no token", client.with_token(None)),
        ("a malformed token", client.with_token(Some(&malformed))),
        ("an expired token", client.with_token(Some(&expired))),
        ("a revoked token", client.with_token(Some(&revoked))),
        (
            "the token of another instance",
            client
                .with_token(Some(&admin_token))
                .on_host("matrix-other.test"),
        ),
    ];

    let mut checked = 0;
    for rule in methods() {
        let target = admin
            .add_user(&org_a, &format!("target{checked}"), None)
            .await;
        let project_id = admin
            .add_project(&org_a, &format!("Target {checked}"))
            .await;
        for principal in &principals {
            let Some(user_id) = &principal.project_member else {
                continue;
            };
            admin
                .ok(
                    "rampart.member.v1.MemberService/AddProjectMember",
                    json!({ "projectId": project_id, "userId": user_id, "roles": [principal.label] }),
                )
                .await;
        }
        let authorization_id = admin
            .ok(
                "rampart.authorization.v1.AuthorizationService/AddAuthorization",
                json!({ "orgId": org_a, "userId": target, "projectId": project_id }),
            )
            .await["authorizationId"]
            .as_str()
            .unwrap()
            .to_owned();
        let targets = Targets {
            instance_id: instance_id.clone(),
            org_id: org_a.clone(),
            org_domain: org_a_domain.clone(),
            user_id: target,
            username: format!("target{checked}"),
            removable_instance_id: doomed.clone(),
            project_id,
            other_org_id: org_b.clone(),
            authorization_id,
        };
        let request = valid_request(rule, &targets);
        for (label, caller) in &refused {
            let (outcome, _) = caller.call(transport, rule, &request).await;
            assert_eq!(
                outcome.code,
                Code::Unauthenticated,
                "{}: {label}: {outcome:?}",
                rule.path
            );
        }
        // Denials first: they change nothing, so every allowed call after
        // them still finds the same state.
        let (mut allowed, denied): (Vec<&Principal>, Vec<&Principal>) =
            principals.iter().partition(|p| p.may(rule));
        // Project, then organization members first: a removal by an
        // organization- or instance-wide caller would end their membership
        // before their turn.
        allowed.sort_by_key(|p| {
            (
                !p.instance_permissions.is_empty(),
                !p.org_permissions.is_empty(),
            )
        });
        for principal in &denied {
            let caller = client.with_token(Some(&principal.token));
            let (outcome, _) = caller.call(transport, rule, &request).await;
            assert_eq!(
                outcome.code,
                Code::PermissionDenied,
                "{}: {} must be denied: {outcome:?}",
                rule.path,
                principal.label
            );
            assert!(
                outcome.message.contains(&rule.permission),
                "{}: the denial names {}: {}",
                rule.path,
                rule.permission,
                outcome.message
            );
        }
        for principal in &allowed {
            let caller = client.with_token(Some(&principal.token));
            let (outcome, _) = caller.call(transport, rule, &request).await;
            assert!(
                !matches!(
                    outcome.code,
                    Code::PermissionDenied | Code::Unauthenticated | Code::Internal
                ),
                "{}: {} must be allowed: {outcome:?}",
                rule.path,
                principal.label
            );
        }
        if rule.method.name() == "DeactivateOrg" {
            // Later methods act in the organization again.
            admin
                .ok(
                    "rampart.org.v1.OrgService/ReactivateOrg",
                    json!({ "orgId": org_a }),
                )
                .await;
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} methods");
    eprintln!(
        "matrix: {checked} methods x ({} refused credentials + {} principals) over {transport:?}",
        refused.len(),
        principals.len()
    );
}
