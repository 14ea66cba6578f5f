//! What reaches the log: with sqlx and Rampart at their most talkative,
//! neither a user's personal data, nor a plaintext password, nor its hash
//! is written, on either backend (statements carry them as parameters and,
//! in read-model batches, as literals).

use serde_json::json;

use super::{Api, Backend, start};

async fn personal_data_and_secrets_stay_out_of_the_log(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &backend,
        &[("RAMPART_LOG_LEVEL", "info,sqlx=trace,rampart=debug")],
    )
    .await;
    let api = Api::new(&server);
    let org = api.add_org("Quiet").await;
    let user = api
        .ok(
            "rampart.user.v1.UserService/AddHumanUser",
            json!({
                "orgId": org,
                "username": "ada-quiet",
                "profile": { "givenName": "Augusta", "familyName": "Byron-King" },
                "email": { "address": "augusta.byron@example.org", "verified": true },
                "password": "Unl0gged-Passw0rd",
            }),
        )
        .await;
    let id = user["userId"].as_str().expect("userId").to_owned();
    let read = api
        .ok(
            "rampart.user.v1.UserService/GetUser",
            json!({ "userId": id }),
        )
        .await;
    assert_eq!(read["user"]["username"], "ada-quiet", "{read}");
    let (_, log) = server.terminate().await.unwrap();
    assert!(
        log.contains("sqlx") || log.contains("rampart"),
        "a talkative log"
    );
    for leak in [
        "augusta.byron@example.org",
        "Byron-King",
        "Unl0gged-Passw0rd",
        "$argon2id$",
    ] {
        assert!(!log.contains(leak), "the log holds {leak}:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_personal_data_and_secrets_stay_out_of_the_log() {
    personal_data_and_secrets_stay_out_of_the_log(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_personal_data_and_secrets_stay_out_of_the_log() {
    personal_data_and_secrets_stay_out_of_the_log(Backend::postgres().await).await;
}
