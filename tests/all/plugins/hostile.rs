//! Hostile plugins are contained: each failure is a typed error naming the
//! plugin and hook, the runtime keeps serving, and the status shows it.

use std::time::{Duration, Instant};

use rampart::plugins::{PluginError, PluginRegistry, Verdict};

use super::{command, new_aggregate, registry_with};

/// The runtime with the `hostile` plugin in `mode` (and only it validating),
/// granted every capability it asks for.
fn hostile(mode: &str) -> (tempfile::TempDir, PluginRegistry) {
    let yaml = format!(
        "Shipped: false\nDeadline: 50ms\nMemoryLimit: 16MiB\nhostile:\n  Config: {{mode: {mode}}}\n  Grants: [log, config, clock]\n"
    );
    registry_with(&["hostile"], &yaml)
}

/// The runtime with the `modest` build of `hostile` in `mode`: it asks for
/// (and gets) the default grant, `config`, and neither `log` nor `clock`.
fn modest(mode: &str) -> (tempfile::TempDir, PluginRegistry) {
    let yaml = format!("Shipped: false\nhostile:\n  Config: {{mode: {mode}}}\n");
    registry_with(&["hostile-modest"], &yaml)
}

/// Calls the hostile validator once.
fn call(registry: &PluginRegistry) -> Result<Verdict, PluginError> {
    registry.validate_blocking(
        &command("user.human.add", serde_json::json!({})),
        &new_aggregate(),
    )
}

/// After a failure the runtime still serves: the shipped validators answer.
fn still_serves_after(error: &PluginError) {
    let (_dir, registry) = registry_with(&[], "");
    let good = command(
        "user.human.add",
        super::add_user("ada", "ada@example.com", Some("Sup3r-secret")),
    );
    assert_eq!(
        registry.validate_blocking(&good, &new_aggregate()).unwrap(),
        Verdict::Allowed,
        "after {error}"
    );
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let (_dir, registry) = hostile("loop");
    let started = Instant::now();
    let err = call(&registry).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, PluginError::DeadlineExceeded { ref plugin, hook: "validate", .. } if plugin == "hostile"),
        "{err}"
    );
    assert!(took < Duration::from_secs(2), "stopped after {took:?}");
    assert!(
        err.to_string().contains("exceeded its 50ms deadline"),
        "{err}"
    );
    // the next call gets a fresh instance and is stopped again, not wedged
    assert!(matches!(
        call(&registry).unwrap_err(),
        PluginError::DeadlineExceeded { .. }
    ));
    let stats = registry.stats("hostile");
    assert_eq!((stats.calls(), stats.errors()), (2, 2));
    assert!(stats.last_error().unwrap().1.contains("deadline"));
    still_serves_after(&err);
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let (_dir, registry) = hostile("memory-bomb");
    let err = call(&registry).unwrap_err();
    let PluginError::MemoryLimit {
        plugin,
        requested,
        limit,
        ..
    } = &err
    else {
        panic!("expected a memory-limit error, got {err}");
    };
    assert_eq!((plugin.as_str(), *limit), ("hostile", 16 << 20));
    assert!(*requested > *limit);
    still_serves_after(&err);
}

#[test]
fn a_panic_is_a_trap_that_quotes_the_panic_message() {
    let (_dir, registry) = hostile("panic");
    let err = call(&registry).unwrap_err();
    assert!(
        matches!(
            err,
            PluginError::Trap {
                hook: "validate",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("hostile panic"), "{err}");
    // a panicked instance is dropped: the next call fails the same way, cleanly
    assert!(
        call(&registry)
            .unwrap_err()
            .to_string()
            .contains("hostile panic")
    );
}

#[test]
fn an_unreachable_trap_names_the_plugin_and_hook() {
    let (_dir, registry) = hostile("trap");
    let err = call(&registry).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("plugin `hostile` failed in `validate`"),
        "{err}"
    );
    assert!(err.to_string().contains("unreachable"), "{err}");
}

#[test]
fn gigantic_output_is_refused() {
    let (_dir, registry) = hostile("huge-output");
    let err = call(&registry).unwrap_err();
    let PluginError::OutputTooLarge { size, limit, .. } = err else {
        panic!("expected output-too-large, got {err}");
    };
    assert!(
        size >= 8 << 20 && limit == 1 << 20,
        "size {size}, limit {limit}"
    );
}

#[test]
fn no_state_leaks_between_calls() {
    let (_dir, registry) = hostile("state-leak");
    for _ in 0..3 {
        let Verdict::Rejected { rejection, .. } = call(&registry).unwrap() else {
            panic!()
        };
        assert_eq!(
            rejection.message, "1",
            "each call must start from a fresh instance"
        );
    }
}

#[test]
fn wasi_gives_no_files_no_environment_and_no_network() {
    let (_dir, registry) = hostile("wasi-escape");
    let Verdict::Rejected { rejection, .. } = call(&registry).unwrap() else {
        panic!()
    };
    assert_eq!(rejection.message, "fs=denied file=denied env=0 net=denied");
}

#[test]
fn stdout_and_stderr_are_captured_not_fatal() {
    let (_dir, registry) = hostile("stdout");
    assert_eq!(call(&registry).unwrap(), Verdict::Allowed);
}

#[test]
fn the_clock_capability_reads_the_host_clock() {
    let (_dir, registry) = hostile("clock");
    let Verdict::Rejected { rejection, .. } = call(&registry).unwrap() else {
        panic!()
    };
    let seen: i64 = rejection.message.parse().expect("unix seconds");
    let now = chrono::Utc::now().timestamp();
    assert!((now - seen).abs() < 60, "plugin saw {seen}, host {now}");
}

#[test]
fn wasi_clocks_read_the_real_time_only_with_the_clock_grant() {
    let seconds = |registry: &PluginRegistry| -> i64 {
        let Verdict::Rejected { rejection, .. } = call(registry).unwrap() else {
            panic!("expected WASI_CLOCK")
        };
        assert_eq!(rejection.code, "WASI_CLOCK");
        rejection.message.parse().expect("unix seconds")
    };
    let (_dir, granted) = hostile("wasi-clock");
    let now = chrono::Utc::now().timestamp();
    assert!((now - seconds(&granted)).abs() < 60);
    let (_dir, modest) = modest("wasi-clock");
    assert_eq!(
        seconds(&modest),
        0,
        "without `clock`, WASI's clock is pinned to the epoch"
    );
}

#[test]
fn without_the_log_grant_stdio_reaches_neither_log_nor_errors() {
    // Printing is harmless (the output is discarded) ...
    let (_dir, registry) = modest("stdout");
    assert_eq!(call(&registry).unwrap(), Verdict::Allowed);
    // ... and a panic's message, printed to stderr, is not quoted in the error.
    let (_dir, registry) = modest("panic");
    let err = call(&registry).unwrap_err().to_string();
    assert!(
        err.starts_with("plugin `hostile` failed in `validate`"),
        "{err}"
    );
    assert!(!err.contains("hostile panic"), "{err}");
    // With the grant it is quoted (see a_panic_is_a_trap_that_quotes_the_panic_message).
}
