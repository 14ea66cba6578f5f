//! Given/when/then tests of the application commands.

use rampart_plugin_sdk::catalogue::{
    AddApiApp, AddOidcApp, ApiConfig, AppAdded, AppRef, AppSecretChanged, ChangeApp, ChangeOidcApp,
    ClientAuthMethod, GrantType, OidcConfig, ProjectAdded, ResponseType,
};

use super::AGGREGATE_TYPE;
use super::app::{AppAction, AppCommand};
use crate::auth::token::digest;
use crate::command::testing::fixtures::{instance_added, org_added};
use crate::command::testing::{Given, aggregate, event, expected, given};
use crate::eventstore::NewEvent;

/// A web application: code flow with a secret, one redirect URI.
fn web() -> OidcConfig {
    OidcConfig {
        redirect_uris: vec![" https://shop.example/cb ".into()],
        auth_method: ClientAuthMethod::ClientSecretBasic,
        ..OidcConfig::default()
    }
}

/// `web()` as stored: trimmed, with the defaults filled in.
fn web_stored() -> OidcConfig {
    OidcConfig {
        redirect_uris: vec!["https://shop.example/cb".into()],
        response_types: vec![ResponseType::Code],
        grant_types: vec![GrantType::AuthorizationCode],
        access_token_lifetime_secs: 3600,
        id_token_lifetime_secs: 3600,
        refresh_token_lifetime_secs: 30 * 24 * 3600,
        ..web()
    }
}

/// Project p-1 of org-1 and `more` events of it.
fn project(more: Vec<NewEvent>) -> Given {
    let mut history = instance_added("localhost");
    history.extend(org_added("org-1", "ACME", "acme.example"));
    let p = aggregate(AGGREGATE_TYPE, "p-1");
    history.push(event(
        &p,
        &ProjectAdded {
            org_id: "org-1".into(),
            name: "Shop".into(),
            ..ProjectAdded::default()
        },
    ));
    history.extend(more.into_iter().map(|e| (p.clone(), e)));
    given(history)
}

/// App a-1 "Web" with `config` and, if it uses one, secret hash "h".
fn app_added(config: OidcConfig) -> Vec<NewEvent> {
    let mut events = vec![expected(&AppAdded {
        app_id: "a-1".into(),
        name: "Web".into(),
        client_id: "a-1@p-1".into(),
        oidc: Some(config.clone()),
        api: None,
    })];
    if config.auth_method.uses_secret() {
        events.push(expected(&AppSecretChanged {
            app_id: "a-1".into(),
            secret_hash: Some("h".into()),
        }));
    }
    events
}

fn cmd(action: AppAction) -> AppCommand {
    AppCommand::new("p-1", "a-1".into(), action).unwrap()
}

fn add_web(config: OidcConfig) -> AppCommand {
    cmd(AppAction::AddOidc(AddOidcApp {
        name: " Web ".into(),
        config,
    }))
}

fn refused(action: AppAction) -> String {
    AppCommand::new("p-1", "a-1".into(), action)
        .unwrap_err()
        .to_string()
}

#[tokio::test]
async fn given_a_project_when_a_confidential_web_app_is_added_then_its_secret_hash_is_stored() {
    let command = add_web(web());
    let secret_hash = digest(&command.secret_plain_for_tests());
    project(vec![]).when(command).await.then(vec![
        expected(&AppAdded {
            app_id: "a-1".into(),
            name: "Web".into(),
            client_id: "a-1@p-1".into(),
            oidc: Some(web_stored()),
            api: None,
        }),
        expected(&AppSecretChanged {
            app_id: "a-1".into(),
            secret_hash: Some(secret_hash),
        }),
    ]);
}

#[tokio::test]
async fn given_a_project_when_a_public_app_is_added_then_it_has_no_secret() {
    let public = OidcConfig {
        auth_method: ClientAuthMethod::None,
        ..web()
    };
    let decision = project(vec![]).when(add_web(public)).await.decision();
    assert_eq!(decision.events.len(), 1, "{decision:?}");
}

#[test]
fn given_settings_that_do_not_fit_together_when_adding_then_each_is_refused_by_its_rule() {
    let oidc = |config: OidcConfig| {
        refused(AppAction::AddOidc(AddOidcApp {
            name: "Web".into(),
            config,
        }))
    };
    let no_redirect = oidc(OidcConfig {
        redirect_uris: vec![],
        ..web()
    });
    assert!(
        no_redirect.contains("at least one redirect URI"),
        "{no_redirect}"
    );
    let relative = oidc(OidcConfig {
        redirect_uris: vec!["/cb".into()],
        ..web()
    });
    assert!(relative.contains("not an absolute URI"), "{relative}");
    let fragment = oidc(OidcConfig {
        redirect_uris: vec!["https://shop.example/cb#x".into()],
        ..web()
    });
    assert!(fragment.contains("fragment"), "{fragment}");
    let implicit_secret = oidc(OidcConfig {
        grant_types: vec![GrantType::Implicit],
        response_types: vec![ResponseType::IdToken],
        ..web()
    });
    assert!(
        implicit_secret.contains("must be none"),
        "{implicit_secret}"
    );
    let mismatched = oidc(OidcConfig {
        grant_types: vec![GrantType::AuthorizationCode],
        response_types: vec![ResponseType::IdToken],
        ..web()
    });
    assert!(mismatched.contains("response type code"), "{mismatched}");
    let refresh_alone = oidc(OidcConfig {
        grant_types: vec![GrantType::Implicit, GrantType::RefreshToken],
        response_types: vec![ResponseType::IdTokenToken],
        auth_method: ClientAuthMethod::None,
        ..web()
    });
    assert!(
        refresh_alone.contains("refresh_token needs"),
        "{refresh_alone}"
    );
    let forever = oidc(OidcConfig {
        access_token_lifetime_secs: 7 * 24 * 3600,
        ..web()
    });
    assert!(forever.contains("at most 86400 seconds"), "{forever}");
    let api_post = refused(AppAction::AddApi(AddApiApp {
        name: "API".into(),
        config: ApiConfig {
            auth_method: ClientAuthMethod::ClientSecretPost,
        },
    }));
    assert!(api_post.contains("not client_secret_post"), "{api_post}");
}

#[tokio::test]
async fn given_an_app_when_another_takes_its_name_then_it_is_refused() {
    project(app_added(web_stored()))
        .when(add_web(web()))
        .await
        .then_error("ALREADY_EXISTS", "already has an application named \"Web\"");
    let rename = cmd(AppAction::Rename(ChangeApp {
        app_id: "a-1".into(),
        name: "WEB".into(),
    }));
    project(app_added(web_stored()))
        .when(rename)
        .await
        .then(vec![expected(&rampart_plugin_sdk::catalogue::AppChanged {
            app_id: "a-1".into(),
            name: "WEB".into(),
        })]);
}

#[tokio::test]
async fn given_a_public_app_when_it_becomes_confidential_then_it_gets_a_secret_and_back() {
    let public = OidcConfig {
        auth_method: ClientAuthMethod::None,
        ..web_stored()
    };
    let to_secret = cmd(AppAction::ChangeOidc(ChangeOidcApp {
        app_id: "a-1".into(),
        config: web(),
    }));
    let decision = project(app_added(public.clone()))
        .when(to_secret)
        .await
        .decision();
    assert_eq!(decision.events.len(), 2, "config, then the new secret");
    assert_eq!(
        decision.events[1].event_type,
        "project.application.secret.changed"
    );
    let to_public = cmd(AppAction::ChangeOidc(ChangeOidcApp {
        app_id: "a-1".into(),
        config: public,
    }));
    let decision = project(app_added(web_stored()))
        .when(to_public)
        .await
        .decision();
    assert_eq!(
        decision.events[1],
        expected(&AppSecretChanged {
            app_id: "a-1".into(),
            secret_hash: None,
        })
    );
}

#[tokio::test]
async fn given_apps_when_secrets_are_regenerated_then_only_secret_apps_get_one() {
    let regenerate = || {
        cmd(AppAction::RegenerateSecret(AppRef {
            app_id: "a-1".into(),
        }))
    };
    let command = regenerate();
    let hash = digest(&command.secret_plain_for_tests());
    project(app_added(web_stored()))
        .when(command)
        .await
        .then(vec![expected(&AppSecretChanged {
            app_id: "a-1".into(),
            secret_hash: Some(hash),
        })]);
    let public = OidcConfig {
        auth_method: ClientAuthMethod::None,
        ..web_stored()
    };
    project(app_added(public))
        .when(regenerate())
        .await
        .then_error(
            "FAILED_PRECONDITION",
            "does not authenticate with a client secret",
        );
    project(vec![])
        .when(regenerate())
        .await
        .then_error("NOT_FOUND", "application a-1");
}
