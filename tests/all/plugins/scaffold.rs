//! `rampart plugin new`: the crate it writes passes its own test natively,
//! builds with the standard wasm32-wasip2 command, and loads into the runtime.

use std::path::{Path, PathBuf};
use std::process::Command;

use rampart::plugins::types::{Datetime, Event, LoginContext, Position};
use rampart::plugins::{PluginRegistry, Verdict};

use super::{add_user, command, new_aggregate, plugins_config};

/// The workspace this test suite belongs to.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo <args>` in `dir`, with the workspace's lock file (so no network and
/// no new versions) and a shared target directory (so dependencies compile once).
fn cargo(dir: &Path, target_dir: &str, args: &[&str]) {
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target").join(target_dir),
        )
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        dir.display()
    );
}

/// Runs `rampart plugin new` and builds the component; returns its path.
fn scaffold(root: &Path, name: &str, world: &str) -> PathBuf {
    let dir = root.join(name);
    let output = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["plugin", "new", name, "--world", world, "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    cargo(
        &dir,
        "wasm-plugins",
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    workspace()
        .join("target/wasm-plugins/wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")))
}

#[test]
fn new_plugins_of_every_world_test_build_and_load() {
    let root = tempfile::tempdir().unwrap();
    let validator = scaffold(root.path(), "reserved-names", "validator");
    let projection = scaffold(root.path(), "org-names", "projection");
    let login_flow = scaffold(root.path(), "tenant-claim", "login-flow");
    // the generated test passes natively
    cargo(
        &root.path().join("reserved-names"),
        "scaffold-native",
        &["test", "--quiet"],
    );

    // the three components load and work
    let config = plugins_config(root.path(), "Shipped: false\n");
    std::fs::create_dir_all(&config.dir).unwrap();
    for (component, file) in [
        (&validator, "v.wasm"),
        (&projection, "p.wasm"),
        (&login_flow, "l.wasm"),
    ] {
        std::fs::copy(component, config.dir.join(file)).unwrap();
    }
    let registry = PluginRegistry::start(config).unwrap();
    assert!(
        registry.catalog().failures.is_empty(),
        "{:?}",
        registry.catalog().failures
    );
    let admin = command("user.human.add", add_user("admin", "a@example.com", None));
    let Verdict::Rejected { rejection, .. } = registry
        .validate_blocking(&admin, &new_aggregate())
        .unwrap()
    else {
        panic!("`admin` is reserved by the generated validator");
    };
    assert_eq!(rejection.code, "USERNAME_RESERVED");
    let event = Event {
        instance_id: "i".into(),
        aggregate_type: "org".into(),
        aggregate_id: "org-1".into(),
        sequence: 1,
        position: Position {
            transaction: 1,
            index: 0,
        },
        event_type: "org.added".into(),
        revision: 1,
        creator: "c".into(),
        created_at: Datetime {
            seconds: 0,
            nanoseconds: 0,
        },
        payload: r#"{"name":"ACME"}"#.into(),
    };
    let statements = registry
        .get("org-names")
        .unwrap()
        .project(&event)
        .unwrap()
        .unwrap();
    assert_eq!(statements.len(), 1);
    // Multi-tenant-safe: the generated projection keys rows by instance too.
    let upsert = format!("{:?}", statements[0]);
    assert!(upsert.contains("instance_id"), "{upsert}");
    let login = LoginContext {
        instance_id: "acme".into(),
        org_id: None,
        user_id: None,
        login_name: "ada".into(),
        client_id: None,
        remote_addr: None,
        user_agent: None,
        auth_methods: Vec::new(),
        requested_scopes: Vec::new(),
        roles: Vec::new(),
        metadata: Vec::new(),
    };
    let claims = registry
        .get("tenant-claim")
        .unwrap()
        .complement_claims(&login, &[])
        .unwrap();
    assert_eq!(claims[0].name, "tenant");
}
