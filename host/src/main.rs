//! The `rampart` binary: see `rampart --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    rampart::cli::Cli::parse().run()
}
