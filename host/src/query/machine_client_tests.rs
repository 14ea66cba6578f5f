//! Machine users as clients of the token endpoint, against a real SQLite
//! store written through the command side: a generated secret verifies at
//! once, a new one replaces it (the old one stops verifying), removing it
//! or the user, or changing the user's state, counts at once; a human, an
//! unknown user, or a user whose username is not the client id, is no
//! client.

use rampart_plugin_sdk::catalogue::{AccessTokenType, AddMachineUser, ChangeMachineUser};

use super::clients::machine_client;
use super::tests::fixture;
use crate::eventstore::{AggregateRef, EventQuery};

#[tokio::test]
async fn given_a_generated_secret_when_a_new_one_replaces_it_then_only_the_new_one_verifies() {
    let f = fixture().await;
    let read = || machine_client(f.store(), f.instance(), &f.bot, "ci-bot");
    let before = read().await.unwrap().expect("a machine user is a client");
    assert!(!before.has_secret());
    assert!(!before.verify_secret(""), "no secret verifies nothing");
    assert_eq!(before.access_token_type, AccessTokenType::Opaque);

    let first = f
        .commands
        .generate_machine_secret(&f.ctx, &f.bot)
        .await
        .unwrap();
    assert_eq!(first.client_id, "ci-bot");
    assert_eq!(first.client_secret.len(), 64);
    assert!(!format!("{first:?}").contains(&first.client_secret));
    let client = read().await.unwrap().unwrap();
    assert!(client.verify_secret(&first.client_secret), "at once");
    assert!(!client.verify_secret(&first.client_secret.to_uppercase()));
    assert!(!client.verify_secret("wrong"));
    assert_eq!(
        (client.user_id.as_str(), client.org_id.as_str()),
        (f.bot.as_str(), f.org.as_str())
    );
    assert_eq!(client.client_id, "ci-bot");
    assert!(client.active);
    let shown = format!("{client:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains(&crate::auth::token::digest(&first.client_secret)));

    let second = f
        .commands
        .generate_machine_secret(&f.ctx, &f.bot)
        .await
        .unwrap();
    assert_ne!(second.client_secret, first.client_secret);
    let client = read().await.unwrap().unwrap();
    assert!(client.verify_secret(&second.client_secret));
    assert!(
        !client.verify_secret(&first.client_secret),
        "the replaced secret stops working at once"
    );

    // The events hold the hash only, never the secret.
    let user = AggregateRef::new(f.instance(), "user", &f.bot);
    let events = f
        .store()
        .query(&EventQuery::aggregate(&user))
        .await
        .unwrap();
    let trail =
        serde_json::to_string(&events.iter().map(|e| &e.payload).collect::<Vec<_>>()).unwrap();
    assert!(!trail.contains(&first.client_secret) && !trail.contains(&second.client_secret));

    f.commands
        .remove_machine_secret(&f.ctx, &f.bot)
        .await
        .unwrap();
    let client = read().await.unwrap().unwrap();
    assert!(!client.has_secret());
    assert!(!client.verify_secret(&second.client_secret));
    let again = f.commands.remove_machine_secret(&f.ctx, &f.bot).await;
    assert_eq!(again.unwrap_err().code(), "FAILED_PRECONDITION");
}

#[tokio::test]
async fn given_state_changes_when_read_then_active_follows_and_a_removed_user_is_no_client() {
    let f = fixture().await;
    let secret = f
        .commands
        .generate_machine_secret(&f.ctx, &f.bot)
        .await
        .unwrap()
        .client_secret;
    let read = || machine_client(f.store(), f.instance(), &f.bot, "ci-bot");
    f.commands.lock_user(&f.ctx, &f.bot).await.unwrap();
    let locked = read().await.unwrap().unwrap();
    assert!(!locked.active, "a locked user does not authenticate");
    assert!(
        locked.verify_secret(&secret),
        "the caller refuses, by `active`"
    );
    f.commands.unlock_user(&f.ctx, &f.bot).await.unwrap();
    assert!(read().await.unwrap().unwrap().active);
    f.commands.deactivate_user(&f.ctx, &f.bot).await.unwrap();
    assert!(!read().await.unwrap().unwrap().active);
    f.commands.remove_user(&f.ctx, &f.bot).await.unwrap();
    assert_eq!(read().await.unwrap(), None);
}

#[tokio::test]
async fn given_a_human_a_stranger_or_another_username_then_there_is_no_client() {
    let f = fixture().await;
    assert_eq!(
        machine_client(f.store(), f.instance(), &f.ada, "ada")
            .await
            .unwrap(),
        None,
        "a human is no client"
    );
    let human = f.commands.generate_machine_secret(&f.ctx, &f.ada).await;
    assert_eq!(human.unwrap_err().code(), "FAILED_PRECONDITION");
    assert_eq!(
        machine_client(f.store(), f.instance(), "no-such-user", "ci-bot")
            .await
            .unwrap(),
        None
    );
    // A read model naming the wrong user for a username is not believed.
    assert_eq!(
        machine_client(f.store(), f.instance(), &f.bot, "someone-else")
            .await
            .unwrap(),
        None
    );
    // Another instance's user of that id is not this instance's client.
    assert_eq!(
        machine_client(f.store(), "other-instance", &f.bot, "ci-bot")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn given_a_machine_added_with_jwt_tokens_then_its_client_says_so_until_changed() {
    let f = fixture().await;
    let add = AddMachineUser {
        username: "jwt-bot".into(),
        name: "JWT".into(),
        description: None,
        access_token_type: AccessTokenType::Jwt,
    };
    let id = f
        .commands
        .add_machine_user(&f.ctx, &f.org, add)
        .await
        .unwrap()
        .aggregate
        .aggregate_id;
    let read = || machine_client(f.store(), f.instance(), &id, "jwt-bot");
    assert_eq!(
        read().await.unwrap().unwrap().access_token_type,
        AccessTokenType::Jwt
    );
    let rename = ChangeMachineUser {
        name: "Renamed".into(),
        description: None,
        access_token_type: None,
    };
    f.commands
        .change_machine_user(&f.ctx, &id, rename)
        .await
        .unwrap();
    assert_eq!(
        read().await.unwrap().unwrap().access_token_type,
        AccessTokenType::Jwt,
        "a change not naming the type keeps it"
    );
    let to_opaque = ChangeMachineUser {
        name: "Renamed".into(),
        description: None,
        access_token_type: Some(AccessTokenType::Opaque),
    };
    f.commands
        .change_machine_user(&f.ctx, &id, to_opaque)
        .await
        .unwrap();
    assert_eq!(
        read().await.unwrap().unwrap().access_token_type,
        AccessTokenType::Opaque
    );
}
