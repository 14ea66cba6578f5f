//! The CQRS path end to end over the real server: the public API (Connect
//! JSON) → command pipeline with the shipped validator plugins → eventstore
//! → spoolers with the shipped projection plugins → read models → queries,
//! on SQLite and on PostgreSQL; plus the spoolers in-process (failing
//! events, rebuilds) and leader failover between two server processes.

mod containment;
mod failover;
mod first_instance;
mod flow;
mod group_commit;
mod horizon;
mod logs;
mod moved;
mod rebuild;
mod routing;
mod spooling;
mod validators;

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

pub use crate::support::{Answer, Api, user_body};
use crate::support::{TestDb, TestServer};

/// The machine-readable reason of a Connect error answer: the `reason` of
/// its `google.rpc.ErrorInfo` detail (`""` when it has none).
pub fn reason(answer: &Value) -> &str {
    answer["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["type"] == "google.rpc.ErrorInfo")
        .and_then(|d| d["debug"]["reason"].as_str())
        .unwrap_or_default()
}

/// A `uint64` of an answer: canonical JSON writes it as a string, and leaves
/// it out when it is 0.
pub fn count(value: &Value) -> u64 {
    match value {
        Value::Null => 0,
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a uint64: {s}")),
        other => other
            .as_u64()
            .unwrap_or_else(|| panic!("not a uint64: {other}")),
    }
}

/// `GET` of an operator endpoint (`/debug/...`) of the server at `url`.
pub async fn debug_get(url: &str, path: &str) -> Answer {
    let res = reqwest::get(format!("{url}{path}"))
        .await
        .expect("request reaches the server");
    let status = res.status();
    let text = res.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// The user id of the principal `api` calls as.
pub async fn my_user_id(api: &Api) -> String {
    let me = api
        .ok("rampart.auth.v1.AuthService/GetMyUser", json!({}))
        .await;
    me["user"]["id"].as_str().expect("user id").to_owned()
}

/// Which backend a server runs on, and what keeps it alive.
pub enum Backend {
    /// SQLite in the server's directory.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres(TestDb),
}

impl Backend {
    /// A fresh PostgreSQL database.
    pub async fn postgres() -> Self {
        Backend::Postgres(TestDb::create().await)
    }

    /// The environment pointing a server at this backend.
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            Backend::Sqlite => Vec::new(),
            Backend::Postgres(db) => {
                let mut env = db.env();
                env.push((
                    "RAMPART_MASTERKEY".into(),
                    crate::support::TEST_MASTERKEY.to_owned(),
                ));
                env
            }
        }
    }
}

/// Starts a server in `dir` on `backend` with `extra` environment.
pub async fn start(dir: &Path, backend: &Backend, extra: &[(&str, &str)]) -> TestServer {
    let mut env = backend.env();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env.push((
        "RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD".into(),
        "Initial-Passw0rd".into(),
    ));
    TestServer::start(dir, &env, &[])
        .await
        .expect("server starts")
}

/// Starts a server in `dir` on `backend` with the configuration file
/// `yaml` (`--config`).
pub async fn start_configured(dir: &Path, backend: &Backend, yaml: &str) -> TestServer {
    let config = dir.join("rampart.yaml");
    std::fs::write(&config, yaml).expect("write the configuration");
    let mut env = backend.env();
    env.push((
        "RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD".into(),
        "Initial-Passw0rd".into(),
    ));
    TestServer::start(dir, &env, &["--config", config.to_str().unwrap()])
        .await
        .expect("server starts")
}

/// Two nodes on one fresh PostgreSQL database, with a client of each. The
/// second node wrote no token of its own: both clients use the first
/// node's administrator.
pub struct TwoNodes {
    /// The database both serve.
    pub backend: Backend,
    /// The first node (it writes the first instance and leads first).
    pub a: TestServer,
    /// The second node.
    pub b: TestServer,
    /// A client of `a`.
    pub api_a: Api,
    /// A client of `b`.
    pub api_b: Api,
    /// The nodes' directories, removed when dropped.
    pub dirs: [tempfile::TempDir; 2],
}

/// Starts [`TwoNodes`], the first before the second.
pub async fn two_nodes() -> TwoNodes {
    let backend = Backend::postgres().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = start(dirs[0].path(), &backend, &[]).await;
    let b = start(dirs[1].path(), &backend, &[]).await;
    let api_a = Api::new(&a);
    let api_b = Api::at(&b.url, Some(&a.admin_token()));
    TwoNodes {
        backend,
        a,
        b,
        api_a,
        api_b,
        dirs,
    }
}

/// Asserts a Connect error answer: its HTTP status, code and reason.
pub fn assert_error(answer: &Answer, status: StatusCode, code: &str, why: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(reason(body), why, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
