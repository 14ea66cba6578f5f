//! The `rampart` command's promises: first run without flags, clear errors for
//! bad configuration, a locked data directory, a missing or wrong masterkey,
//! an unreachable database; `setup` is idempotent.

use std::time::Duration;

use crate::support::{TestDb, TestServer, rampart_command};

/// Runs `rampart ARGS` to completion; returns (exit code, stderr).
async fn run(dir: &std::path::Path, env: &[(String, String)], args: &[&str]) -> (i32, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        rampart_command(dir)
            .args(args)
            .envs(env.iter().cloned())
            .output(),
    )
    .await
    .expect("rampart did not exit")
    .expect("run rampart");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The permission bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn help_explains_the_commands_and_the_configuration_layers() {
    let dir = tempfile::tempdir().unwrap();
    let out = rampart_command(dir.path())
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "start",
        "setup",
        "--config",
        "--masterkey",
        "RAMPART_PORT=9000",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}

#[tokio::test]
async fn first_start_without_flags_creates_private_data_and_masterkey() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let data = dir.path().join("data");
    assert!(data.join("rampart.db").exists());
    let key = std::fs::read_to_string(data.join("masterkey")).unwrap();
    assert_eq!(key.len(), 32);
    // Whatever the umask, what holds secrets and personal data is the
    // owner's alone: the directory, the databases and their WAL files, the
    // masterkey and the administrator's token.
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in [
        "masterkey",
        "admin.pat",
        "rampart.db",
        "rampart.db-wal",
        "projections.db",
        "projections.db-wal",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let (_, log) = server.terminate().await.unwrap();
    assert!(
        log.contains("generated one for this data directory"),
        "{log}"
    );

    // The second start reuses the key and the store.
    let again = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(data.join("masterkey")).unwrap(),
        key
    );
    again.terminate().await.unwrap();
}

#[tokio::test]
async fn a_second_start_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestServer::start(dir.path(), &[], &[]).await.unwrap();
    let (code, err) = run(dir.path(), &env(&[("RAMPART_PORT", "0")]), &["start"]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("is in use by another rampart process"),
        "{err}"
    );
    // The first one still serves.
    first.wait_ready(Duration::from_secs(5)).await.unwrap();
    first.terminate().await.unwrap();
}

#[tokio::test]
async fn a_different_masterkey_than_the_store_was_set_up_with_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key_a = env(&[("RAMPART_MASTERKEY", crate::support::TEST_MASTERKEY)]);
    TestServer::start(dir.path(), &key_a, &[])
        .await
        .unwrap()
        .terminate()
        .await
        .unwrap();
    let (code, err) = run(
        dir.path(),
        &env(&[
            ("RAMPART_PORT", "0"),
            ("RAMPART_MASTERKEY", crate::support::OTHER_MASTERKEY),
        ]),
        &["start"],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("masterkey does not match"), "{err}");
}

/// `rampart masterkey rotate` with `env`; returns (exit code, stdout).
async fn rotate(dir: &std::path::Path, env: &[(String, String)]) -> (i32, String) {
    let out = rampart_command(dir)
        .args(["masterkey", "rotate"])
        .envs(env.iter().cloned())
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn a_masterkey_rotation_re_seals_and_then_only_the_new_key_starts() {
    use crate::support::{OTHER_MASTERKEY as NEW, TEST_MASTERKEY as OLD};
    let dir = tempfile::tempdir().unwrap();
    // On the command line the key shows in `ps`: it works, with a warning.
    let first = TestServer::start(dir.path(), &[], &["--masterkey", OLD])
        .await
        .unwrap();
    let (_, log) = first.terminate().await.unwrap();
    assert!(log.contains("`ps` shows it"), "{log}");

    // Nodes given both keys serve during the rotation.
    let both = env(&[
        ("RAMPART_MASTERKEY", NEW),
        ("RAMPART_MASTERKEY_PREVIOUS", OLD),
    ]);
    let during = TestServer::start(dir.path(), &both, &[]).await.unwrap();
    let (_, log) = during.terminate().await.unwrap();
    assert!(log.contains("run `rampart masterkey rotate`"), "{log}");
    let new_only = env(&[("RAMPART_PORT", "0"), ("RAMPART_MASTERKEY", NEW)]);
    let (code, err) = run(dir.path(), &new_only, &["start"]).await;
    assert_ne!(code, 0, "the new key alone before the rotation");
    assert!(err.contains("masterkey does not match"), "{err}");

    let (code, out) = rotate(dir.path(), &both).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("re-sealed 1 secret(s)"), "{out}");
    let (code, out) = rotate(dir.path(), &both).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to do"), "{out}");

    TestServer::start(dir.path(), &new_only, &[])
        .await
        .unwrap()
        .terminate()
        .await
        .unwrap();
    let old_only = env(&[("RAMPART_PORT", "0"), ("RAMPART_MASTERKEY", OLD)]);
    let (code, err) = run(dir.path(), &old_only, &["start"]).await;
    assert_ne!(code, 0, "the old key after the rotation");
    assert!(err.contains("masterkey does not match"), "{err}");
}

#[tokio::test]
async fn a_human_chosen_masterkey_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let weak = "correcthorsecorrecthorsecorrecth";
    let (code, err) = run(dir.path(), &env(&[("RAMPART_MASTERKEY", weak)]), &["start"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("RAMPART_MASTERKEY has only"), "{err}");
    assert!(err.contains("looks human-chosen"), "{err}");
}

#[tokio::test]
async fn a_masterkey_of_the_wrong_length_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run(dir.path(), &[], &["start", "--masterkey", "too-short"]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("--masterkey is 9 bytes long; it must be exactly 32 bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_configuration_names_the_key_the_source_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "Database:\n  Postgres:\n    Hots: db\n").unwrap();
    let (code, err) = run(
        dir.path(),
        &[],
        &["--config", file.to_str().unwrap(), "start"],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("Database.Postgres.Hots"), "{err}");
    assert!(err.contains("bad.yaml"), "{err}");

    let (code, err) = run(dir.path(), &env(&[("RAMPART_PORT", "eighty")]), &["start"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("RAMPART_PORT"), "{err}");
    assert!(err.contains("Port"), "{err}");
}

#[tokio::test]
async fn configuration_files_come_from_rampart_config_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.yaml");
    std::fs::write(&file, "Prot: 1\n").unwrap();
    let (code, err) = run(
        dir.path(),
        &env(&[("RAMPART_CONFIG", file.to_str().unwrap())]),
        &["start"],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("unknown configuration key `Prot`"), "{err}");
    assert!(err.contains("did you mean `Port`?"), "{err}");
}

#[tokio::test]
async fn the_port_follows_rampart_port() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(
        dir.path(),
        &env(&[("RAMPART_PORT", &port.to_string())]),
        &[],
    )
    .await;
    // TestServer sets RAMPART_PORT=0 first; the explicit value overrides it.
    let server = server.unwrap();
    assert_eq!(server.url, format!("http://127.0.0.1:{port}"));
    server.terminate().await.unwrap();
}

#[tokio::test]
async fn postgres_without_a_masterkey_says_how_to_give_one() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let mut e = db.env();
    e.push(("RAMPART_PORT".into(), "0".into()));
    let (code, err) = run(dir.path(), &e, &["start"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("--masterkey-file"), "{err}");
    assert!(err.contains("RAMPART_MASTERKEY"), "{err}");
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(&[
        ("RAMPART_DATABASE_BACKEND", "postgres"),
        ("RAMPART_DATABASE_POSTGRES_HOST", "127.0.0.1"),
        ("RAMPART_DATABASE_POSTGRES_PORT", "1"),
        ("RAMPART_DATABASE_POSTGRES_CONNECTTIMEOUT", "2s"),
        ("RAMPART_MASTERKEY", crate::support::TEST_MASTERKEY),
    ]);
    let (code, err) = run(dir.path(), &e, &["setup"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("cannot connect to PostgreSQL at"), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
}

#[tokio::test]
async fn setup_is_idempotent_and_runs_while_a_postgres_node_serves() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let (code, err) = run(dir.path(), &[], &["setup"]).await;
        assert_eq!(code, 0, "{err}");
    }
    let db = TestDb::create().await;
    let mut e = db.env();
    e.push((
        "RAMPART_MASTERKEY".into(),
        crate::support::TEST_MASTERKEY.to_owned(),
    ));
    let node = TestServer::start(dir.path(), &e, &[]).await.unwrap();
    for _ in 0..2 {
        let (code, err) = run(dir.path(), &db.env(), &["setup"]).await;
        assert_eq!(code, 0, "{err}");
    }
    node.wait_ready(Duration::from_secs(5)).await.unwrap();
    let mut conn = db.connect().await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(applied >= 1);
    node.terminate().await.unwrap();
}
