//! The real `rampart` binary, started as a child process.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// A `rampart` command with a clean environment: no inherited `RAMPART_*`
/// variables, logs at `info`.
pub fn rampart_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    for (k, _) in std::env::vars() {
        if k.starts_with("RAMPART_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir).kill_on_drop(true).stdin(Stdio::null());
    // One code cache for every server of the run: each component compiles once.
    cmd.env("RAMPART_PLUGINS_CACHEDIR", crate::plugins::shared_cache());
    cmd
}

/// A running server on a port the OS chose.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The directory it runs in.
    pub dir: std::path::PathBuf,
    child: Child,
    stderr: tokio::task::JoinHandle<String>,
}

impl TestServer {
    /// Starts `rampart start` in `dir` with `env` and `args`, and waits until
    /// `/debug/ready` answers 200.
    pub async fn start(
        dir: &Path,
        env: &[(String, String)],
        args: &[&str],
    ) -> anyhow::Result<Self> {
        let server = Self::listening(dir, env, args).await?;
        // Generous: a node starting beside a full test suite on two cores may
        // wait long for its (niced) plugin threads.
        if let Err(e) = server.wait_ready(Duration::from_secs(90)).await {
            let (_, log) = server.terminate().await?;
            anyhow::bail!("{e}; the node logged:\n{log}");
        }
        Ok(server)
    }

    /// Starts `rampart start` like [`TestServer::start`], but returns as
    /// soon as the port is bound, before start-up checks finish.
    pub async fn listening(
        dir: &Path,
        env: &[(String, String)],
        args: &[&str],
    ) -> anyhow::Result<Self> {
        let mut cmd = rampart_command(dir);
        cmd.args(args)
            .arg("start")
            .env("RAMPART_PORT", "0")
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr_pipe.read_to_string(&mut s).await;
            s
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("rampart listening on ") {
                    return Ok(url.to_owned());
                }
            }
            anyhow::bail!("the server exited before listening")
        })
        .await;
        let url = match url {
            Ok(Ok(url)) => url,
            other => {
                let _ = child.start_kill();
                let log = stderr.await.unwrap_or_default();
                anyhow::bail!("server did not start: {other:?}\n{log}");
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            url,
            dir: dir.to_owned(),
            child,
            stderr,
        })
    }

    /// Polls `/debug/ready` until it answers 200.
    pub async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + limit;
        loop {
            let answer = client.get(format!("{}/debug/ready", self.url)).send().await;
            let last = match answer {
                Ok(r) if r.status() == 200 => return Ok(()),
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => e.to_string(),
            };
            anyhow::ensure!(
                Instant::now() < deadline,
                "not ready within {limit:?}, last answer: {last}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The first instance's API administrator token, which the server wrote
    /// to `data/admin.pat` in its directory (the default `PatPath`).
    pub fn admin_token(&self) -> String {
        let path = self.dir.join("data/admin.pat");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .trim()
            .to_owned()
    }

    /// Sends `signal` (e.g. `STOP`, `CONT`) to the process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Kills the process at once (SIGKILL): a node dying without shutdown.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends SIGTERM and returns the exit status and everything logged.
    pub async fn terminate(mut self) -> anyhow::Result<(std::process::ExitStatus, String)> {
        let pid = self.child.id().expect("running") as i32;
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()?;
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await??;
        Ok((status, self.stderr.await?))
    }
}
