//! The `rampart` binary: see `rampart --help`.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a request allocates many small
/// short-lived objects across threads, where glibc's malloc spends ~10 % of
/// the API's time (measured with `perf` under `cargo bench --bench api`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    rampart::cli::Cli::parse().run()
}
