//! Connecting to PostgreSQL with errors an operator can act on.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, Executor};

use crate::config::{PgSslMode as SslSetting, PostgresConfig};
use crate::eventstore::StoreError;

/// How long a session of this server may sit idle inside a transaction
/// before PostgreSQL ends it. Bounds how long a frozen node's transaction
/// can hold the locks a new projection leader needs (`spooler::leader`).
pub const IDLE_IN_TRANSACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// PostgreSQL's code for "database does not exist".
const UNDEFINED_DATABASE: &str = "3D000";
/// PostgreSQL's code for "database already exists".
const DUPLICATE_DATABASE: &str = "42P04";

/// Opens the pool `cfg` describes; creates the database first when it is
/// missing and `CreateDatabase` is on.
///
/// # Errors
/// [`StoreError::Unavailable`] naming the server and the cause.
pub async fn connect_pool(cfg: &PostgresConfig) -> Result<PgPool, StoreError> {
    let options = options(cfg, &cfg.database);
    match open(cfg, options.clone()).await {
        Err(e) if cfg.create_database && has_code(&e, UNDEFINED_DATABASE) => {
            create_database(cfg).await?;
            open(cfg, options).await.map_err(|e| unreachable(cfg, e))
        }
        other => other.map_err(|e| unreachable(cfg, e)),
    }
}

fn options(cfg: &PostgresConfig, database: &str) -> PgConnectOptions {
    PgConnectOptions::new()
        .host(&cfg.host)
        .port(cfg.port)
        .username(&cfg.user)
        .password(&cfg.password)
        .database(database)
        .application_name(&cfg.application_name)
        // Every statement is prepared and selective on its parameters; custom
        // plans would only re-plan each execution at a cost of CPU. The
        // isolation level is pinned: pushes rely on read committed (their
        // checks are statements of their own), and a server default of
        // `serializable` would turn ordinary races into failed transactions.
        //
        // A transaction left open by a client that stopped (frozen, cut off,
        // crashed between two statements) is ended by the server after
        // `IDLE_IN_TRANSACTION_TIMEOUT`, releasing its locks: every
        // transaction of the server is a few statements sent back to back.
        .options([
            ("plan_cache_mode", "force_generic_plan".to_owned()),
            // A space in a value is escaped for the startup `options`.
            (
                "default_transaction_isolation",
                r"read\ committed".to_owned(),
            ),
            (
                "idle_in_transaction_session_timeout",
                format!("{}ms", IDLE_IN_TRANSACTION_TIMEOUT.as_millis()),
            ),
        ])
        .ssl_mode(match cfg.ssl_mode {
            SslSetting::Disable => PgSslMode::Disable,
            SslSetting::Prefer => PgSslMode::Prefer,
            SslSetting::Require => PgSslMode::Require,
            SslSetting::VerifyCa => PgSslMode::VerifyCa,
            SslSetting::VerifyFull => PgSslMode::VerifyFull,
        })
        // No statement in the log, slow or not: statements carry personal
        // data (read-model batches as literals); slow batches are logged
        // with counts and times by `readmodel::apply`.
        .disable_statement_logging()
}

async fn open(cfg: &PostgresConfig, options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(cfg.max_open_conns.max(1))
        .min_connections(cfg.min_idle_conns.min(cfg.max_open_conns))
        .acquire_timeout(cfg.connect_timeout)
        .test_before_acquire(false)
        // Before a connection pushes: positions stay above the stored ones
        // even on a cluster the database was just moved to.
        .after_connect(|conn, _| Box::pin(super::rebase::rebase_positions(conn)))
        .connect_with(options)
        .await
}

async fn create_database(cfg: &PostgresConfig) -> Result<(), StoreError> {
    let mut admin = options(cfg, "postgres")
        .connect()
        .await
        .map_err(|e| unreachable(cfg, e))?;
    let name = cfg.database.replace('"', "\"\"");
    match admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
    {
        Ok(_) => tracing::info!(database = %cfg.database, "created the PostgreSQL database"),
        Err(e) if has_code(&e, DUPLICATE_DATABASE) => {}
        Err(e) => {
            return Err(StoreError::Unavailable(format!(
                "the database {:?} does not exist and could not be created as {:?}: {e}; \
                 create it, or grant CREATEDB to the user",
                cfg.database, cfg.user
            )));
        }
    }
    let _ = admin.close().await;
    Ok(())
}

fn has_code(e: &sqlx::Error, code: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(code))
}

fn unreachable(cfg: &PostgresConfig, e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!(
        "cannot connect to PostgreSQL at {}: {e} (check Database.Postgres in the configuration)",
        cfg.display_target()
    ))
}
