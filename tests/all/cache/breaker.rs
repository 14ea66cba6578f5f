//! Given a server whose caches all live in Redis, reached through a proxy
//! the test can cut, when Redis becomes unreachable under steady load, then
//! no request fails (they read the database), the breaker opens after the
//! configured failures, half-opens after its Timeout, and closes once Redis
//! is back — each change visible in the metric and the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::cqrs::{Api, Backend, debug_get, start};

/// A TCP proxy to the local Redis that can be cut (every connection
/// dropped, new ones refused) and restored.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, _) = watch::channel(true);
        let state = up.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut up = state.subscribe();
                if !*up.borrow_and_update() {
                    continue; // dropped: the client sees the connection close
                }
                tokio::spawn(async move {
                    let Ok(mut redis) = TcpStream::connect("127.0.0.1:6379").await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut redis) => {}
                        _ = up.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

/// The breaker's state as `/debug/metrics` reports it (0 closed, 1
/// half-open, 2 open); `None` before the first Redis request.
async fn breaker(url: &str) -> Option<f64> {
    let (_, metrics) = debug_get(url, "/debug/metrics").await;
    let text = metrics.as_str()?.to_owned();
    text.lines()
        .find(|l| l.starts_with("rampart_cache_redis_breaker_state "))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

async fn wait_for_state(url: &str, state: f64, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if breaker(url).await == Some(state) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "the breaker did not reach {state} within {within:?} (it is {:?})",
            breaker(url).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_cut_off_under_load_fails_no_request_and_the_breaker_opens_half_opens_and_closes() {
    let proxy = Proxy::start().await;
    let backend = Backend::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", proxy.port);
    let prefix = format!("rampart-breaker-{}", rand::random::<u64>());
    let server = start(
        dir.path(),
        &backend,
        &[
            ("RAMPART_CACHES_CONNECTORS_REDIS_ENABLED", "true"),
            ("RAMPART_CACHES_CONNECTORS_REDIS_ADDR", &addr),
            ("RAMPART_CACHES_CONNECTORS_REDIS_KEYPREFIX", &prefix),
            ("RAMPART_CACHES_CONNECTORS_REDIS_READTIMEOUT", "200ms"),
            ("RAMPART_CACHES_CONNECTORS_REDIS_DIALTIMEOUT", "200ms"),
            (
                "RAMPART_CACHES_CONNECTORS_REDIS_CIRCUITBREAKER_MAXCONSECUTIVEFAILURES",
                "3",
            ),
            (
                "RAMPART_CACHES_CONNECTORS_REDIS_CIRCUITBREAKER_TIMEOUT",
                "2s",
            ),
            ("RAMPART_CACHES_INSTANCE_CONNECTOR", "redis"),
            ("RAMPART_CACHES_ORGANIZATION_CONNECTOR", "redis"),
            ("RAMPART_CACHES_MILESTONES_CONNECTOR", "redis"),
        ],
    )
    .await;
    let admin = Api::new(&server);
    let org = admin.add_org("Cached in Redis").await;

    // Steady load: every request resolves the instance (Instance cache) and
    // reads the organization (Organization cache).
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (api, org, stop) = (Api::new(&server), org.clone(), stop.clone());
            let (ok, failed) = (ok.clone(), failed.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (status, answer) = api
                        .call("rampart.org.v1.OrgService/GetOrg", json!({ "orgId": org }))
                        .await;
                    if status.is_success() && answer["org"]["name"] == "Cached in Redis" {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        eprintln!("failed: {status} {answer}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        breaker(&server.url).await,
        Some(0.0),
        "closed while Redis answers"
    );

    proxy.set(false);
    let opened = wait_for_state(&server.url, 2.0, Duration::from_secs(10)).await;
    // While open, requests skip Redis: the load goes on, from the database.
    let served_before = ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(ok.load(Ordering::Relaxed) > served_before, "requests go on");

    proxy.set(true);
    let closed = wait_for_state(&server.url, 0.0, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!(
        "breaker: opened {opened:?} after the cut, closed {closed:?} after the repair; {ok} requests served"
    );
    assert_eq!(failed, 0, "no request may fail ({ok} succeeded)");
    assert!(ok > 100, "the load ran ({ok} requests)");

    let (_, log) = server.terminate().await.unwrap();
    let open = log.find("circuit breaker is open").expect("opening logged");
    let half = log[open..]
        .find("circuit breaker is half-open")
        .expect("half-opening logged after opening");
    assert!(
        log[open + half..].contains("circuit breaker is closed"),
        "closing logged after half-opening:\n{log}"
    );
}
