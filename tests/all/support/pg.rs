//! A PostgreSQL database per test, dropped afterwards.

use rampart::config::{Config, PostgresConfig};
use sqlx::{Connection, Executor, PgConnection};

/// A freshly created database on the test server.
pub struct TestDb {
    /// Its name.
    pub name: String,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The server's connection settings for `database`.
pub fn server_config(database: &str) -> PostgresConfig {
    PostgresConfig {
        host: env_or("RAMPART_TEST_PG_HOST", "127.0.0.1"),
        port: env_or("RAMPART_TEST_PG_PORT", "5432")
            .parse()
            .expect("RAMPART_TEST_PG_PORT"),
        user: env_or("RAMPART_TEST_PG_USER", "postgres"),
        password: env_or("RAMPART_TEST_PG_PASSWORD", ""),
        database: database.to_owned(),
        max_open_conns: 16,
        min_idle_conns: 0,
        ..Config::defaults().database.postgres
    }
}

fn admin_url() -> String {
    let c = server_config("postgres");
    format!(
        "postgres://{}:{}@{}:{}/postgres",
        c.user, c.password, c.host, c.port
    )
}

impl TestDb {
    /// Creates a database with a unique name.
    pub async fn create() -> Self {
        let name = format!("rampart_test_{}", rand::random::<u64>());
        let mut admin = PgConnection::connect(&admin_url())
            .await
            .expect("PostgreSQL must run on 127.0.0.1:5432 (see README: Testing)");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        Self { name }
    }

    /// Connection settings for this database.
    pub fn config(&self) -> PostgresConfig {
        server_config(&self.name)
    }

    /// `RAMPART_*` variables that point a server at this database.
    pub fn env(&self) -> Vec<(String, String)> {
        let c = self.config();
        vec![
            ("RAMPART_DATABASE_BACKEND".into(), "postgres".into()),
            ("RAMPART_DATABASE_POSTGRES_HOST".into(), c.host),
            ("RAMPART_DATABASE_POSTGRES_PORT".into(), c.port.to_string()),
            ("RAMPART_DATABASE_POSTGRES_USER".into(), c.user),
            ("RAMPART_DATABASE_POSTGRES_PASSWORD".into(), c.password),
            ("RAMPART_DATABASE_POSTGRES_DATABASE".into(), c.database),
            ("RAMPART_DATABASE_POSTGRES_SSLMODE".into(), "disable".into()),
        ]
    }

    /// A plain connection to this database (for raw-SQL checks).
    pub async fn connect(&self) -> PgConnection {
        let c = self.config();
        PgConnection::connect(&format!(
            "postgres://{}:{}@{}:{}/{}",
            c.user, c.password, c.host, c.port, c.database
        ))
        .await
        .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context; use a throwaway runtime on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&admin_url()).await.ok()?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()
            })
        })
        .join();
    }
}
