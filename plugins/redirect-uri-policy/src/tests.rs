//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{AddOidcApp, ChangeOidcApp, OidcConfig};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;
use serde_json::json;

use super::RedirectUriPolicy;

fn app(uris: &[&str], dev_mode: bool) -> OidcConfig {
    OidcConfig {
        redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
        dev_mode,
        ..OidcConfig::default()
    }
}

fn validate(harness: &Harness, config: OidcConfig) -> Result<(), Rejection> {
    let command = Command::from_payload(&AddOidcApp {
        name: "Web".into(),
        config,
    });
    harness.validate::<RedirectUriPolicy>(&command, &State::new())
}

fn code(harness: &Harness, config: OidcConfig) -> String {
    validate(harness, config)
        .expect_err("expected a rejection")
        .code
}

#[test]
fn given_defaults_when_uris_are_https_or_native_then_they_are_allowed() {
    let harness = Harness::new();
    let ok = app(
        &[
            "https://shop.example/cb",
            "com.example.app:/oauth",
            "https://a.b:8443/x?y=1",
        ],
        false,
    );
    assert_eq!(validate(&harness, ok), Ok(()));
}

#[test]
fn given_defaults_when_uris_are_http_then_only_development_mode_allows_them() {
    let harness = Harness::new();
    let http = || app(&["http://localhost:3000/cb"], false);
    assert_eq!(code(&harness, http()), "REDIRECT_URI_INSECURE");
    let message = validate(&harness, http()).unwrap_err().message;
    assert!(message.contains("development mode"), "{message}");
    assert_eq!(
        validate(&harness, app(&["http://localhost:3000/cb"], true)),
        Ok(())
    );
    let logout = OidcConfig {
        post_logout_redirect_uris: vec!["http://shop.example/bye".into()],
        ..app(&["https://shop.example/cb"], false)
    };
    assert_eq!(code(&harness, logout), "REDIRECT_URI_INSECURE");
}

#[test]
fn given_defaults_when_uris_are_dangerous_or_wildcards_then_they_are_refused() {
    let harness = Harness::new();
    assert_eq!(
        code(&harness, app(&["javascript:alert(1)"], true)),
        "REDIRECT_URI_SCHEME_NOT_ALLOWED"
    );
    assert_eq!(
        code(&harness, app(&["https://*.shop.example/cb"], false)),
        "REDIRECT_URI_HOST_NOT_ALLOWED"
    );
}

#[test]
fn given_a_config_when_it_narrows_hosts_and_schemes_then_it_is_applied_to_changes_too() {
    let harness = Harness::new().config(json!({
        "allowHttpLoopback": true,
        "allowCustomSchemes": false,
        "allowedHosts": ["shop.example"],
    }));
    assert_eq!(
        validate(
            &harness,
            app(
                &["https://api.shop.example/cb", "http://127.0.0.1:8080/cb"],
                false
            )
        ),
        Err(Rejection::new(
            "REDIRECT_URI_HOST_NOT_ALLOWED",
            "the redirect URI \"http://127.0.0.1:8080/cb\" points to a host that is not in allowedHosts"
        ))
    );
    assert_eq!(
        code(&harness, app(&["com.example.app:/cb"], false)),
        "REDIRECT_URI_SCHEME_NOT_ALLOWED"
    );
    assert_eq!(
        code(&harness, app(&["https://evil.example/cb"], false)),
        "REDIRECT_URI_HOST_NOT_ALLOWED"
    );
    let change = Command::from_payload(&ChangeOidcApp {
        app_id: "a-1".into(),
        config: app(&["https://evil.example/cb"], false),
    });
    let verdict = harness.validate::<RedirectUriPolicy>(&change, &State::new());
    assert_eq!(verdict.unwrap_err().code, "REDIRECT_URI_HOST_NOT_ALLOWED");
}
