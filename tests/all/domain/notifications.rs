//! The notifier over the real server, on both backends, with a real SMTP
//! server on loopback: an instance's SMTP server and templates, e-mail
//! and phone verification and password reset by code (hashed, limited
//! attempts), and the password-changed message.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::refused;
use crate::cqrs::{Backend, start};
use crate::support::{Api, SmtpServer, user_body};

/// The path of `UserService` method `name`.
fn user(name: &str) -> String {
    format!("rampart.user.v1.UserService/{name}")
}

/// The path of `SettingsService` method `name`.
fn settings(name: &str) -> String {
    format!("rampart.settings.v1.SettingsService/{name}")
}

/// How long a message may take to arrive.
const DELIVERY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_and_messages_over_smtp_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_and_messages_over_smtp_on_postgres() {
    flow(Backend::postgres().await).await;
}

async fn flow(backend: Backend) {
    let mut smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let org = admin.add_org("ACME").await;

    // The instance sends through the loopback server, authenticated.
    admin
        .ok(
            &settings("SetSmtpConfig"),
            json!({ "config": {
                "host": "127.0.0.1", "port": smtp.port, "tls": "SMTP_TLS_NONE",
                "username": "mailer", "password": "s3cret-relay",
                "fromAddress": "noreply@rampart.test", "fromName": "Rampart" } }),
        )
        .await;
    let config = admin.ok(&settings("GetSmtpConfig"), json!({})).await;
    assert_eq!(config["hasPassword"], true, "{config}");
    assert!(config["config"]["password"].is_null(), "{config}");

    // E-mail verification: the code arrives by mail, from the instance's
    // sender, authenticated with the password the masterkey sealed.
    let mut ada = user_body(&org, "ada", Some("Str0ng-Password"));
    ada["email"] = json!({ "address": "ada@acme.example" });
    let ada_id = admin.ok(&user("AddHumanUser"), ada).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = admin
        .ok(&user("SendEmailCode"), json!({ "userId": ada_id }))
        .await;
    assert!(
        sent["code"].is_null(),
        "the code is mailed, not returned: {sent}"
    );
    let mail = smtp.next(DELIVERY).await;
    assert_eq!(mail.to, ["ada@acme.example"]);
    assert_eq!(mail.from, "noreply@rampart.test");
    assert_eq!(mail.auth.as_deref(), Some("mailer:s3cret-relay"));
    let subject = mail.header("Subject").unwrap();
    assert!(
        subject.starts_with("Verify your e-mail address"),
        "{subject}"
    );
    let code = mail
        .code()
        .unwrap_or_else(|| panic!("no code in {}", mail.data));

    // A wrong code counts; the right one verifies the address.
    refused(
        &admin
            .call(
                &user("VerifyEmail"),
                json!({ "userId": ada_id, "code": "WRONG234" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "CODE_INVALID",
        "4 attempts left",
    );
    admin
        .ok(
            &user("VerifyEmail"),
            json!({ "userId": ada_id, "code": code.to_lowercase() }),
        )
        .await;
    let got = admin
        .ok(&user("GetUser"), json!({ "userId": ada_id }))
        .await;
    assert_eq!(got["user"]["human"]["emailVerified"], true, "{got}");
    refused(
        &admin
            .call(
                &user("VerifyEmail"),
                json!({ "userId": ada_id, "code": code }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "already verified",
    );

    // The instance's own reset template; the code works once.
    admin
        .ok(
            &settings("SetMessageTemplate"),
            json!({ "kind": "MESSAGE_KIND_PASSWORD_RESET",
                    "subject": "Reset for {{username}}", "body": "Your code: {{code}}\n" }),
        )
        .await;
    admin
        .ok(&user("SendPasswordResetCode"), json!({ "userId": ada_id }))
        .await;
    let mail = smtp.next(DELIVERY).await;
    assert_eq!(mail.header("Subject").as_deref(), Some("Reset for ada"));
    let reset_code = mail.data.split("Your code: ").nth(1).unwrap()[..8].to_owned();
    let reset = |code: &str, password: &str| json!({ "userId": ada_id, "code": code, "password": password });
    // The new password still meets the password policy.
    refused(
        &admin
            .call(&user("ResetPassword"), reset(&reset_code, "weak"))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "PASSWORD_TOO_SHORT",
        "at least 8 characters",
    );
    admin
        .ok(&user("ResetPassword"), reset(&reset_code, "N3w-Password"))
        .await;
    let mail = smtp.next(DELIVERY).await;
    let subject = mail.header("Subject").unwrap();
    assert!(subject.contains("was changed"), "{subject}");
    refused(
        &admin
            .call(
                &user("ResetPassword"),
                reset(&reset_code, "An0ther-Password"),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "no password reset code is pending",
    );

    // A caller that delivers the code itself gets it; nothing is mailed.
    let returned = admin
        .ok(
            &user("SendPasswordResetCode"),
            json!({ "userId": ada_id, "returnCode": true }),
        )
        .await;
    let code = returned["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{returned}");
    assert!(smtp.nothing_within(Duration::from_millis(500)).await);
    // Five wrong tries void it, even for the right code after them.
    for _ in 0..5 {
        let (status, _) = admin
            .call(&user("ResetPassword"), reset("WRONG234", "N3w-Password-2"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    refused(
        &admin
            .call(&user("ResetPassword"), reset(&code, "N3w-Password-2"))
            .await,
        StatusCode::BAD_REQUEST,
        "failed_precondition",
        "FAILED_PRECONDITION",
        "tried too often",
    );

    // Only hashes are stored: the audit trail shows no code.
    let events = admin
        .ok(
            "rampart.event.v1.EventService/ListEvents",
            json!({ "aggregateType": "user", "aggregateId": ada_id }),
        )
        .await;
    let text = events.to_string();
    assert!(
        !text.contains(&code) && !text.contains(&reset_code),
        "{text}"
    );

    // A phone number is verified the same way; with no SMS provider the
    // message goes to the log, so the caller takes the code.
    admin
        .ok(
            &user("SetPhone"),
            json!({ "userId": ada_id, "phone": "+41 79 123 45 67" }),
        )
        .await;
    let sent = admin
        .ok(
            &user("SendPhoneCode"),
            json!({ "userId": ada_id, "returnCode": true }),
        )
        .await;
    let phone_code = sent["code"].as_str().unwrap().to_owned();
    admin
        .ok(
            &user("VerifyPhone"),
            json!({ "userId": ada_id, "code": phone_code }),
        )
        .await;
    let got = admin
        .ok(&user("GetUser"), json!({ "userId": ada_id }))
        .await;
    assert_eq!(got["user"]["human"]["phoneVerified"], true, "{got}");

    templates_and_bad_input(&admin).await;

    // Without an SMTP server, messages go to the log: nothing is mailed.
    admin.ok(&settings("RemoveSmtpConfig"), json!({})).await;
    let mut grace = user_body(&org, "grace", None);
    grace["email"] = json!({ "address": "grace@acme.example" });
    let grace = admin.ok(&user("AddHumanUser"), grace).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .ok(&user("SendEmailCode"), json!({ "userId": grace }))
        .await;
    assert!(smtp.nothing_within(Duration::from_secs(1)).await);
}

/// Templates listed with the instance's own marked; placeholders checked.
async fn templates_and_bad_input(admin: &Api) {
    let listed = admin.ok(&settings("ListMessageTemplates"), json!({})).await;
    let custom: Vec<&Value> = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["custom"] == true)
        .collect();
    assert_eq!(custom.len(), 1, "{listed}");
    assert_eq!(custom[0]["kind"], "MESSAGE_KIND_PASSWORD_RESET");
    refused(
        &admin
            .call(
                &settings("SetMessageTemplate"),
                json!({ "kind": "MESSAGE_KIND_EMAIL_VERIFICATION",
                        "subject": "Hi {{usename}}", "body": "{{code}}" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "unknown placeholders [\"usename\"]",
    );
    refused(
        &admin
            .call(
                &settings("SetSmtpConfig"),
                json!({ "config": { "host": "smtp..example", "port": 25,
                                    "fromAddress": "noreply@rampart.test" } }),
            )
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "INVALID_ARGUMENT",
        "neither a host name nor an IP address",
    );
    admin
        .ok(
            &settings("ResetMessageTemplate"),
            json!({ "kind": "MESSAGE_KIND_PASSWORD_RESET" }),
        )
        .await;
}
