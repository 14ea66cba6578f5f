//! What the unit tests that need the local PostgreSQL share: how to reach it.
//! Like the integration tests, they default to postgres@127.0.0.1:5432
//! (trust auth), overridden by `RAMPART_TEST_PG_HOST`, `RAMPART_TEST_PG_PORT`
//! and `RAMPART_TEST_PG_USER`.

use sqlx::postgres::PgConnectOptions;

/// Options reaching `database` on the test server.
pub(crate) fn options(database: &str) -> PgConnectOptions {
    let var = |name: &str| std::env::var(name).ok();
    PgConnectOptions::new()
        .host(&var("RAMPART_TEST_PG_HOST").unwrap_or_else(|| "127.0.0.1".into()))
        .port(
            var("RAMPART_TEST_PG_PORT")
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432),
        )
        .username(&var("RAMPART_TEST_PG_USER").unwrap_or_else(|| "postgres".into()))
        .database(database)
}

/// A new database named `<prefix>_<random>` on the test server, migrated
/// with the eventstore's migrator; its name and a pool of `connections`.
pub(crate) async fn migrated_database(prefix: &str, connections: u32) -> (String, sqlx::PgPool) {
    use sqlx::{ConnectOptions, Executor};
    let name = format!("{prefix}_{}", rand::random::<u64>());
    let mut admin = options("postgres")
        .connect()
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 (user postgres, trust)");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let _ = sqlx::Connection::close(admin).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options(&name))
        .await
        .expect("connect test database");
    crate::eventstore::postgres::migrator()
        .run(&pool)
        .await
        .expect("migrate test database");
    (name, pool)
}
