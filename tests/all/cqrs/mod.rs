//! The CQRS path end to end over the real server: HTTP → command pipeline
//! with the shipped validator plugins → eventstore → spoolers with the
//! shipped projection plugins → read models → queries, on SQLite and on
//! PostgreSQL; plus the spoolers in-process (failing events, rebuilds) and
//! leader failover between two server processes.

mod containment;
mod failover;
mod flow;
mod horizon;
mod rebuild;
mod routing;
mod spooling;
mod validators;

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestDb, TestServer};

/// A JSON client of one server.
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    client: reqwest::Client,
    actor: String,
}

/// A status and a JSON body.
pub type Answer = (StatusCode, Value);

impl Api {
    /// A client of `server` acting as `tester`.
    pub fn new(server: &TestServer) -> Self {
        Self::at(&server.url)
    }

    /// A client of the server at `url`.
    pub fn at(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            client: reqwest::Client::new(),
            actor: "tester".into(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("x-rampart-actor", &self.actor);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Creates an organization and returns its id.
    pub async fn add_org(&self, name: &str) -> String {
        let (status, body) = self.post("/v1/orgs", json!({ "name": name })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Creates a user in `org` and returns its id.
    pub async fn add_user(&self, org: &str, username: &str, password: Option<&str>) -> String {
        let (status, body) = self
            .post("/v1/users", user_body(org, username, password))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }
}

/// The body of `POST /v1/users`.
pub fn user_body(org: &str, username: &str, password: Option<&str>) -> Value {
    let mut body = json!({
        "orgId": org,
        "username": username,
        "profile": { "givenName": "Ada", "familyName": "Lovelace" },
        "email": { "address": format!("{username}@example.com"), "verified": true },
    });
    if let Some(password) = password {
        body["password"] = json!(password);
    }
    body
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
                env.push(("RAMPART_MASTERKEY".into(), "k".repeat(32)));
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
