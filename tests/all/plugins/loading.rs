//! Components that must not load are refused with a reason, and never
//! disturb what is serving.

use rampart::plugins::PluginRegistry;

use super::registry_with;

/// The single load failure of `registry`.
fn only_failure(registry: &PluginRegistry) -> String {
    let failures = &registry.catalog().failures;
    assert_eq!(failures.len(), 1, "{failures:?}");
    failures[0].error.clone()
}

#[test]
fn corrupt_bytes_are_refused_as_not_a_component() {
    let (dir, _) = registry_with(&[], "Shipped: false\n");
    let plugins = dir.path().join("plugins");
    std::fs::write(plugins.join("corrupt.wasm"), b"\0asm\x0d\0\x01\0garbage").unwrap();
    let config = super::plugins_config(dir.path(), "Shipped: false\n");
    let registry = PluginRegistry::start(config).unwrap();
    let error = only_failure(&registry);
    assert!(
        error.contains("corrupt.wasm is not a valid WebAssembly component"),
        "{error}"
    );
    assert!(registry.catalog().plugins.is_empty());
}

#[test]
fn a_component_of_another_world_is_refused() {
    let (_dir, registry) = registry_with(&["alien"], "Shipped: false\n");
    let error = only_failure(&registry);
    assert!(
        error.contains("implements none of Rampart's plugin worlds"),
        "{error}"
    );
    assert!(error.contains("wasi:cli/run"), "{error}");
}

#[test]
fn a_plugin_asking_for_an_unknown_capability_is_refused() {
    let (_dir, registry) = registry_with(&["greedy"], "Shipped: false\n");
    let error = only_failure(&registry);
    assert!(
        error.contains("capability `network`, which Rampart does not offer"),
        "{error}"
    );
    assert!(registry.get("greedy").is_none());
}

#[test]
fn a_disabled_plugin_loads_but_does_not_serve() {
    let (_dir, registry) =
        registry_with(&["toggle"], "Shipped: false\ntoggle:\n  Enabled: false\n");
    let catalog = registry.catalog();
    assert!(catalog.plugins.is_empty());
    assert_eq!(catalog.disabled, ["toggle"]);
}

#[test]
fn two_files_claiming_one_name_keep_the_first() {
    let (dir, _) = registry_with(&[], "Shipped: false\n");
    let plugins = dir.path().join("plugins");
    std::fs::copy(super::test_plugin("toggle"), plugins.join("a.wasm")).unwrap();
    std::fs::copy(super::test_plugin("toggle-v2"), plugins.join("b.wasm")).unwrap();
    let registry =
        PluginRegistry::start(super::plugins_config(dir.path(), "Shipped: false\n")).unwrap();
    assert_eq!(registry.get("toggle").unwrap().manifest.version, "1.0.0");
    assert!(only_failure(&registry).contains("already provided by"));
}

#[test]
fn a_plugin_asking_for_an_ungranted_capability_is_refused() {
    // given: the manifest asks for log, config and clock; clock is not granted
    let yaml = "Shipped: false\nhostile:\n  Config: {mode: clock}\n  Grants: [log, config]\n";
    let (_dir, registry) = registry_with(&["hostile"], yaml);
    // then: the plugin is not serving and the failure names the grant
    assert!(registry.get("hostile").is_none());
    let failures = &registry.catalog().failures;
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0]
            .error
            .contains("capability `clock`, which is not granted"),
        "{}",
        failures[0].error
    );
    assert!(failures[0].error.contains("Plugins.hostile.Grants"));
}

#[test]
fn an_import_free_component_from_wasm32_unknown_unknown_loads_and_runs() {
    // given: toggle built as a core module and wrapped by wit-component (no WASI imports)
    let (_dir, registry) = registry_with(&["toggle-bare"], "Shipped: false\n");
    // then: it serves and answers like the wasip2 build
    let plugin = registry.get("toggle").expect("import-free component loads");
    let verdict = plugin
        .validate(
            &super::command("x", serde_json::json!({})),
            &super::new_aggregate(),
        )
        .unwrap();
    assert_eq!(verdict.unwrap_err().code, "TOGGLE_V1");
}
