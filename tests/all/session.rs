//! The session API (`rampart.session.v1`) over the real server, on SQLite
//! and PostgreSQL, as a login UI of one's own calls it: a machine user
//! holding `IAM_LOGIN_CLIENT` creates sessions with user (by id or login
//! name) and password checks, reads them back with their times, adds
//! checks (each change rotating the token: the old one is refused with
//! 403), lists a user's sessions and terminates them. A wrong password
//! fails the call, records nothing on the session and moves the user's
//! lockout counter until the user is locked; sessions of another instance
//! are invisible.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cqrs::{Backend, count, start};
use crate::domain::refused;
use crate::support::Api;

/// The password of every test user.
const PASSWORD: &str = "Sessi0n-Passw0rd!";

/// The path of `SessionService` method `name`.
fn method(name: &str) -> String {
    format!("rampart.session.v1.SessionService/{name}")
}

/// The answer's `session`, read with `GetSession`.
async fn get(api: &Api, session: &str) -> Value {
    api.ok(&method("GetSession"), json!({ "sessionId": session }))
        .await["session"]
        .clone()
}

/// Creates a session checking `user` (a `CheckUser` body) and, if given,
/// `password`; the raw answer.
async fn create(api: &Api, user: Value, password: Option<&str>) -> crate::support::Answer {
    let mut checks = json!({ "user": user });
    if let Some(password) = password {
        checks["password"] = json!({ "password": password });
    }
    api.call(
        &method("CreateSession"),
        json!({ "checks": checks, "lifetimeSeconds": 3600, "userAgent": "curl/8" }),
    )
    .await
}

/// The `(session id, token)` of a create that must succeed.
async fn created(api: &Api, user: Value, password: Option<&str>) -> (String, String) {
    let (status, answer) = create(api, user, password).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = answer["sessionToken"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64, "{answer}");
    (answer["sessionId"].as_str().unwrap().to_owned(), token)
}

/// How many sessions `user` has, by `ListSessions`.
async fn sessions_of(api: &Api, user: &str) -> u64 {
    let listed = api
        .ok(&method("ListSessions"), json!({ "userId": user }))
        .await;
    count(&listed["details"]["total"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_flow_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    admin
        .ok(
            "rampart.settings.v1.SettingsService/SetOrgSettings",
            json!({ "orgId": acme, "lockout": { "maxPasswordAttempts": 3, "showLockoutFailures": true } }),
        )
        .await;
    let ada = admin.add_user(&acme, "ada", Some(PASSWORD)).await;
    let grace = admin.add_user(&acme, "grace", Some(PASSWORD)).await;
    let (_, token) = admin
        .add_machine(&acme, "login-ui", &["IAM_LOGIN_CLIENT"])
        .await;
    let login = admin.with_token(Some(&token));

    // Created with a user (by login name) and a password: both checks
    // read back with their times, the expiry, the user agent.
    let (first, first_token) = created(&login, json!({ "loginName": "Ada" }), Some(PASSWORD)).await;
    let session = get(&login, &first).await;
    assert_eq!(session["id"], first.as_str(), "{session}");
    assert_eq!(session["state"], "SESSION_STATE_ACTIVE", "{session}");
    assert_eq!(session["userAgent"], "curl/8", "{session}");
    assert!(session["expirationDate"].is_string(), "{session}");
    let user = &session["factors"]["user"];
    assert_eq!(user["id"], ada.as_str(), "{session}");
    assert_eq!(user["orgId"], acme.as_str(), "{session}");
    assert_eq!(user["active"], true, "{session}");
    assert!(user["verifiedAt"].is_string(), "{session}");
    let password_at = session["factors"]["password"]["verifiedAt"].clone();
    assert!(password_at.is_string(), "{session}");

    // By login name with the organization's domain, and by id.
    let domain = admin
        .ok("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": acme }))
        .await["org"]["primaryDomain"]
        .as_str()
        .unwrap()
        .to_owned();
    let (by_domain, _) = created(
        &login,
        json!({ "loginName": format!("ada@{domain}") }),
        None,
    )
    .await;
    assert_eq!(
        get(&login, &by_domain).await["factors"]["user"]["id"],
        ada.as_str()
    );
    assert!(get(&login, &by_domain).await["factors"]["password"].is_null());
    refused(
        &create(
            &login,
            json!({ "loginName": "ada@elsewhere.example" }),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "NOT_FOUND",
        "user ada@elsewhere.example not found",
    );
    assert_eq!(sessions_of(&login, &ada).await, 2);

    // A wrong password: refused, counted toward lockout (the counter
    // moves), and no session is created.
    for left in ["2 attempts left", "1 attempts left"] {
        refused(
            &create(&login, json!({ "userId": ada }), Some("Wrong-Passw0rd!")).await,
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "PASSWORD_INVALID",
            left,
        );
    }
    assert_eq!(sessions_of(&login, &ada).await, 2);

    // A change adds a check and rotates the token: the old one is refused.
    let (status, answer) = login
        .call(
            &method("SetSession"),
            json!({
                "sessionId": first,
                "sessionToken": first_token,
                "checks": { "password": { "password": PASSWORD } },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let second_token = answer["sessionToken"].as_str().unwrap().to_owned();
    assert_ne!(second_token, first_token);
    let again = get(&login, &first).await;
    assert!(
        again["factors"]["password"]["verifiedAt"].as_str() >= password_at.as_str(),
        "{again}"
    );
    for token in [first_token.as_str(), "0".repeat(64).as_str()] {
        refused(
            &login
                .call(
                    &method("SetSession"),
                    json!({ "sessionId": first, "sessionToken": token }),
                )
                .await,
            StatusCode::FORBIDDEN,
            "permission_denied",
            "SESSION_TOKEN_INVALID",
            "the session token is invalid",
        );
    }
    refused(
        &login
            .call(
                &method("DeleteSession"),
                json!({ "sessionId": first, "sessionToken": first_token }),
            )
            .await,
        StatusCode::FORBIDDEN,
        "permission_denied",
        "SESSION_TOKEN_INVALID",
        "invalid",
    );
    // Another user's check on ada's session is refused.
    refused(
        &login
            .call(
                &method("SetSession"),
                json!({
                    "sessionId": first,
                    "sessionToken": second_token,
                    "checks": { "user": { "userId": grace } },
                }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "another user",
    );

    // Terminated with its token: read as terminated, changes refused.
    login
        .ok(
            &method("DeleteSession"),
            json!({ "sessionId": first, "sessionToken": second_token }),
        )
        .await;
    assert_eq!(
        get(&login, &first).await["state"],
        "SESSION_STATE_TERMINATED"
    );
    refused(
        &login
            .call(
                &method("SetSession"),
                json!({ "sessionId": first, "sessionToken": second_token }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "the session was terminated",
    );
    let active = login
        .ok(
            &method("ListSessions"),
            json!({ "userId": ada, "state": "SESSION_STATE_ACTIVE" }),
        )
        .await;
    assert_eq!(count(&active["details"]["total"]), 1, "{active}");
    assert_eq!(active["result"][0]["id"], by_domain.as_str(), "{active}");
    // Without a token, by a caller holding `session.delete`.
    login
        .ok(&method("DeleteSession"), json!({ "sessionId": by_domain }))
        .await;
    assert_eq!(
        get(&login, &by_domain).await["state"],
        "SESSION_STATE_TERMINATED"
    );

    // The right password above reset the count; three wrong ones in a
    // row lock ada: her sessions' user is no longer active, and new checks
    // of her are refused.
    let (kept, _) = created(&login, json!({ "userId": ada }), None).await;
    for says in ["2 attempts left", "1 attempts left", "now locked"] {
        refused(
            &create(&login, json!({ "userId": ada }), Some("Wrong-Passw0rd!")).await,
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "PASSWORD_INVALID",
            says,
        );
    }
    // (Canonical JSON leaves `false` out.)
    let locked = get(&login, &kept).await;
    assert_eq!(locked["factors"]["user"]["id"], ada.as_str(), "{locked}");
    assert!(locked["factors"]["user"]["active"].is_null(), "{locked}");
    refused(
        &create(&login, json!({ "userId": ada }), None).await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "the user is locked",
    );

    // A caller without session permissions may do nothing here.
    let (_, manager) = admin
        .add_machine(&acme, "manager", &["IAM_USER_MANAGER"])
        .await;
    let manager = admin.with_token(Some(&manager));
    let (status, answer) = create(&manager, json!({ "userId": grace }), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, answer) = manager
        .call(&method("GetSession"), json!({ "sessionId": kept }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_isolated_between_instances() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let ada = admin.add_user(&acme, "ada", Some(PASSWORD)).await;
    let (session, token) = created(&admin, json!({ "userId": ada }), Some(PASSWORD)).await;

    let other = admin
        .ok(
            "rampart.instance.v1.InstanceService/AddInstance",
            json!({
                "name": "Other",
                "domains": ["sessions-other.test"],
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
        .on_host("sessions-other.test");
    for (name, body) in [
        ("GetSession", json!({ "sessionId": session })),
        (
            "SetSession",
            json!({ "sessionId": session, "sessionToken": token }),
        ),
        ("DeleteSession", json!({ "sessionId": session })),
        (
            "DeleteSession",
            json!({ "sessionId": session, "sessionToken": token }),
        ),
    ] {
        let (status, answer) = stranger.call(&method(name), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}: {answer}");
    }
    assert_eq!(sessions_of(&stranger, &ada).await, 0);
    // Nor can it check the first instance's users.
    refused(
        &create(&stranger, json!({ "userId": ada }), Some(PASSWORD)).await,
        StatusCode::NOT_FOUND,
        "not_found",
        "NOT_FOUND",
        "user",
    );
    // The session is untouched at home.
    let home = get(&admin, &session).await;
    assert_eq!(home["state"], "SESSION_STATE_ACTIVE", "{home}");
    assert_eq!(sessions_of(&admin, &ada).await, 1);
}

/// How many `user.human.password.rehashed` events `user` has.
async fn rehashes(api: &Api, user: &str) -> usize {
    let events = api
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": "user", "aggregateId": user,
                    "eventTypes": ["user.human.password.rehashed"] }),
        )
        .await;
    events["events"].as_array().map_or(0, Vec::len)
}

/// Raising `Commands.PasswordHash` reaches users at their next login: a
/// session's password check that proves a password hashed under the old
/// parameters stores it hashed anew, once; the password keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_raised_hash_parameters_when_a_session_checks_the_password_then_it_is_rehashed_once()
{
    let dir = tempfile::tempdir().unwrap();
    let cheap = [
        ("RAMPART_COMMANDS_PASSWORDHASH_MEMORY", "8KiB"),
        ("RAMPART_COMMANDS_PASSWORDHASH_ITERATIONS", "1"),
    ];
    let server = start(dir.path(), &Backend::Sqlite, &cheap).await;
    let admin = Api::new(&server);
    let acme = admin.add_org("ACME").await;
    let ada = admin.add_user(&acme, "ada", Some(PASSWORD)).await;
    created(&admin, json!({ "userId": ada }), Some(PASSWORD)).await;
    assert_eq!(
        rehashes(&admin, &ada).await,
        0,
        "same parameters: no rehash"
    );
    server.terminate().await.unwrap();

    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let admin = Api::new(&server);
    created(&admin, json!({ "userId": ada }), Some(PASSWORD)).await;
    assert_eq!(
        rehashes(&admin, &ada).await,
        1,
        "raised parameters: hashed anew"
    );
    created(&admin, json!({ "userId": ada }), Some(PASSWORD)).await;
    assert_eq!(rehashes(&admin, &ada).await, 1, "once");
    let (status, answer) = create(&admin, json!({ "userId": ada }), Some("wrong")).await;
    assert_ne!(status, StatusCode::OK, "{answer}");
}
