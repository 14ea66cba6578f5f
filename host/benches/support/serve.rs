//! Starting the release `rampart` binary for a benchmark: shared by the
//! bench binaries that drive the real server (`#[path]`-included).

use std::process::Stdio;
use std::time::Duration;

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
    until_ok(&format!("{url}/debug/ready")).await;
    (url, child)
}

/// Polls `url` until it answers 200.
pub(crate) async fn until_ok(url: &str) {
    let client = reqwest::Client::new();
    loop {
        let answer = client.get(url).send().await;
        if answer.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
