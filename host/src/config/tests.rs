//! # Configuration tests
//!
//! Given/when/then tests of layering and of the error messages.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// Writes `yaml` to a temporary file; keep the returned guard alive.
fn file(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rampart.yaml");
    std::fs::write(&path, yaml).expect("write config file");
    (dir, path)
}

/// `(name, value)` pairs as owned strings.
fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Loads `yaml` as the only file, with `vars`, expecting an error message.
fn load_err(yaml: &str, vars: &[(&str, &str)]) -> (String, PathBuf) {
    let (_dir, path) = file(yaml);
    let err = Config::load(std::slice::from_ref(&path), env(vars)).expect_err("load must fail");
    (err.to_string(), path)
}

#[test]
fn defaults_load() {
    // given: nothing but the embedded defaults
    // when
    let config = Config::load(&[], env(&[])).expect("defaults load");
    // then
    assert_eq!(config, Config::defaults());
    assert_eq!(config.port, 8080);
    assert_eq!(config.listen_address.to_string(), "0.0.0.0");
    assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(config.log.level, "info");
    assert_eq!(config.log.format, LogFormat::Text);
    assert_eq!(config.database.backend, Backend::Sqlite);
    assert_eq!(config.database.sqlite.dir, PathBuf::from("./data"));
    assert_eq!(config.database.sqlite.synchronous, SqliteSynchronous::Full);
    assert_eq!(config.database.sqlite.busy_timeout, Duration::from_secs(5));
    assert_eq!(config.database.sqlite.max_readers, 8);
    assert_eq!(config.database.sqlite.group_commit_max, 256);
    let pg = &config.database.postgres;
    assert_eq!(pg.display_target(), "rampart@localhost:5432/rampart");
    assert_eq!(pg.password, "");
    assert_eq!(pg.ssl_mode, PgSslMode::Prefer);
    assert_eq!((pg.max_open_conns, pg.min_idle_conns), (32, 2));
    assert_eq!(pg.connect_timeout, Duration::from_secs(5));
    assert_eq!(pg.application_name, "rampart");
    assert!(pg.create_database);
    assert_eq!((pg.commit_slots, pg.group_commit_max), (4, 32));
    assert_eq!(config.eventstore.max_payload_bytes, 1_048_576);
    assert_eq!(config.eventstore.max_events_per_push, 1000);
    assert_eq!(
        config.eventstore.follow_poll_interval,
        Duration::from_millis(250)
    );
    assert_eq!(config.eventstore.notify_interval, Duration::from_millis(20));
}

#[test]
fn file_overrides_one_key_and_keeps_the_rest() {
    // given
    let (_dir, path) =
        file("Database:\n  Postgres:\n    SSLMode: verify-full\n    Password: 12345\n");
    // when
    let config = Config::load(&[path], env(&[])).expect("load");
    // then
    let mut expected = Config::defaults();
    expected.database.postgres.ssl_mode = PgSslMode::VerifyFull;
    expected.database.postgres.password = "12345".to_owned();
    assert_eq!(config, expected);
}

#[test]
fn later_files_override_earlier_ones() {
    // given
    let (_d1, first) = file("Port: 1000\nLog:\n  Level: debug\n");
    let (_d2, second) = file("Port: 2000\n");
    // when
    let config = Config::load(&[first, second], env(&[])).expect("load");
    // then
    assert_eq!(config.port, 2000);
    assert_eq!(config.log.level, "debug");
}

#[test]
fn env_overrides_file() {
    // given
    let (_dir, path) = file("Port: 1000\nShutdownTimeout: 1m\n");
    // when
    let vars = env(&[("RAMPART_PORT", "9000"), ("RAMPART_LOG_FORMAT", "json")]);
    let config = Config::load(&[path], vars).expect("load");
    // then
    assert_eq!(config.port, 9000);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.shutdown_timeout, Duration::from_secs(60));
}

#[test]
fn nested_env_vars_reach_postgres_settings() {
    // given
    let vars = env(&[
        ("RAMPART_DATABASE_BACKEND", "postgres"),
        ("RAMPART_DATABASE_POSTGRES_HOST", "db"),
        ("RAMPART_DATABASE_POSTGRES_MAXOPENCONNS", "64"),
        ("RAMPART_DATABASE_POSTGRES_PASSWORD", "0123"),
        ("RAMPART_DATABASE_POSTGRES_CREATEDATABASE", "false"),
        ("RAMPART_EVENTSTORE_NOTIFYINTERVAL", "100ms"),
        ("PATH", "/usr/bin"),
    ]);
    // when
    let config = Config::load(&[], vars).expect("load");
    // then
    let pg = &config.database.postgres;
    assert_eq!(config.database.backend, Backend::Postgres);
    assert_eq!(pg.display_target(), "rampart@db:5432/rampart");
    assert_eq!(pg.max_open_conns, 64);
    assert_eq!(pg.password, "0123");
    assert!(!pg.create_database);
    assert_eq!(
        config.eventstore.notify_interval,
        Duration::from_millis(100)
    );
}

#[test]
fn unknown_file_key_names_path_file_and_suggestion() {
    // given / when
    let (msg, path) = load_err("Database:\n  Postgres:\n    Hots: db\n", &[]);
    // then
    assert_eq!(
        msg,
        format!(
            "unknown configuration key `Database.Postgres.Hots` in config file `{}`; did you mean `Host`?",
            path.display()
        )
    );
}

#[test]
fn unknown_file_key_without_close_match_has_no_suggestion() {
    // given / when
    let (msg, path) = load_err("Frobnicate: 1\n", &[]);
    // then
    assert_eq!(
        msg,
        format!(
            "unknown configuration key `Frobnicate` in config file `{}`",
            path.display()
        )
    );
}

#[test]
fn unknown_env_var_is_named() {
    // given
    let vars = env(&[("RAMPART_DATABASE_POSTGRES_HOTS", "db")]);
    // when
    let err = Config::load(&[], vars).expect_err("must fail");
    // then
    assert_eq!(
        err.to_string(),
        "unknown environment variable `RAMPART_DATABASE_POSTGRES_HOTS`: it names no \
         configuration key; did you mean `RAMPART_DATABASE_POSTGRES_HOST`?"
    );
}

#[test]
fn env_var_naming_a_section_is_unknown() {
    // given
    let vars = env(&[("RAMPART_DATABASE", "x")]);
    // when
    let err = Config::load(&[], vars).expect_err("must fail");
    // then
    assert!(matches!(err, ConfigError::UnknownEnv { ref name, .. } if name == "RAMPART_DATABASE"));
}

#[test]
fn reserved_env_vars_are_ignored() {
    // given
    let vars = env(&[
        ("RAMPART_MASTERKEY", "k"),
        ("RAMPART_MASTERKEY_FILE", "/k"),
        ("RAMPART_MASTERKEY_PREVIOUS", "k"),
        ("RAMPART_MASTERKEY_PREVIOUS_FILE", "/k"),
        ("RAMPART_CONFIG", "/c.yaml"),
        ("RAMPART_TEST_POSTGRES_URL", "postgres://x"),
    ]);
    // when
    let config = Config::load(&[], vars).expect("load");
    // then
    assert_eq!(config, Config::defaults());
}

#[test]
fn wrong_type_from_file_names_key_file_and_expected() {
    // given / when
    let (msg, path) = load_err("Port: eighty\n", &[]);
    // then
    assert_eq!(
        msg,
        format!(
            "invalid value for configuration key `Port` (set by config file `{}`): \
             invalid type: string \"eighty\", expected u16",
            path.display()
        )
    );
}

#[test]
fn wrong_type_from_env_names_the_env_var() {
    // given / when
    let (msg, _path) = load_err("Port: 1000\n", &[("RAMPART_PORT", "abc")]);
    // then
    assert_eq!(
        msg,
        "invalid value for configuration key `Port` (set by environment variable \
         `RAMPART_PORT`): invalid type: string \"abc\", expected u16"
    );
}

#[test]
fn bad_duration_is_reported() {
    // given / when
    let (msg, path) = load_err("Database:\n  Sqlite:\n    BusyTimeout: 5 parsecs\n", &[]);
    // then
    let prefix = format!(
        "invalid value for configuration key `Database.Sqlite.BusyTimeout` (set by config \
         file `{}`): invalid duration \"5 parsecs\" (unknown time unit \"parsecs\"",
        path.display()
    );
    assert!(msg.starts_with(&prefix), "{msg}");
    assert!(
        msg.ends_with("expected a duration such as \"5s\", \"100ms\" or \"1m\""),
        "{msg}"
    );
}

#[test]
fn unknown_enum_value_lists_allowed_values() {
    // given / when
    let (msg, _path) = load_err("", &[("RAMPART_DATABASE_POSTGRES_SSLMODE", "always")]);
    // then
    assert_eq!(
        msg,
        "invalid value for configuration key `Database.Postgres.SSLMode` (set by environment \
         variable `RAMPART_DATABASE_POSTGRES_SSLMODE`): unknown variant `always`, expected one \
         of `disable`, `prefer`, `require`, `verify-ca`, `verify-full`"
    );
}

#[test]
fn scalar_over_mapping_and_mapping_over_scalar_are_errors() {
    // given / when
    let (scalar, path) = load_err("Database: postgres\n", &[]);
    let (mapping, path2) = load_err("Port:\n  Number: 1\n", &[]);
    // then
    assert_eq!(
        scalar,
        format!(
            "invalid configuration key `Database` in config file `{}`: expected a mapping \
             of keys, not a single value",
            path.display()
        )
    );
    assert_eq!(
        mapping,
        format!(
            "invalid configuration key `Port` in config file `{}`: expected a single value, \
             not a mapping",
            path2.display()
        )
    );
}

#[test]
fn invalid_yaml_names_file_and_line() {
    // given / when
    let (msg, path) = load_err("Port: 1\nLog:\n  Level: [debug\n", &[]);
    // then
    assert_eq!(
        msg,
        format!(
            "invalid YAML in config file `{}`: did not find expected ',' or ']' at line 4 \
             column 1, while parsing a flow sequence at line 3 column 10",
            path.display()
        )
    );
}

#[test]
fn unreadable_file_is_named() {
    // given
    let path = PathBuf::from("/nonexistent/rampart.yaml");
    // when
    let err = Config::load(std::slice::from_ref(&path), env(&[])).expect_err("must fail");
    // then
    assert!(
        err.to_string()
            .starts_with("cannot read config file `/nonexistent/rampart.yaml`: "),
        "{err}"
    );
}

#[test]
fn empty_or_comment_only_files_change_nothing() {
    // given
    let (_d1, empty) = file("");
    let (_d2, comments) = file("# nothing here\n# Port: 1\n");
    let (_d3, empty_section) = file("Log:\n");
    // when
    let config = Config::load(&[empty, comments, empty_section], env(&[])).expect("load");
    // then
    assert_eq!(config, Config::defaults());
}

#[test]
fn plugin_defaults_and_per_plugin_settings_load() {
    // given: one plugin configured, another layered over it by a second file
    let (_d1, first) = file(
        "Plugins:\n  password-policy:\n    Config: {minLength: 12}\n    Deadline: 20ms\n    Grants: [config]\n",
    );
    let (_d2, second) = file("Plugins:\n  password-policy:\n    MemoryLimit: 8MiB\n");
    // when
    let config = Config::load(
        &[first, second],
        env(&[("RAMPART_PLUGINS_DEADLINE", "75ms")]),
    )
    .expect("load");
    // then
    let plugins = &config.plugins;
    assert_eq!(plugins.dir, PathBuf::from("./data/plugins"));
    assert_eq!(plugins.deadline, Duration::from_millis(75));
    assert_eq!(plugins.memory_limit.as_u64(), 16 << 20);
    assert_eq!(plugins.validators[0], "password-policy");
    let settings = plugins.settings("password-policy");
    assert_eq!(settings.config, serde_json::json!({"minLength": 12}));
    assert_eq!(settings.deadline, Some(Duration::from_millis(20)));
    assert_eq!(settings.memory_limit.map(|m| m.as_u64()), Some(8 << 20));
    assert_eq!(settings.grants, [Capability::Config]);
    // an unconfigured plugin gets the least privilege, `config`, and no settings
    let other = plugins.settings("email-format");
    assert!(other.enabled);
    assert_eq!(other.grants, [Capability::Config]);
    assert_eq!(other.config, serde_json::json!({}));
}

#[test]
fn a_mistyped_plugins_key_gets_a_suggestion() {
    // given / when
    let (msg, _) = load_err("Plugins:\n  Deadlin: 10ms\n", &[]);
    // then
    assert!(
        msg.contains("unknown configuration key `Plugins.Deadlin`"),
        "{msg}"
    );
    assert!(msg.ends_with("did you mean `Deadline`?"), "{msg}");
}

#[test]
fn an_unknown_grant_or_plugin_setting_is_refused() {
    let (msg, _) = load_err("Plugins:\n  my-rule:\n    Grants: [network]\n", &[]);
    assert!(
        msg.contains("plugin `my-rule`") && msg.contains("network"),
        "{msg}"
    );
    let (msg, _) = load_err("Plugins:\n  my-rule:\n    Enabeld: false\n", &[]);
    assert!(
        msg.contains("plugin `my-rule`") && msg.contains("Enabeld"),
        "{msg}"
    );
}

#[test]
fn the_plugin_pool_is_configured_and_checked() {
    let defaults = Config::defaults().plugins.pool;
    assert_eq!(
        (defaults.threads, defaults.queue, defaults.nice),
        (0, 64, 10)
    );
    assert!(defaults.thread_count() >= 1);
    let config = Config::load(
        &[],
        env(&[
            ("RAMPART_PLUGINS_POOL_THREADS", "3"),
            ("RAMPART_PLUGINS_POOL_QUEUE", "10"),
        ]),
    )
    .expect("load");
    assert_eq!(config.plugins.pool.thread_count(), 3);
    assert_eq!(config.plugins.pool.queue, 10);
    let (msg, _) = load_err("Plugins:\n  Pool:\n    Threds: 2\n", &[]);
    assert!(msg.contains("Threds"), "{msg}");
    let (msg, _) = load_err("Plugins:\n  Pool:\n    Nice: 25\n", &[]);
    assert!(msg.contains("Nice must be 0 to 19"), "{msg}");
}

#[test]
fn caches_default_to_the_memory_connector() {
    let config = Config::load(&[], env(&[])).expect("defaults load");
    for (name, cache) in config.caches.objects() {
        assert_eq!(cache.connector, "memory", "{name}");
    }
    assert!(config.caches.connectors.memory.enabled);
    assert!(!config.caches.connectors.redis.enabled);
}

#[test]
fn a_cache_on_a_disabled_connector_is_an_error_naming_both() {
    let (message, path) = load_err("Caches:\n  Organization:\n    Connector: redis\n", &[]);
    assert!(
        message.contains("Caches.Organization.Connector"),
        "{message}"
    );
    assert!(
        message.contains("Caches.Connectors.Redis.Enabled"),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn the_postgres_connector_on_sqlite_is_an_error_saying_why() {
    let yaml = "Caches:\n  Connectors:\n    Postgres:\n      Enabled: true\n  Instance:\n    Connector: postgres\n";
    let (message, _) = load_err(yaml, &[]);
    assert!(message.contains("Caches.Instance.Connector"), "{message}");
    assert!(message.contains("Database.Backend: postgres"), "{message}");
}

#[test]
fn an_empty_connector_disables_the_cache_and_an_unknown_one_is_named() {
    let vars = env(&[("RAMPART_CACHES_MILESTONES_CONNECTOR", "")]);
    let config = Config::load(&[], vars).expect("load");
    assert_eq!(config.caches.milestones.kind(), Ok(None));
    let (message, _) = load_err("Caches:\n  Instance:\n    Connector: memcached\n", &[]);
    assert!(message.contains("\"memcached\""), "{message}");
    assert!(message.contains("\"redis\""), "{message}");
}

#[test]
fn a_failure_ratio_outside_0_to_1_is_refused() {
    let yaml =
        "Caches:\n  Connectors:\n    Redis:\n      CircuitBreaker:\n        MaxFailureRatio: 1.5\n";
    let (message, _) = load_err(yaml, &[]);
    assert!(message.contains("MaxFailureRatio"), "{message}");
}

#[test]
fn group_commit_bounds_are_checked() {
    // given: more pushes per transaction than PostgreSQL handles well
    // when
    let (msg, _) = load_err("Database:\n  Postgres:\n    GroupCommitMax: 100\n", &[]);
    // then
    assert!(msg.contains("Database.Postgres.GroupCommitMax"), "{msg}");
    assert!(msg.contains("must be 1 to 60"), "{msg}");
}
