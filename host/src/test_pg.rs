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
