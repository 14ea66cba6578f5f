//! Hot reload: new, changed, broken and removed files, by explicit reload and
//! through the directory watcher.

use std::path::Path;
use std::time::{Duration, Instant};

use rampart::plugins::{PluginRegistry, PluginSource, Verdict};

use super::{command, new_aggregate, registry_with, test_plugin};

/// The rejection code the `toggle` plugin answers with.
fn toggle_code(registry: &PluginRegistry) -> String {
    match registry
        .validate_blocking(
            &command("anything", serde_json::json!({})),
            &new_aggregate(),
        )
        .unwrap()
    {
        Verdict::Rejected { rejection, .. } => rejection.code,
        Verdict::Allowed => "allowed".to_owned(),
    }
}

/// Replaces `dest` atomically with `source`'s bytes.
fn install(source: &Path, dest: &Path) {
    let tmp = dest.with_extension("tmp");
    std::fs::copy(source, &tmp).unwrap();
    std::fs::rename(&tmp, dest).unwrap();
}

#[test]
fn reload_swaps_versions_keeps_the_old_one_on_a_bad_file_and_unloads_on_removal() {
    // given: version 1 serving
    let (dir, registry) = registry_with(&["toggle"], "Shipped: false\n");
    let file = dir.path().join("plugins/toggle.wasm");
    assert_eq!(toggle_code(&registry), "TOGGLE_V1");
    let v1 = registry.get("toggle").unwrap();

    // when: version 2 replaces the file
    install(&test_plugin("toggle-v2"), &file);
    let report = registry.reload();
    // then
    assert_eq!(report.replaced, ["toggle@2.0.0"]);
    assert_eq!(toggle_code(&registry), "TOGGLE_V2");
    // a call holding the old version still completes on it
    assert_eq!(v1.manifest.version, "1.0.0");
    assert!(
        v1.validate(&command("x", serde_json::json!({})), &new_aggregate())
            .unwrap()
            .is_err()
    );

    // when: the file is overwritten with garbage
    std::fs::write(&file, b"not wasm at all").unwrap();
    let report = registry.reload();
    // then: version 2 keeps serving and the failure says so
    assert_eq!(report.failed.len(), 1);
    assert_eq!(
        report.failed[0].still_serving.as_deref(),
        Some("toggle@2.0.0")
    );
    assert_eq!(toggle_code(&registry), "TOGGLE_V2");

    // when: the file is removed
    std::fs::remove_file(&file).unwrap();
    let report = registry.reload();
    // then
    assert_eq!(report.unloaded, ["toggle"]);
    assert!(registry.catalog().plugins.is_empty());
    assert!(registry.catalog().failures.is_empty());
}

#[test]
fn a_file_overrides_the_shipped_plugin_of_the_same_name_until_removed() {
    // given: the shipped password policy serving
    let (dir, registry) = registry_with(&[], "");
    let shipped = Path::new(env!("OUT_DIR")).join("plugins/password-policy.wasm");
    assert!(matches!(
        registry.get("password-policy").unwrap().source,
        PluginSource::Shipped(_)
    ));
    // when: a file of the same plugin is dropped in
    let file = dir.path().join("plugins/my-password-policy.wasm");
    std::fs::copy(&shipped, &file).unwrap();
    registry.reload();
    // then: the file's version serves
    assert_eq!(
        registry.get("password-policy").unwrap().source,
        PluginSource::File(file.clone())
    );
    // when: it is removed, the shipped one is back
    std::fs::remove_file(&file).unwrap();
    let report = registry.reload();
    assert_eq!(report.replaced, ["password-policy@0.1.0"]);
    assert!(matches!(
        registry.get("password-policy").unwrap().source,
        PluginSource::Shipped(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_picks_up_a_dropped_file_without_a_reload_call() {
    // given: a watched, empty directory
    let (dir, registry) = registry_with(&[], "Shipped: false\n");
    let registry = std::sync::Arc::new(registry);
    let _watch = registry
        .clone()
        .watch()
        .expect("watch the plugin directory");
    // when: a plugin is dropped in
    install(
        &test_plugin("toggle"),
        &dir.path().join("plugins/toggle.wasm"),
    );
    // then: it serves within a few seconds
    let started = Instant::now();
    while registry.get("toggle").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "watcher never loaded the plugin"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(toggle_code(&registry), "TOGGLE_V1");
    // and a removal unloads it
    std::fs::remove_file(dir.path().join("plugins/toggle.wasm")).unwrap();
    while registry.get("toggle").is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "watcher never unloaded the plugin"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
