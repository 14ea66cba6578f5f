//! A slow validator on the real request path must not starve the server.
//!
//! The release `rampart` binary on SQLite with the `hostile` test validator
//! spinning to its 50 ms deadline on every `org.add` (and allowing
//! everything else), default plugin pool. Two phases of the same length, in
//! one run:
//!
//! 1. **baseline**: `GET /debug/healthz` and the API's `UserService/GetUser`
//!    (with its read-your-writes check), each open-loop at a fixed rate;
//! 2. **flood**: the same probes while 16 clients call `OrgService/AddOrg`
//!    back to back (each one runs the spinning validator, or is refused when
//!    the pool's queue is full).
//!
//! API calls are Connect JSON with the first instance's administrator token.
//!
//! A warm-up phase, unrecorded, precedes them. Latency is timed from each probe's scheduled send (no coordinated
//! omission); only successful probes count in the percentiles, and failures
//! are printed. The target: each probe's p99 in the flood stays within 2x
//! its baseline p99.
//!
//! `cargo bench -p rampart --bench containment`

#![allow(missing_docs)]

#[path = "support/serve.rs"]
mod support;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Probe;

/// Probes per second, for each of the two probes.
const PROBE_RATE: u64 = 200;
/// Length of each phase.
const PHASE: Duration = Duration::from_secs(10);
/// Concurrent clients creating orgs in the flood.
const FLOODERS: usize = 16;
/// Users the get-by-id probe cycles through.
const USERS: usize = 200;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let ids = Arc::new(seed(&client, &server).await);
    println!(
        "containment: hostile validator spinning to its 50 ms deadline on org.add; \
         probes at {PROBE_RATE}/s each, {} s per phase, {FLOODERS} flooding clients\n",
        PHASE.as_secs()
    );
    // Warm up (connections, caches, the projections' catch-up), unrecorded.
    probe_phase(&client, &server, &ids, false).await;
    let baseline = probe_phase(&client, &server, &ids, false).await;
    let flood = probe_phase(&client, &server, &ids, true).await;
    for (name, base, under) in [
        ("healthz", &baseline.healthz, &flood.healthz),
        ("get-user-by-id", &baseline.get, &flood.get),
    ] {
        println!(
            "{name:>15}: baseline {}; flood {}; p99 ratio {:.2} (target <= 2)",
            base.summary(),
            under.summary(),
            under.p99() / base.p99()
        );
    }
    let outcomes = std::mem::take(&mut *flood.outcomes.lock().expect("lock"));
    let secs = PHASE.as_secs_f64();
    println!("\nflood answers (measured over {secs:.0} s):");
    for (code, count) in outcomes.iter() {
        println!("  {code:>45}: {count:>6} ({:.1}/s)", *count as f64 / secs);
    }
    server.stop().await;
}

/// The latencies of one probe, in milliseconds.
#[derive(Default)]
struct Samples {
    ok: Vec<f64>,
    failed: u64,
}

impl Samples {
    fn pct(&self, p: f64) -> f64 {
        let mut sorted = self.ok.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
            .get(((sorted.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    }

    fn p99(&self) -> f64 {
        self.pct(0.99)
    }

    fn summary(&self) -> String {
        format!(
            "{} ok / {} failed, p50 {:.2} ms, p99 {:.2} ms",
            self.ok.len(),
            self.failed,
            self.pct(0.5),
            self.p99()
        )
    }
}

/// What one phase measured.
struct Phase {
    healthz: Samples,
    get: Samples,
    outcomes: Mutex<Vec<(String, u64)>>,
}

/// Runs both probes open-loop for [`PHASE`], with the flood if `flood`.
async fn probe_phase(
    client: &reqwest::Client,
    server: &Server,
    ids: &Arc<Vec<String>>,
    flood: bool,
) -> Phase {
    let (url, token) = (server.url.as_str(), &server.token);
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let flooders: Vec<_> = (0..if flood { FLOODERS } else { 0 })
        .map(|n| {
            let (client, url, token, stop, outcomes) = (
                client.clone(),
                url.to_owned(),
                token.clone(),
                stop.clone(),
                outcomes.clone(),
            );
            tokio::spawn(async move {
                let mut k = 0;
                while !stop.load(Ordering::Relaxed) {
                    let add = Probe::call(
                        &url,
                        &token,
                        "rampart.org.v1.OrgService/AddOrg",
                        &json!({ "name": format!("Flood {n} {k}") }),
                    );
                    let code = match add.send(&client).await {
                        Ok((status, body)) => outcome(status, &body),
                        Err(_) => "transport error".to_owned(),
                    };
                    let mut outcomes = outcomes.lock().expect("lock");
                    match outcomes.iter_mut().find(|(c, _)| *c == code) {
                        Some((_, count)) => *count += 1,
                        None => outcomes.push((code, 1)),
                    }
                    k += 1;
                }
            })
        })
        .collect();
    let healthz = Probe::get(format!("{url}/debug/healthz"));
    let healthz = probe(client, PROBE_RATE, move |_| healthz.clone());
    let gets: Vec<Probe> = ids
        .iter()
        .map(|id| {
            Probe::call(
                url,
                token,
                "rampart.user.v1.UserService/GetUser",
                &json!({ "userId": id }),
            )
        })
        .collect();
    let get = probe(client, PROBE_RATE, move |n| gets[n % gets.len()].clone());
    let (healthz, get) = tokio::join!(healthz, get);
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.expect("flooder");
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    Phase {
        healthz,
        get,
        outcomes: Mutex::new(outcomes),
    }
}

/// A short name of an answer, for counting outcomes: the status, and for
/// errors the Connect code and the `ErrorInfo` reason
/// (`500 internal PLUGIN_DEADLINE_EXCEEDED`).
fn outcome(status: u16, body: &Value) -> String {
    let reason = body["details"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["type"] == "google.rpc.ErrorInfo"))
        .and_then(|d| d["debug"]["reason"].as_str())
        .unwrap_or_default();
    format!(
        "{status} {} {reason}",
        body["code"].as_str().unwrap_or_default()
    )
    .trim_end()
    .to_owned()
}

/// Sends `probe_of(n)` at `rate` per second for [`PHASE`], each timed from
/// its scheduled start.
async fn probe(client: &reqwest::Client, rate: u64, probe_of: impl Fn(usize) -> Probe) -> Samples {
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let start = Instant::now();
    let failed = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for n in 0..(rate * PHASE.as_secs()) as usize {
        let scheduled = start + interval * n as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, probe, failed, ok) = (client.clone(), probe_of(n), failed.clone(), ok.clone());
        tasks.push(tokio::spawn(async move {
            if probe.succeeds(&client).await {
                let ms = scheduled.elapsed().as_secs_f64() * 1e3;
                ok.lock().expect("lock").push(ms);
            } else {
                failed.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("probe");
    }
    let ok = std::mem::take(&mut *ok.lock().expect("lock"));
    Samples {
        ok,
        failed: failed.load(Ordering::Relaxed),
    }
}

/// Creates [`USERS`] users in the first organization; returns their ids.
async fn seed(client: &reqwest::Client, server: &Server) -> Vec<String> {
    let call = |method: &'static str, body: Value| {
        support::call_ok(client, &server.url, &server.token, method, body)
    };
    let orgs = call("rampart.org.v1.OrgService/ListOrgs", json!({})).await;
    let org = orgs["result"][0]["id"]
        .as_str()
        .expect("first org")
        .to_owned();
    let mut ids = Vec::new();
    for n in 0..USERS {
        let created = call(
            "rampart.user.v1.UserService/AddHumanUser",
            json!({
                "orgId": org,
                "username": format!("probe{n}"),
                "profile": { "givenName": "Probe", "familyName": "User" },
                "email": { "address": format!("probe{n}@bench.example") },
            }),
        )
        .await;
        ids.push(created["userId"].as_str().expect("user id").to_owned());
    }
    ids
}

/// The release `rampart` binary on SQLite in a temporary directory.
struct Server {
    url: String,
    /// The first instance's API administrator token.
    token: Arc<str>,
    child: tokio::process::Child,
}

impl Server {
    async fn start(dir: &Path) -> Self {
        let config = dir.join("rampart.yaml");
        std::fs::write(
            &config,
            "Plugins:\n  Deadline: 50ms\n  hostile:\n    Config: {mode: loop, commands: [org.add]}\n    \
             Grants: [log, config, clock]\n",
        )
        .expect("config");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
        cmd.arg("--config")
            .arg(&config)
            .arg("start")
            .current_dir(dir)
            .env("RAMPART_PORT", "0")
            .env("RAMPART_LISTENADDRESS", "127.0.0.1")
            .env("RAMPART_LOG_LEVEL", "error")
            .env("RAMPART_FIRSTINSTANCE_ADMIN_PASSWORD", "Bench-Passw0rd")
            // Every refused org.add is logged as an error: keep them off the figures.
            .stderr(Stdio::null());
        let (url, child) = support::serve(cmd).await;
        // Dropped in after start-up, so the bootstrap's own org.add does not
        // meet it; the watcher loads it.
        let hostile = Path::new(env!("OUT_DIR")).join("test-plugins/hostile.wasm");
        let staged = dir.join("hostile.wasm.tmp");
        std::fs::copy(hostile, &staged).expect("copy hostile");
        std::fs::rename(&staged, dir.join("data/plugins/hostile.wasm")).expect("drop hostile");
        let token = support::admin_token(dir);
        support::until_ok(&Probe::call(
            &url,
            &token,
            "rampart.plugin.v1.PluginService/GetPlugin",
            &json!({ "name": "hostile" }),
        ))
        .await;
        Self { url, token, child }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
