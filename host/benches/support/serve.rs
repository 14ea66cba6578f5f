//! Starting the release `rampart` binary for a benchmark, and calling its
//! API: shared by the bench binaries that drive the real server
//! (`#[path]`-included).
//!
//! The API is the Connect JSON form of `proto/`: `POST
//! /<package>.<Service>/<Method>` with a JSON body and the first instance's
//! API administrator token, which the server writes to `data/admin.pat` in
//! the directory it runs in.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Spawns `cmd` (a configured `rampart … start` with `RAMPART_PORT=0`),
/// reads the URL it listens on, and waits until `/debug/ready` answers 200.
pub(crate) async fn serve(mut cmd: Command) -> (String, Child) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn rampart");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .expect("stdout")
            .expect("server exited");
        if let Some(url) = line.strip_prefix("rampart listening on ") {
            break url.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    until_ok(&Probe::get(format!("{url}/debug/ready"))).await;
    (url, child)
}

/// The first instance's API administrator token (`IAM_OWNER`,
/// `SYSTEM_OWNER`), written by a server that ran in `dir`.
pub(crate) fn admin_token(dir: &Path) -> Arc<str> {
    let path = dir.join("data/admin.pat");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .into()
}

/// One request a benchmark sends, over and over: a GET of a debug
/// endpoint, or a Connect call of an API method.
#[derive(Clone)]
pub(crate) enum Probe {
    /// `GET url`.
    Get(String),
    /// `POST url` with a JSON body and a bearer token.
    Call {
        url: String,
        token: Arc<str>,
        body: String,
    },
}

impl Probe {
    /// `GET url`.
    pub(crate) fn get(url: String) -> Self {
        Self::Get(url)
    }

    /// A call of `method` (`rampart.user.v1.UserService/GetUser`) on the
    /// server at `base` with `body`, as `token`.
    pub(crate) fn call(base: &str, token: &Arc<str>, method: &str, body: &Value) -> Self {
        Self::Call {
            url: format!("{base}/{method}"),
            token: token.clone(),
            body: body.to_string(),
        }
    }

    /// The request, ready to send with `client`.
    pub(crate) fn request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        match self {
            Self::Get(url) => client.get(url),
            Self::Call { url, token, body } => client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.clone()),
        }
    }

    /// Sends it: the status and the JSON body (`null` when there is none).
    pub(crate) async fn send(&self, client: &reqwest::Client) -> reqwest::Result<(u16, Value)> {
        let response = self.request(client).send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Sends it: whether it answered 200 with its whole body.
    pub(crate) async fn succeeds(&self, client: &reqwest::Client) -> bool {
        match self.request(client).send().await {
            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
            Err(_) => false,
        }
    }
}

/// Calls `method` on the server at `base` as `token` and expects 200; the
/// answer's body.
pub(crate) async fn call_ok(
    client: &reqwest::Client,
    base: &str,
    token: &Arc<str>,
    method: &str,
    body: Value,
) -> Value {
    let (status, answer) = Probe::call(base, token, method, &body)
        .send(client)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    assert_eq!(status, 200, "{method} {body}: {answer}");
    answer
}

/// Sends `probe` until it answers 200.
pub(crate) async fn until_ok(probe: &Probe) {
    let client = reqwest::Client::new();
    loop {
        if probe.succeeds(&client).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
