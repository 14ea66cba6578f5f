//! # The `rampart` command
//!
//! `rampart start` runs a node, `rampart setup` only migrates. Global options
//! pick configuration files and the masterkey.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app;
use crate::config::Config;
use crate::masterkey::KeyInputs;
use crate::scaffold::{self, World};

/// Rampart: identity and access management, with business logic in WebAssembly.
///
/// With no configuration, `rampart start` runs on an embedded SQLite store in
/// ./data and serves on port 8080. Configuration is layered: the built-in
/// defaults (config/defaults.yaml), then each --config file in order, then
/// environment variables RAMPART_<PATH> (e.g. RAMPART_PORT=9000,
/// RAMPART_DATABASE_BACKEND=postgres, RAMPART_DATABASE_POSTGRES_HOST=db).
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, long_about)]
pub struct Cli {
    /// A YAML configuration file overriding the defaults; repeat to layer several (later wins).
    /// RAMPART_CONFIG may list files separated by commas.
    #[arg(
        long = "config",
        global = true,
        value_name = "FILE",
        env = "RAMPART_CONFIG",
        value_delimiter = ','
    )]
    pub config: Vec<PathBuf>,

    /// The 32-byte masterkey that seals secrets at rest (`ps` shows it: prefer --masterkey-file).
    #[arg(
        long,
        global = true,
        value_name = "KEY",
        conflicts_with = "masterkey_file"
    )]
    pub masterkey: Option<String>,

    /// A file holding the 32-byte masterkey (trailing newline ignored).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "RAMPART_MASTERKEY_FILE"
    )]
    pub masterkey_file: Option<PathBuf>,

    /// During a masterkey rotation: a file holding the previous masterkey,
    /// which still opens what it sealed (RAMPART_MASTERKEY_PREVIOUS gives it
    /// directly).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "RAMPART_MASTERKEY_PREVIOUS_FILE"
    )]
    pub previous_masterkey_file: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the store if needed, then serve until SIGINT/SIGTERM.
    ///
    /// The masterkey comes from --masterkey, --masterkey-file or RAMPART_MASTERKEY.
    /// On the embedded SQLite default with none given, one is generated into the
    /// data directory on first start. PostgreSQL deployments must give one.
    Start,
    /// Apply the store's migrations and exit.
    ///
    /// Idempotent, and safe to run while nodes of an older version serve
    /// (migrations only add). `rampart start` runs it too.
    Setup,
    /// Work with WebAssembly plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Manage the masterkey.
    #[command(subcommand)]
    Masterkey(MasterkeyCommand),
}

/// `rampart masterkey ...`.
#[derive(Debug, Subcommand)]
pub enum MasterkeyCommand {
    /// Re-seal every secret of the store with a new masterkey.
    ///
    /// Give the new key as the masterkey (--masterkey-file or
    /// RAMPART_MASTERKEY) and the old one as the previous key
    /// (--previous-masterkey-file or RAMPART_MASTERKEY_PREVIOUS). Nodes given
    /// both keys keep serving meanwhile; afterwards, restart them with the
    /// new key alone. Idempotent.
    Rotate,
}

/// `rampart plugin ...`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate (Rust, built to a wasm32-wasip2 component) with a
    /// native test, ready for `cargo test` and
    /// `cargo build --release --target wasm32-wasip2`.
    New {
        /// The plugin's name: lowercase letters, digits and inner hyphens.
        name: String,
        /// The world it implements.
        #[arg(long, value_enum, default_value = "validator")]
        world: World,
        /// Directory to create (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Path of `plugin-sdk/` in a Rampart checkout (default: the checkout
        /// this binary was built from).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
}

impl Cli {
    /// Runs the parsed command; returns the process's exit code.
    pub fn run(self) -> ExitCode {
        if let Command::Plugin(PluginCommand::New {
            name,
            world,
            dir,
            sdk,
        }) = &self.command
        {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from(name));
            let sdk = sdk.clone().unwrap_or_else(scaffold::default_sdk_path);
            return match scaffold::new_plugin(name, *world, &dir, &sdk) {
                Ok(_) => {
                    println!(
                        "created {}: `cargo test` there runs its tests, \
                         `cargo build --release --target wasm32-wasip2` builds the component",
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("rampart: {e}");
                    ExitCode::from(2)
                }
            };
        }
        let config = match Config::load(&self.config, std::env::vars()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rampart: invalid configuration: {e}");
                return ExitCode::from(2);
            }
        };
        crate::telemetry::init_logging(&config.log);
        let keys = KeyInputs {
            flag: self.masterkey,
            file: self.masterkey_file,
            env: std::env::var("RAMPART_MASTERKEY").ok(),
            previous_file: self.previous_masterkey_file,
            previous_env: std::env::var("RAMPART_MASTERKEY_PREVIOUS").ok(),
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("rampart: cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
        let outcome = runtime.block_on(async {
            match self.command {
                Command::Start => app::start(config, keys, app::shutdown_signal()).await,
                Command::Setup => app::setup(&config).await,
                Command::Masterkey(MasterkeyCommand::Rotate) => {
                    app::rotate_masterkey(&config, &keys).await
                }
                Command::Plugin(_) => Ok(()),
            }
        });
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "rampart stopped with an error");
                eprintln!("rampart: {e}");
                ExitCode::FAILURE
            }
        }
    }
}
