//! The authorization reads (members, personal access tokens) against a
//! real SQLite store in a temporary directory, written through the command
//! side: every read sees the write before it, with no projection involved.

use std::sync::Arc;

use chrono::{Duration, Utc};
use rampart_plugin_sdk::catalogue::{
    AddHumanUser, AddMachineUser, AddOrg, AddProject, Email, Profile,
};

use super::clients::client;
use super::credentials::{pat_owner, personal_access_tokens};
use super::members::{instance_members, memberships, org_members, project_members};
use crate::command::{CommandContext, Commands};
use crate::eventstore::EventStore;

/// A store with an instance, org ACME, human "ada" and machine "ci-bot".
pub(super) struct Fixture {
    pub(super) commands: Commands,
    store: Arc<dyn EventStore>,
    pub(super) ctx: CommandContext,
    pub(super) org: String,
    pub(super) ada: String,
    pub(super) bot: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub(super) fn store(&self) -> &dyn EventStore {
        self.store.as_ref()
    }

    pub(super) fn instance(&self) -> &str {
        &self.ctx.instance_id
    }

    async fn org(&self, name: &str) -> String {
        let org = AddOrg {
            name: name.into(),
            domain: None,
        };
        let written = self.commands.add_org(&self.ctx, org).await.expect("org");
        written.aggregate.aggregate_id
    }
}

pub(super) async fn fixture() -> Fixture {
    let (commands, store, dir) =
        crate::command::testing::sqlite_commands(crate::command::testing::no_plugins()).await;
    let instance = commands
        .add_instance("system", "Rampart", &["localhost".into()])
        .await
        .expect("instance");
    let ctx = CommandContext::new(instance.aggregate.instance_id, "admin-1");
    let org = AddOrg {
        name: "ACME".into(),
        domain: None,
    };
    let org = commands.add_org(&ctx, org).await.expect("org");
    let org = org.aggregate.aggregate_id;
    let human = AddHumanUser {
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            ..Profile::default()
        },
        email: Email {
            address: "ada@acme.example".into(),
            verified: true,
        },
        password: None,
    };
    let ada = commands
        .add_human_user(&ctx, &org, human)
        .await
        .expect("ada")
        .aggregate
        .aggregate_id;
    let machine = AddMachineUser {
        username: "ci-bot".into(),
        name: "CI".into(),
        description: None,
        ..AddMachineUser::default()
    };
    let bot = commands
        .add_machine_user(&ctx, &org, machine)
        .await
        .expect("bot")
        .aggregate
        .aggregate_id;
    Fixture {
        commands,
        store,
        ctx,
        org,
        ada,
        bot,
        _dir: dir,
    }
}

fn roles(roles: &[&str]) -> Vec<String> {
    roles.iter().map(|r| (*r).to_owned()).collect()
}

#[tokio::test]
async fn given_members_when_memberships_are_read_then_each_write_shows_at_once() {
    let f = fixture().await;
    let c = &f.commands;
    assert!(
        memberships(f.store(), f.instance(), &f.ada)
            .await
            .unwrap()
            .is_empty()
    );
    c.add_instance_member(&f.ctx, &f.ada, roles(&["IAM_OWNER"]))
        .await
        .unwrap();
    c.add_org_member(&f.ctx, &f.org, &f.ada, roles(&["ORG_OWNER"]))
        .await
        .unwrap();
    let globex = f.org("Globex").await;
    c.add_org_member(&f.ctx, &globex, &f.ada, roles(&["ORG_USER_MANAGER"]))
        .await
        .unwrap();
    c.add_org_member(&f.ctx, &globex, &f.bot, roles(&["ORG_OWNER"]))
        .await
        .unwrap();
    let read = memberships(f.store(), f.instance(), &f.ada).await.unwrap();
    assert_eq!(read.instance_roles, roles(&["IAM_OWNER"]));
    assert_eq!(read.org_roles.into_iter().collect::<Vec<_>>(), {
        let mut expected = vec![
            (f.org.clone(), roles(&["ORG_OWNER"])),
            (globex.clone(), roles(&["ORG_USER_MANAGER"])),
        ];
        expected.sort();
        expected
    });

    c.change_instance_member(&f.ctx, &f.ada, roles(&["IAM_AUDITOR"]))
        .await
        .unwrap();
    c.remove_org_member(&f.ctx, &f.org, &f.ada).await.unwrap();
    c.remove_org(&f.ctx, &globex).await.unwrap();
    let read = memberships(f.store(), f.instance(), &f.ada).await.unwrap();
    assert_eq!(read.instance_roles, roles(&["IAM_AUDITOR"]));
    assert!(read.org_roles.is_empty(), "{read:?}");

    // Another instance's members are not this one's.
    let other = c
        .add_instance("system", "Other", &["other.example".into()])
        .await
        .unwrap();
    let read = memberships(f.store(), &other.aggregate.instance_id, &f.ada)
        .await
        .unwrap();
    assert!(read.is_empty());
}

#[tokio::test]
async fn given_members_when_listed_then_roles_times_and_removed_users_follow() {
    let f = fixture().await;
    let c = &f.commands;
    assert!(
        instance_members(f.store(), f.instance())
            .await
            .unwrap()
            .is_empty()
    );
    c.add_instance_member(&f.ctx, &f.ada, roles(&["IAM_OWNER"]))
        .await
        .unwrap();
    c.add_instance_member(&f.ctx, &f.bot, roles(&["IAM_LOGIN_CLIENT"]))
        .await
        .unwrap();
    let changed = c
        .change_instance_member(&f.ctx, &f.bot, roles(&["IAM_AUDITOR", "IAM_LOGIN_CLIENT"]))
        .await
        .unwrap();
    let members = instance_members(f.store(), f.instance()).await.unwrap();
    assert_eq!(members.len(), 2);
    let bot = members.iter().find(|m| m.user_id == f.bot).unwrap();
    assert_eq!(bot.roles, roles(&["IAM_AUDITOR", "IAM_LOGIN_CLIENT"]));
    assert_eq!(bot.changed_at, changed.created_at);
    assert!(bot.added_at <= bot.changed_at);

    c.remove_user(&f.ctx, &f.bot).await.unwrap();
    let members = instance_members(f.store(), f.instance()).await.unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| m.user_id.as_str())
            .collect::<Vec<_>>(),
        [f.ada.as_str()]
    );
    assert!(
        memberships(f.store(), f.instance(), &f.bot)
            .await
            .unwrap()
            .is_empty()
    );

    c.add_org_member(&f.ctx, &f.org, &f.ada, roles(&["ORG_OWNER"]))
        .await
        .unwrap();
    let members = org_members(f.store(), f.instance(), &f.org).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user_id.as_str(), &members[0].roles),
        (f.ada.as_str(), &roles(&["ORG_OWNER"]))
    );
    assert!(
        org_members(f.store(), f.instance(), "no-such-org")
            .await
            .unwrap()
            .is_empty()
    );
    c.remove_org(&f.ctx, &f.org).await.unwrap();
    assert!(
        org_members(f.store(), f.instance(), &f.org)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn given_project_members_when_read_then_removed_users_projects_and_orgs_take_them_away() {
    let f = fixture().await;
    let c = &f.commands;
    let project = |name: &str| AddProject {
        name: name.into(),
        ..AddProject::default()
    };
    let shop = c
        .add_project(&f.ctx, &f.org, project("Shop"))
        .await
        .unwrap();
    let shop = shop.aggregate.aggregate_id;
    let blog = c
        .add_project(&f.ctx, &f.org, project("Blog"))
        .await
        .unwrap();
    let blog = blog.aggregate.aggregate_id;
    c.add_project_member(&f.ctx, &shop, &f.ada, roles(&["PROJECT_OWNER"]))
        .await
        .unwrap();
    c.add_project_member(&f.ctx, &shop, &f.bot, roles(&["PROJECT_VIEWER"]))
        .await
        .unwrap();
    c.add_project_member(&f.ctx, &blog, &f.ada, roles(&["PROJECT_VIEWER"]))
        .await
        .unwrap();
    let read = memberships(f.store(), f.instance(), &f.ada).await.unwrap();
    assert!(read.instance_roles.is_empty() && read.org_roles.is_empty());
    assert_eq!(read.project_roles.len(), 2, "{read:?}");
    assert_eq!(read.project_roles[&shop], roles(&["PROJECT_OWNER"]));
    assert_eq!(
        project_members(f.store(), f.instance(), &shop)
            .await
            .unwrap()
            .len(),
        2
    );

    c.remove_user(&f.ctx, &f.bot).await.unwrap();
    let members = project_members(f.store(), f.instance(), &shop)
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_id, f.ada);
    c.remove_project(&f.ctx, &blog).await.unwrap();
    assert!(
        project_members(f.store(), f.instance(), &blog)
            .await
            .unwrap()
            .is_empty()
    );
    let read = memberships(f.store(), f.instance(), &f.ada).await.unwrap();
    assert_eq!(read.project_roles.keys().collect::<Vec<_>>(), [&shop]);
    // An organization's removal removes its projects, and so their members.
    c.remove_org(&f.ctx, &f.org).await.unwrap();
    assert!(
        memberships(f.store(), f.instance(), &f.ada)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn given_pats_when_read_then_listed_without_hashes_and_owned_until_removed() {
    let f = fixture().await;
    let c = &f.commands;
    assert_eq!(
        personal_access_tokens(f.store(), f.instance(), &f.bot)
            .await
            .unwrap(),
        Some(vec![])
    );
    let expires_at = Utc::now() + Duration::days(30);
    let first = c
        .add_personal_access_token(&f.ctx, &f.bot, "tok-1", "hash-1", expires_at)
        .await
        .unwrap();
    c.add_personal_access_token(&f.ctx, &f.bot, "tok-2", "hash-2", expires_at)
        .await
        .unwrap();
    let listed = personal_access_tokens(f.store(), f.instance(), &f.bot)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|p| p.token_id.as_str())
            .collect::<Vec<_>>(),
        ["tok-1", "tok-2"]
    );
    assert_eq!(listed[0].created_at, first.created_at);
    assert_eq!(listed[0].expires_at, expires_at);
    assert!(!serde_json::to_string(&listed).unwrap().contains("hash-"));

    let owner = pat_owner(f.store(), f.instance(), &f.bot, "tok-1")
        .await
        .unwrap()
        .expect("the token's owner");
    assert_eq!(
        (
            owner.user_id.as_str(),
            owner.org_id.as_str(),
            owner.username.as_str()
        ),
        (f.bot.as_str(), f.org.as_str(), "ci-bot")
    );
    assert!(owner.active && owner.machine);
    assert_eq!(owner.token_hash, "hash-1");
    assert!(!format!("{owner:?}").contains("hash-1"));
    assert!(
        pat_owner(f.store(), f.instance(), &f.bot, "tok-9")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        pat_owner(f.store(), f.instance(), &f.ada, "tok-1")
            .await
            .unwrap()
            .is_none()
    );

    c.lock_user(&f.ctx, &f.bot).await.unwrap();
    let owner = pat_owner(f.store(), f.instance(), &f.bot, "tok-1")
        .await
        .unwrap()
        .unwrap();
    assert!(!owner.active);

    c.remove_personal_access_token(&f.ctx, &f.bot, "tok-1")
        .await
        .unwrap();
    assert!(
        pat_owner(f.store(), f.instance(), &f.bot, "tok-1")
            .await
            .unwrap()
            .is_none()
    );
    let listed = personal_access_tokens(f.store(), f.instance(), &f.bot)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(listed.len(), 1);

    c.remove_user(&f.ctx, &f.bot).await.unwrap();
    assert!(
        pat_owner(f.store(), f.instance(), &f.bot, "tok-2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        personal_access_tokens(f.store(), f.instance(), &f.bot)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        personal_access_tokens(f.store(), f.instance(), "no-such-user")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn given_a_machine_user_when_a_human_takes_its_username_then_already_exists() {
    let f = fixture().await;
    let human = AddHumanUser {
        username: " CI-Bot ".into(),
        profile: Profile {
            given_name: "C".into(),
            family_name: "I".into(),
            ..Profile::default()
        },
        email: Email {
            address: "ci@acme.example".into(),
            verified: false,
        },
        password: None,
    };
    let err = f
        .commands
        .add_human_user(&f.ctx, &f.org, human)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err}");
    let machine = AddMachineUser {
        username: "ADA".into(),
        name: "Ada bot".into(),
        description: None,
        ..AddMachineUser::default()
    };
    let err = f
        .commands
        .add_machine_user(&f.ctx, &f.org, machine)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the username ada is already taken");
}

#[tokio::test]
async fn given_an_app_when_its_secret_is_regenerated_then_only_the_new_one_authenticates_at_once() {
    use rampart_plugin_sdk::catalogue::{AddOidcApp, AddProject, AppRef, OidcConfig};

    use crate::command::AppAction;

    let f = fixture().await;
    let project = AddProject {
        name: "Shop".into(),
        ..AddProject::default()
    };
    let project = f
        .commands
        .add_project(&f.ctx, &f.org, project)
        .await
        .unwrap();
    let project_id = project.aggregate.aggregate_id;
    let add = AppAction::AddOidc(AddOidcApp {
        name: "Web".into(),
        config: OidcConfig {
            redirect_uris: vec!["https://shop.example/cb".into()],
            ..OidcConfig::default()
        },
    });
    let added = f
        .commands
        .project_app(&f.ctx, &project_id, add)
        .await
        .unwrap();
    let first = added
        .client_secret
        .expect("a confidential app gets a secret");
    assert_eq!(added.client_id, format!("{}@{project_id}", added.app_id));
    let found = client(f.store(), f.instance(), &added.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(found.active && found.oidc.is_some());
    assert!(found.verify_secret(&first));
    assert!(!found.verify_secret("not-the-secret"));
    assert!(!format!("{found:?}").contains(&crate::auth::token::digest(&first)));

    let rotate = AppAction::RegenerateSecret(AppRef {
        app_id: added.app_id.clone(),
    });
    let rotated = f
        .commands
        .project_app(&f.ctx, &project_id, rotate)
        .await
        .unwrap();
    let second = rotated.client_secret.expect("a new secret");
    let found = client(f.store(), f.instance(), &added.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(found.verify_secret(&second));
    assert!(
        !found.verify_secret(&first),
        "the old secret stops working at once"
    );

    let elsewhere = format!("{}@nope", added.app_id);
    assert_eq!(
        client(f.store(), f.instance(), &elsewhere).await.unwrap(),
        None
    );
    assert_eq!(
        client(f.store(), f.instance(), "no-at-sign").await.unwrap(),
        None
    );
    assert_eq!(
        client(f.store(), "other-instance", &added.client_id)
            .await
            .unwrap(),
        None
    );
}
