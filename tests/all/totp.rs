//! TOTP second factors and recovery codes over the real server, on SQLite
//! and PostgreSQL: an administrator enrols a user's TOTP (the codes are
//! computed here from the secret the server returns once), a login UI
//! checks password and TOTP in sessions, a code passes once, wrong codes
//! count toward `maxOtpAttempts` until the user is locked, a recovery code
//! works once, and removing the TOTP ends all of it. An administrator of
//! another organization cannot enrol the user; a caller without roles may
//! call the enrolment methods about itself only.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cqrs::{Backend, start};
use crate::domain::refused;
use crate::support::Api;

/// The password of the test user.
const PASSWORD: &str = "T0tp-Passw0rd!";

/// The path of `UserService` method `name`.
fn user_method(name: &str) -> String {
    format!("rampart.user.v1.UserService/{name}")
}

/// The path of `SessionService` method `name`.
fn session_method(name: &str) -> String {
    format!("rampart.session.v1.SessionService/{name}")
}

/// The current TOTP time step.
pub(crate) fn now_step() -> u64 {
    rampart::auth::totp::step_at(chrono::Utc::now().timestamp())
}

/// The code of base32 `secret` at `step`, as an authenticator shows it.
pub(crate) fn code(secret: &str, step: u64) -> String {
    let secret = rampart::auth::totp::base32_decode(secret).expect("base32 secret");
    rampart::auth::totp::code(&secret, step)
}

/// Registers and verifies a TOTP for `user` (as `admin`): its secret and
/// the step whose code verified it (used up: the next login takes the
/// next step's code).
pub(crate) async fn enrol(admin: &Api, user: &str) -> (String, u64) {
    let registered = admin
        .ok(&user_method("RegisterTOTP"), json!({ "userId": user }))
        .await;
    let secret = registered["secret"].as_str().unwrap().to_owned();
    let step = now_step();
    admin
        .ok(
            &user_method("VerifyTOTPRegistration"),
            json!({ "userId": user, "code": code(&secret, step) }),
        )
        .await;
    (secret, step)
}

/// A code that is none of `secret`'s within a step of now.
fn wrong_code(secret: &str) -> String {
    let step = now_step();
    let near: Vec<String> = (step - 2..=step + 2).map(|s| code(secret, s)).collect();
    ["123456", "654321", "111111"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .expect("one of three codes is not near")
        .to_owned()
}

/// Creates a session of `user` with the password and `second` (a
/// `Checks` field: `totp` or `recoveryCode`) holding `code`; the raw
/// answer.
async fn create(login: &Api, user: &str, second: &str, code: &str) -> crate::support::Answer {
    login
        .call(
            &session_method("CreateSession"),
            json!({ "checks": {
                "user": { "userId": user },
                "password": { "password": PASSWORD },
                second: { "code": code },
            }}),
        )
        .await
}

/// The session `id` as `GetSession` shows it.
async fn get_session(login: &Api, id: &str) -> Value {
    login
        .ok(&session_method("GetSession"), json!({ "sessionId": id }))
        .await["session"]
        .clone()
}

/// Whether `user`'s read model says it has a verified TOTP.
async fn enrolled(admin: &Api, user: &str) -> bool {
    let got = admin
        .ok(&user_method("GetUser"), json!({ "userId": user }))
        .await;
    // Canonical JSON leaves `false` out.
    got["user"]["human"]["totpEnrolled"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_flow_on_postgres() {
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
            json!({ "orgId": acme, "lockout": { "maxOtpAttempts": 3, "showLockoutFailures": true } }),
        )
        .await;
    let ada = admin.add_user(&acme, "ada", Some(PASSWORD)).await;
    let (_, token) = admin
        .add_machine(&acme, "login-ui", &["IAM_LOGIN_CLIENT"])
        .await;
    let login = admin.with_token(Some(&token));

    // Tenant isolation: the owner of another organization may not enrol
    // ada.
    let other = admin.add_org("Other").await;
    let (owner_id, owner) = admin.add_machine(&other, "other-owner", &[]).await;
    admin
        .ok(
            "rampart.member.v1.MemberService/AddOrgMember",
            json!({ "orgId": other, "userId": owner_id, "roles": ["ORG_OWNER"] }),
        )
        .await;
    let (status, answer) = admin
        .with_token(Some(&owner))
        .call(&user_method("RegisterTOTP"), json!({ "userId": ada }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    // About itself, a caller needs no permission: a machine user without
    // roles passes the gate and is told only that machines have no TOTP.
    let (self_id, self_token) = admin.add_machine(&acme, "self-service", &[]).await;
    let itself = admin.with_token(Some(&self_token));
    refused(
        &itself
            .call(&user_method("RegisterTOTP"), json!({ "userId": self_id }))
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "machine user",
    );
    let (status, answer) = itself
        .call(&user_method("RegisterTOTP"), json!({ "userId": ada }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    // Before enrolment: not enrolled, and a TOTP check is refused.
    assert!(!enrolled(&admin, &ada).await);
    refused(
        &create(&login, &ada, "totp", "123456").await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "no verified TOTP",
    );

    // Enrolment: registering again while pending replaces the secret.
    let first = admin
        .ok(&user_method("RegisterTOTP"), json!({ "userId": ada }))
        .await;
    let registered = admin
        .ok(&user_method("RegisterTOTP"), json!({ "userId": ada }))
        .await;
    let secret = registered["secret"].as_str().unwrap().to_owned();
    assert_ne!(first["secret"], registered["secret"]);
    assert_eq!(secret.len(), 32, "{registered}");
    let uri = registered["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(":ada?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"), "{uri}");
    assert!(!enrolled(&admin, &ada).await, "pending is not enrolled");
    refused(
        &admin
            .call(
                &user_method("VerifyTOTPRegistration"),
                json!({ "userId": ada, "code": wrong_code(&secret) }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "TOTP_INVALID",
        "wrong",
    );
    let step = now_step();
    admin
        .ok(
            &user_method("VerifyTOTPRegistration"),
            json!({ "userId": ada, "code": code(&secret, step) }),
        )
        .await;
    assert!(enrolled(&admin, &ada).await);
    refused(
        &admin
            .call(&user_method("RegisterTOTP"), json!({ "userId": ada }))
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "remove it",
    );

    // Password and TOTP: the code that verified the enrolment is used up;
    // the next step's passes, once.
    refused(
        &create(&login, &ada, "totp", &code(&secret, step)).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "TOTP_INVALID",
        "2 attempts left",
    );
    let next = code(&secret, step + 1);
    let (status, answer) = create(&login, &ada, "totp", &next).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let session_id = answer["sessionId"].as_str().unwrap().to_owned();
    let session = get_session(&login, &session_id).await;
    assert!(
        session["factors"]["password"]["verifiedAt"].is_string(),
        "{session}"
    );
    assert!(
        session["factors"]["totp"]["verifiedAt"].is_string(),
        "{session}"
    );
    assert!(session["factors"]["recoveryCode"].is_null(), "{session}");
    // The success reset the count: a replay is the first failure again.
    refused(
        &create(&login, &ada, "totp", &next).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "TOTP_INVALID",
        "2 attempts left",
    );
    refused(
        &create(&login, &ada, "totp", &wrong_code(&secret)).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "TOTP_INVALID",
        "1 attempts left",
    );

    // Recovery codes: ten, each works once (here through SetSession).
    let generated = admin
        .ok(
            &user_method("GenerateRecoveryCodes"),
            json!({ "userId": ada }),
        )
        .await;
    let codes: Vec<String> = generated["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{generated}");
    let (status, answer) = login
        .call(
            &session_method("CreateSession"),
            json!({ "checks": { "user": { "userId": ada }, "password": { "password": PASSWORD } } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let recovered = answer["sessionId"].as_str().unwrap().to_owned();
    let (status, answer) = login
        .call(
            &session_method("SetSession"),
            json!({
                "sessionId": recovered,
                "sessionToken": answer["sessionToken"],
                "checks": { "recoveryCode": { "code": codes[0].to_lowercase() } },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let session = get_session(&login, &recovered).await;
    assert!(
        session["factors"]["recoveryCode"]["verifiedAt"].is_string(),
        "{session}"
    );
    // Used up: the first failure of a new count; two more lock ada.
    refused(
        &create(&login, &ada, "recoveryCode", &codes[0]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "RECOVERY_CODE_INVALID",
        "2 attempts left",
    );
    refused(
        &create(&login, &ada, "totp", &wrong_code(&secret)).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "TOTP_INVALID",
        "1 attempts left",
    );
    refused(
        &create(&login, &ada, "recoveryCode", "0000-0000-0000-0000").await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "RECOVERY_CODE_INVALID",
        "now locked",
    );
    refused(
        &create(&login, &ada, "recoveryCode", &codes[1]).await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "the user is locked",
    );
    admin
        .ok(&user_method("UnlockUser"), json!({ "userId": ada }))
        .await;
    let (status, answer) = create(&login, &ada, "recoveryCode", &codes[1]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // Removed: no longer enrolled, and neither factor can be checked.
    admin
        .ok(&user_method("RemoveTOTP"), json!({ "userId": ada }))
        .await;
    assert!(!enrolled(&admin, &ada).await);
    for (second, code) in [("recoveryCode", codes[2].clone()), ("totp", next)] {
        refused(
            &create(&login, &ada, second, &code).await,
            StatusCode::BAD_REQUEST,
            "failed_precondition",
            "FAILED_PRECONDITION",
            "no verified TOTP",
        );
    }
}
