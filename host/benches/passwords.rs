//! argon2id on this box: what a password costs to hash and to check at the
//! parameters an operator might choose (`Commands.PasswordHash`), to pick
//! the default from measurements instead of folklore.
//!
//! For each candidate (the OWASP equivalents of m=19 MiB, t=2, p=1 and two
//! stronger settings): the median and slowest of single hashes one at a
//! time; then checks from 16 concurrent callers through the server's own
//! bounded hasher (`MaxConcurrent` 0: one less than the cores), measured as
//! checks per second, with how late a 1 ms tick on the async workers ran
//! meanwhile (hashing must not starve the workers), and the memory the
//! bound allows (`Memory` × permits).
//!
//! `cargo bench -p rampart --bench passwords`

#![allow(missing_docs)]

#[allow(dead_code)]
#[path = "support/load.rs"]
mod load;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart::command::PasswordHasher;
use rampart::config::PasswordHashConfig;

/// `(MiB, iterations)` candidates, all with one lane.
const CANDIDATES: [(u64, u32); 7] = [(7, 5), (9, 4), (12, 3), (19, 2), (46, 1), (64, 2), (64, 3)];
const SINGLE_HASHES: usize = 15;
const CALLERS: usize = 16;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("argon2id, 1 lane, on {cores} cores\n");
    rt.block_on(async {
        let idle = tick_lateness_p99(load::window(3.0)).await;
        println!("  idle: 1 ms tick late p99 {idle:.2} ms");
        for (mib, iterations) in CANDIDATES {
            let hasher = PasswordHasher::new(&PasswordHashConfig {
                memory: bytesize::ByteSize::mib(mib),
                iterations,
                parallelism: 1,
                max_concurrent: 0,
            })
            .expect("valid parameters");
            measure(mib, iterations, hasher, cores).await;
        }
    });
    println!(
        "\n(the default, m=19 MiB t=2, is the candidate whose check stays under 30 ms here, \
         so the one core the bound gives hashing checks 40 or more passwords a second \
         while the other serves requests; see README)"
    );
}

/// The async workers' responsiveness: a task ticking every millisecond for
/// `window`, and the 99th percentile of how late its ticks ran (the
/// runtime's timer has a 1 ms grain: an idle box shows that much).
async fn tick_lateness_p99(window: Duration) -> f64 {
    let ticker = tokio::spawn(async move {
        let mut lateness = Vec::new();
        let started = Instant::now();
        let mut next = started + Duration::from_millis(1);
        while started.elapsed() < window {
            tokio::time::sleep_until(next.into()).await;
            lateness.push(load::ms(next.elapsed()));
            next += Duration::from_millis(1);
        }
        lateness
    });
    let mut lateness = ticker.await.expect("ticker");
    lateness.sort_by(f64::total_cmp);
    lateness[(lateness.len() - 1) * 99 / 100]
}

async fn measure(mib: u64, iterations: u32, hasher: PasswordHasher, cores: usize) {
    let mut single = Vec::with_capacity(SINGLE_HASHES);
    let mut hash = String::new();
    for _ in 0..SINGLE_HASHES {
        let started = Instant::now();
        hash = hasher.hash("Correct-Horse-Battery-1").await.expect("hash");
        single.push(load::ms(started.elapsed()));
    }
    single.sort_by(f64::total_cmp);
    let window = load::window(3.0);
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (hasher, hash, stop, checks, failed) = (
                hasher.clone(),
                hash.clone(),
                stop.clone(),
                checks.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match hasher.matches(&hash, "Correct-Horse-Battery-1").await {
                        Ok(true) => checks.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    let started = Instant::now();
    let p99 = tick_lateness_p99(window).await;
    let rate = checks.swap(0, Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.expect("caller");
    }
    let permits = cores.saturating_sub(1).max(1);
    println!(
        "  m={mib:>2} MiB t={iterations}: one hash p50 {:>6.1} ms, max {:>6.1} ms | \
         {CALLERS} callers: {rate:>5.1} checks/s ok ({} failed), 1 ms tick late p99 {p99:.2} ms | \
         memory at the bound {} MiB",
        load::median(&single),
        single[single.len() - 1],
        failed.load(Ordering::Relaxed),
        mib * permits as u64,
    );
}
