//! # Node lifecycle
//!
//! `rampart setup` and `rampart start` as library functions: open the store
//! the configuration selects, migrate, check the masterkey, serve until told
//! to stop, then shut down in order (stop accepting, finish in-flight
//! requests, close the store).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::auth::{Authenticator, RoleTable};
use crate::bootstrap::{FirstInstance, ensure_first_instance};
use crate::cache::Caches;
use crate::command::{CommandError, Commands};
use crate::config::{Backend, Config};
use crate::eventstore::postgres::PostgresStore;
use crate::eventstore::sqlite::SqliteStore;
use crate::eventstore::{EventStore, Limits, StoreError};
use crate::masterkey::{KeyInputs, KeySource, MasterKey, MasterKeyError};
use crate::plugins::{PluginRegistry, RuntimeError, WatchHandle};
use crate::query::Queries;
use crate::readmodel::{ReadModelError, ReadStore};
use crate::server::{self, AppState, Cqrs};
use crate::spooler::{Leadership, Spoolers};

/// Why the node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The eventstore could not be opened, migrated or closed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No usable masterkey.
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    /// The HTTP port could not be bound.
    #[error("cannot listen on {addr}: {error} (change Port / RAMPART_PORT or ListenAddress)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The plugin runtime could not start.
    #[error(transparent)]
    Plugins(#[from] RuntimeError),
    /// The plugin directory cannot be watched.
    #[error("cannot watch the plugin directory {dir}: {error} (or set Plugins.Watch: false)")]
    Watch {
        /// `Plugins.Dir`.
        dir: std::path::PathBuf,
        /// Why.
        error: notify::Error,
    },
    /// The read models could not be opened.
    #[error(transparent)]
    ReadModel(#[from] ReadModelError),
    /// The command side could not start, or the first instance could not be
    /// created.
    #[error("cannot set up the first instance: {0}")]
    Commands(#[from] CommandError),
    /// The HTTP server failed.
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    /// `InternalAuthZ` is not a usable role table.
    #[error(transparent)]
    Authz(#[from] crate::auth::RoleTableError),
    /// The caches could not be set up.
    #[error("cannot set up the caches: {0}")]
    Caches(#[from] crate::cache::CacheSetupError),
}

/// The storage of one node: the eventstore, the read models beside it, and
/// how the node takes part in leader election.
pub struct Backends {
    /// The eventstore.
    pub store: Arc<dyn EventStore>,
    /// The read models.
    pub readstore: ReadStore,
    /// Leader election for the spoolers.
    pub leadership: Leadership,
    /// The PostgreSQL pool, when that is the backend (the Postgres cache
    /// connector shares it).
    pub pool: Option<sqlx::PgPool>,
}

/// Opens the eventstore and the read models `cfg` selects, migrated.
///
/// # Errors
/// [`AppError::Store`] or [`AppError::ReadModel`].
pub async fn open_backends(cfg: &Config) -> Result<Backends, AppError> {
    let es = &cfg.eventstore;
    Ok(match cfg.database.backend {
        Backend::Sqlite => Backends {
            store: Arc::new(SqliteStore::open(&cfg.database.sqlite, Limits::from(es)).await?),
            readstore: ReadStore::sqlite(&cfg.database.sqlite).await?,
            leadership: Leadership::Local,
            pool: None,
        },
        Backend::Postgres => {
            let store = PostgresStore::connect(&cfg.database.postgres, es).await?;
            store.migrate().await?;
            let pool = store.pool().clone();
            Backends {
                leadership: Leadership::postgres(
                    (*pool.connect_options()).clone(),
                    cfg.projections.leader_lease,
                ),
                readstore: ReadStore::postgres(pool.clone()),
                pool: Some(pool),
                store: Arc::new(store),
            }
        }
    })
}

/// `rampart setup`: applies the migrations and exits. Idempotent, and safe
/// while older nodes serve (migrations are additive).
///
/// # Errors
/// [`AppError::Store`].
pub async fn setup(cfg: &Config) -> Result<(), AppError> {
    let backends = open_backends(cfg).await?;
    backends.readstore.close().await;
    backends.store.close().await;
    tracing::info!(backend = ?cfg.database.backend, "migrations applied");
    Ok(())
}

/// `rampart masterkey rotate`: re-seals every secret of the store under the
/// given masterkey, which must be started with the previous one beside it.
/// Idempotent. Prints what it did.
///
/// # Errors
/// [`AppError::MasterKey`] when neither key is the store's, or none given;
/// [`AppError::Store`].
pub async fn rotate_masterkey(cfg: &Config, keys: &KeyInputs) -> Result<(), AppError> {
    let (key, _) = MasterKey::resolve(keys, None)?;
    let previous: Vec<MasterKey> = keys.previous()?.into_iter().collect();
    let backends = open_backends(cfg).await?;
    let rotated = crate::masterkey::rotate(backends.store.as_ref(), &key, &previous).await;
    backends.readstore.close().await;
    backends.store.close().await;
    let rotated = rotated?;
    if rotated.resealed == 0 {
        println!(
            "every secret is already sealed with masterkey {}; nothing to do",
            rotated.key_id
        );
    } else {
        println!(
            "re-sealed {} secret(s) with masterkey {}; restart the nodes without the previous key",
            rotated.resealed, rotated.key_id
        );
    }
    Ok(())
}

/// `rampart start`: migrates, serves until `shutdown` resolves, then stops
/// gracefully. Prints `rampart listening on http://ADDR` on stdout once the
/// port is bound (with `Port: 0`, the port the OS chose).
///
/// # Errors
/// Any [`AppError`]; a failure before serving leaves nothing running.
pub async fn start(
    cfg: Config,
    keys: KeyInputs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let started = Instant::now();
    crate::telemetry::metrics();
    let generate_in = matches!(cfg.database.backend, Backend::Sqlite)
        .then_some(cfg.database.sqlite.dir.as_path());
    let (key, source) = MasterKey::resolve(&keys, generate_in)?;
    let previous: Vec<MasterKey> = keys.previous()?.into_iter().collect();
    if source == KeySource::Flag {
        tracing::warn!(
            "the masterkey was given on the command line, where `ps` shows it to every user \
             of this host; prefer --masterkey-file or RAMPART_MASTERKEY"
        );
    }
    if let KeySource::Generated(path) = &source {
        tracing::warn!(
            path = %path.display(),
            "no masterkey given: generated one for this data directory; back it up, \
             secrets at rest cannot be read without it"
        );
    }
    let addr = SocketAddr::new(cfg.listen_address, cfg.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| AppError::Bind { addr, error })?;
    let node = assemble(&cfg).await?;
    let Node {
        store,
        commands,
        state,
        ..
    } = &node;
    let served = serve_until(listener, state.clone(), shutdown, cfg.shutdown_timeout);
    let checked = async {
        let keyring = crate::masterkey::verify(store.as_ref(), &key, &previous).await?;
        commands.set_keyring(keyring);
        if let Some(first) =
            ensure_first_instance(store.as_ref(), commands, &cfg.first_instance).await?
        {
            announce(&first, &cfg);
        }
        state.mark_started();
        tracing::info!(
            backend = store.backend(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ready"
        );
        Ok::<_, AppError>(())
    };
    let outcome = match tokio::try_join!(checked, served) {
        Ok(((), ())) => Ok(()),
        Err(e) => Err(e),
    };
    node.stop().await;
    tracing::info!("stopped");
    outcome
}

/// The parts of one node, assembled on its store and not serving: what
/// [`start`] serves, and what a benchmark or a test can put behind routes
/// of its own ([`crate::api::routes`], [`crate::api::grpc_service`]).
pub struct Node {
    /// The eventstore.
    pub store: Arc<dyn EventStore>,
    /// The read models.
    pub readstore: ReadStore,
    /// The plugin runtime.
    pub plugins: Arc<PluginRegistry>,
    /// The command handlers.
    pub commands: Arc<Commands>,
    /// The spoolers, running.
    pub spoolers: Arc<Spoolers>,
    /// What the handlers share, with the command and query sides; not yet
    /// marked started (see [`AppState::mark_started`]).
    pub state: AppState,
    /// Watches the plugin directory while the node lives (`Plugins.Watch`).
    _watch: Option<WatchHandle>,
    /// Keeps this node's caches invalidated; stops with the node.
    _invalidation: crate::cache::invalidate::Invalidation,
}

impl Node {
    /// Stops the spoolers, then closes the read models and the eventstore.
    pub async fn stop(self) {
        self.spoolers.stop().await;
        self.readstore.close().await;
        self.store.close().await;
    }
}

/// Assembles a node as `cfg` describes it, without serving: opens and
/// migrates the stores, starts the plugin runtime (and its directory
/// watcher), the command side, the spoolers, the queries, the
/// authenticator and the instance resolver. Neither checks the masterkey nor
/// creates the first instance ([`start`] does both).
///
/// # Errors
/// [`AppError::Store`], [`AppError::ReadModel`], [`AppError::Plugins`],
/// [`AppError::Watch`], [`AppError::Commands`] or [`AppError::Authz`].
pub async fn assemble(cfg: &Config) -> Result<Node, AppError> {
    let plugin_config = cfg.plugins.clone();
    let plugins = tokio::task::spawn_blocking(move || PluginRegistry::start(plugin_config));
    let Backends {
        store,
        readstore,
        leadership,
        pool,
    } = open_backends(cfg).await?;
    let caches = Arc::new(Caches::build(&cfg.caches, pool.as_ref())?);
    // Before anything is pushed, so no change goes unseen.
    let invalidation = crate::cache::invalidate::follow(
        caches.clone(),
        store.clone(),
        cfg.eventstore.follow_poll_interval,
    )
    .await?;
    let plugins = Arc::new(
        plugins
            .await
            .expect("plugin runtime start-up does not panic")?,
    );
    let _watch = if cfg.plugins.watch {
        let watch = plugins.clone().watch().map_err(|error| AppError::Watch {
            dir: cfg.plugins.dir.clone(),
            error,
        })?;
        Some(watch)
    } else {
        None
    };
    let catalog = plugins.catalog();
    tracing::info!(
        serving = catalog.plugins.len(),
        failed = catalog.failures.len(),
        dir = %cfg.plugins.dir.display(),
        "plugins loaded"
    );
    let commands = Arc::new(
        Commands::new(store.clone(), plugins.clone(), &cfg.commands)?.with_caches(caches.clone()),
    );
    let spoolers = Spoolers::start(
        store.clone(),
        readstore.clone(),
        plugins.clone(),
        leadership,
        cfg.projections.clone(),
    )
    .await;
    let queries = Queries::new(store.clone(), spoolers.clone()).with_caches(caches.clone());
    // Session checks name users by login name, which only the users read
    // model knows.
    commands.set_login_names(Arc::new(queries.clone()));
    // The login-flow plugins decide on session checks (command side) and
    // on finished logins and token claims (the OIDC provider).
    let login_flows = crate::login_flow::LoginFlows::new(plugins.clone(), queries.clone());
    commands.set_login_gate(Arc::new(login_flows.clone()));
    let roles = RoleTable::new(
        &cfg.internal_authz.role_permission_mappings,
        &crate::api::rules::known_permissions(),
    )?;
    let oidc = crate::oidc::Provider::new(
        store.clone(),
        queries.clone(),
        cfg.oidc.clone(),
        commands.keyring_cell(),
        Arc::new(crate::oidc::session::CommandSessions::new(
            store.clone(),
            commands.clone(),
            queries.clone(),
        )),
    )
    .with_login_flows(login_flows);
    let cqrs = Cqrs {
        auth: Authenticator::watching(queries.clone(), Arc::new(roles), store.clone())
            .with_tokens(oidc.clone()),
        oidc: Arc::new(oidc),
        commands: commands.clone(),
        caches,
        queries,
        spoolers: spoolers.clone(),
    };
    let state = AppState::new(store.clone(), plugins.clone()).with_cqrs(cqrs);
    Ok(Node {
        store,
        readstore,
        plugins,
        commands,
        spoolers,
        state,
        _watch,
        _invalidation: invalidation,
    })
}

/// Prints, once, what `rampart start` created on an empty store.
fn announce(first: &FirstInstance, cfg: &Config) {
    let fi = &cfg.first_instance;
    println!(
        "rampart created the first instance {:?} ({}) for {}",
        fi.name,
        first.instance_id,
        fi.domains.join(", ")
    );
    println!(
        "  organization {:?} ({}), administrator {:?} ({})",
        fi.org.name, first.org_id, fi.admin.username, first.admin_id
    );
    match &first.generated_password {
        Some(password) => println!(
            "  administrator password (shown once, change it after logging in): {password}"
        ),
        None => println!("  administrator password: as configured in FirstInstance.Admin.Password"),
    }
    println!(
        "  API administrator {:?} ({}): its personal access token is in {} \
         (send it as Authorization: Bearer <token>)",
        fi.machine.username,
        first.machine_id,
        first.pat_path.display()
    );
    tracing::info!(
        instance = %first.instance_id,
        pat_path = %first.pat_path.display(),
        "first instance created; the API administrator's token is in pat_path"
    );
}

/// Serves until `shutdown`, then drains in-flight requests for at most
/// `grace`.
async fn serve_until(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> Result<(), AppError> {
    let local = listener.local_addr().map_err(AppError::Serve)?;
    println!("rampart listening on http://{local}");
    tracing::info!(%local, "listening (HTTP/1.1 and h2c)");
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = stopping_tx.send(());
    };
    let serving = server::serve(listener, server::router(state), signal);
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => return result.map_err(AppError::Serve),
        _ = stopping_rx => {}
    }
    match tokio::time::timeout(grace, serving).await {
        Ok(result) => result.map_err(AppError::Serve),
        Err(_) => {
            tracing::warn!(
                ?grace,
                "in-flight requests did not finish within ShutdownTimeout; closing them"
            );
            Ok(())
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
