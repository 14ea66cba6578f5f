//! Load generators for the benches (`#[path]`-included): a closed loop that
//! measures the saturation rate over a fixed window after a warm-up, and an
//! open loop that offers a fixed rate and times each request from the
//! moment it was scheduled (no coordinated omission). Only successes count
//! in rates and latencies; failures are counted apart.
//!
//! An operation is `op(client, n) -> bool` (whether it succeeded): `client`
//! is the index of the concurrent client sending it (`0..clients`), `n` a
//! number unique across the run, to pick a user or name a new one.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The measured window of a bench phase: `BENCH_SECONDS` (may be
/// fractional) or `default` seconds.
pub(crate) fn window(default: f64) -> Duration {
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(default);
    Duration::from_secs_f64(seconds)
}

/// The warm-up before a measured `window`: a fifth of it, between 0.5 and
/// 2 seconds.
pub(crate) fn warmup(window: Duration) -> Duration {
    (window / 5).clamp(Duration::from_millis(500), Duration::from_secs(2))
}

/// Rounds of an alternating comparison: `BENCH_ROUNDS` or `default`.
pub(crate) fn rounds(default: usize) -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(default)
}

/// A closed-loop measurement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Saturation {
    /// Successes per second in the window.
    pub(crate) rate: f64,
    /// Successes in the window.
    pub(crate) ok: u64,
    /// Failures in the window.
    pub(crate) failed: u64,
}

/// `clients` tasks each send `op` as soon as their previous one answered;
/// what completed during `window`, after `warmup`, is counted.
pub(crate) async fn saturate<F, Fut>(
    clients: usize,
    warmup: Duration,
    window: Duration,
    op: F,
) -> Saturation
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (op, ok, failed, next, stop) = (
                op.clone(),
                ok.clone(),
                failed.clone(),
                next.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if op(client, n).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(warmup).await;
    let (ok0, failed0, t0) = (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        Instant::now(),
    );
    tokio::time::sleep(window).await;
    let (ok1, failed1, elapsed) = (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        t0.elapsed(),
    );
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    Saturation {
        rate: (ok1 - ok0) as f64 / elapsed.as_secs_f64(),
        ok: ok1 - ok0,
        failed: failed1 - failed0,
    }
}

/// An open-loop measurement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpenLoop {
    /// The offered rate, per second.
    pub(crate) offered: f64,
    /// Successes per second in the window.
    pub(crate) ok_rate: f64,
    /// Failures in the window.
    pub(crate) failed: u64,
    /// Latency percentiles of the successes, from the scheduled send.
    pub(crate) p50: Duration,
    /// 99th percentile.
    pub(crate) p99: Duration,
    /// The slowest.
    pub(crate) max: Duration,
}

/// Requests scheduled every `1 / rate` seconds for `warmup + window`, sent
/// by `clients` tasks (each takes the next scheduled request when it is
/// free); latency runs from the scheduled time, so a request that waited
/// for a free client counts its wait. Requests scheduled in the warm-up are
/// sent but not counted.
pub(crate) async fn open_loop<F, Fut>(
    clients: usize,
    rate: f64,
    warmup: Duration,
    window: Duration,
    op: F,
) -> OpenLoop
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let rate = rate.max(1.0);
    let period = Duration::from_secs_f64(1.0 / rate);
    let skipped = (warmup.as_secs_f64() * rate) as u64;
    let total = skipped + (window.as_secs_f64() * rate) as u64;
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = tokio::time::Instant::now() + Duration::from_millis(10);
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (op, next, failed) = (op.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break latencies;
                    }
                    let scheduled = start + period.mul_f64(n as f64);
                    tokio::time::sleep_until(scheduled).await;
                    let succeeded = op(client, n).await;
                    let latency = scheduled.elapsed();
                    if n < skipped {
                        continue;
                    }
                    if succeeded {
                        latencies.push(latency);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(total as usize);
    for task in tasks {
        samples.extend(task.await.expect("client task"));
    }
    // The window runs from the first counted request's schedule to the last
    // answer.
    let counted_from = start + period.mul_f64(skipped as f64);
    OpenLoop::of(
        rate,
        samples,
        failed.load(Ordering::Relaxed),
        counted_from.elapsed(),
    )
}

impl OpenLoop {
    /// `p50 … ms, p99 … ms, max … ms`, for printing.
    pub(crate) fn latencies(&self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }

    /// The figures of `samples` (latencies of successes) and `failed`
    /// requests offered at `rate` over `elapsed`.
    fn of(rate: f64, mut samples: Vec<Duration>, failed: u64, elapsed: Duration) -> Self {
        samples.sort_unstable();
        let pct = |p: f64| {
            samples
                .get(((samples.len().max(1) - 1) as f64 * p).round() as usize)
                .copied()
                .unwrap_or(Duration::MAX)
        };
        OpenLoop {
            offered: rate,
            ok_rate: samples.len() as f64 / elapsed.as_secs_f64(),
            failed,
            p50: pct(0.50),
            p99: pct(0.99),
            max: pct(1.0),
        }
    }
}

/// Milliseconds, for printing.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median of `values` (NaN when empty).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// An open loop for in-process calls: a thread of its own keeps the
/// schedule (the OS sleep, finer than the runtime's 1 ms timer, so a send is
/// never late by the timer's grain) and spawns each call at its time on
/// `runtime`; latency runs from the scheduled time. Calls scheduled in the
/// warm-up run but are not counted; only successes count.
pub(crate) async fn open_loop_spawned<F, Fut>(
    runtime: tokio::runtime::Handle,
    rate: f64,
    warmup: Duration,
    window: Duration,
    op: F,
) -> OpenLoop
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let rate = rate.max(1.0);
    let period = Duration::from_secs_f64(1.0 / rate);
    let skipped = (warmup.as_secs_f64() * rate) as u64;
    let total = skipped + (window.as_secs_f64() * rate) as u64;
    let scheduler = std::thread::spawn(move || {
        let start = Instant::now() + Duration::from_millis(10);
        let calls: Vec<_> = (0..total)
            .map(|n| {
                let scheduled = start + period.mul_f64(n as f64);
                if let Some(wait) = scheduled.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let call = op(n);
                runtime.spawn(async move { (call.await, scheduled.elapsed()) })
            })
            .collect();
        (start + period.mul_f64(skipped as f64), calls)
    });
    let (counted_from, calls) = tokio::task::spawn_blocking(move || scheduler.join())
        .await
        .expect("join")
        .expect("scheduler thread");
    let mut samples = Vec::with_capacity(calls.len());
    let mut failed = 0;
    for (n, call) in calls.into_iter().enumerate() {
        let (succeeded, latency) = call.await.expect("call task");
        if (n as u64) < skipped {
            continue;
        }
        if succeeded {
            samples.push(latency);
        } else {
            failed += 1;
        }
    }
    OpenLoop::of(rate, samples, failed, counted_from.elapsed())
}
