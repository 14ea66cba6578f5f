//! Clients of the public API of a real server: Connect JSON over HTTP
//! (`Api`) and gRPC with the generated tonic clients (`grpc_channel`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::TestServer;

/// A status and a JSON body.
pub type Answer = (StatusCode, Value);

/// A Connect JSON client of one server, calling with a bearer token.
#[derive(Clone)]
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    client: reqwest::Client,
    token: Option<String>,
    host: Option<String>,
}

impl Api {
    /// A client of `server` with the first instance's API administrator
    /// token (`IAM_OWNER`, `SYSTEM_OWNER`).
    pub fn new(server: &TestServer) -> Self {
        Self::at(&server.url, Some(&server.admin_token()))
    }

    /// A client of the server at `url` presenting `token`.
    pub fn at(url: &str, token: Option<&str>) -> Self {
        Self {
            url: url.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            token: token.map(str::to_owned),
            host: None,
        }
    }

    /// The same client presenting `token` instead (`None`: no credential).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        let mut api = self.clone();
        api.token = token.map(str::to_owned);
        api
    }

    /// The same client calling with `Host: host` (another instance's domain).
    pub fn on_host(&self, host: &str) -> Self {
        let mut api = self.clone();
        api.host = Some(host.to_owned());
        api
    }

    /// Calls `method` (`rampart.user.v1.UserService/GetUser`) with `body`.
    pub async fn call(&self, method: &str, body: Value) -> Answer {
        self.raw(method, body.to_string()).await
    }

    /// Calls `method` with a raw JSON text body.
    pub async fn raw(&self, method: &str, body: String) -> Answer {
        let mut req = self
            .client
            .post(format!("{}/{method}", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(host) = &self.host {
            req = req.header("host", host);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Calls `method` and expects 200; the answer's body.
    pub async fn ok(&self, method: &str, body: Value) -> Value {
        let (status, answer) = self.call(method, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{method} {body}: {answer}");
        answer
    }

    /// Creates an organization and returns its id.
    pub async fn add_org(&self, name: &str) -> String {
        let answer = self
            .ok("rampart.org.v1.OrgService/AddOrg", json!({ "name": name }))
            .await;
        answer["orgId"].as_str().expect("orgId").to_owned()
    }

    /// Creates a project named `name` in `org` and returns its id.
    pub async fn add_project(&self, org: &str, name: &str) -> String {
        let answer = self
            .ok(
                "rampart.project.v1.ProjectService/AddProject",
                json!({ "orgId": org, "name": name }),
            )
            .await;
        answer["projectId"].as_str().expect("projectId").to_owned()
    }

    /// Creates a human user in `org` and returns its id.
    pub async fn add_user(&self, org: &str, username: &str, password: Option<&str>) -> String {
        let answer = self
            .ok(
                "rampart.user.v1.UserService/AddHumanUser",
                user_body(org, username, password),
            )
            .await;
        answer["userId"].as_str().expect("userId").to_owned()
    }

    /// Creates a machine user in `org` with `roles` on the instance (none:
    /// no membership) and a token; returns (user id, token).
    pub async fn add_machine(
        &self,
        org: &str,
        username: &str,
        instance_roles: &[&str],
    ) -> (String, String) {
        let answer = self
            .ok(
                "rampart.user.v1.UserService/AddMachineUser",
                json!({ "orgId": org, "username": username, "name": username }),
            )
            .await;
        let id = answer["userId"].as_str().expect("userId").to_owned();
        if !instance_roles.is_empty() {
            self.ok(
                "rampart.member.v1.MemberService/AddInstanceMember",
                json!({ "userId": id, "roles": instance_roles }),
            )
            .await;
        }
        let token = self.token_for(&id).await;
        (id, token)
    }

    /// A new personal access token of machine user `user_id`, valid a day.
    pub async fn token_for(&self, user_id: &str) -> String {
        let expires = chrono::Utc::now() + chrono::Duration::days(1);
        let answer = self
            .ok(
                "rampart.user.v1.UserService/AddPersonalAccessToken",
                json!({ "userId": user_id, "expirationDate": expires.to_rfc3339() }),
            )
            .await;
        answer["token"].as_str().expect("token").to_owned()
    }
}

/// The body of `AddHumanUser`.
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

/// A gRPC channel (h2c) to `server`.
pub async fn grpc_channel(server: &TestServer) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(server.url.clone())
        .expect("url")
        .connect()
        .await
        .expect("gRPC connects")
}

/// A gRPC request with `token` as bearer credential.
pub fn grpc_request<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    request
}
