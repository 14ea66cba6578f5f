//! # The first instance
//!
//! `rampart start` on an empty store creates the instance, organization and
//! administrator of `FirstInstance` through the ordinary command pipeline
//! (validators included), and prints how to log in. Once any instance
//! exists this does nothing, so restarts and further nodes leave it alone.

use rampart_plugin_sdk::catalogue::{AddHumanUser, AddOrg, Email, Profile};
use rand::RngExt;

use crate::command::{CommandContext, CommandError, Commands};
use crate::config::FirstInstanceConfig;
use crate::eventstore::{EventQuery, EventStore};

/// The actor recorded on everything the server creates by itself.
pub const SYSTEM_ACTOR: &str = "system";
/// Length of a generated administrator password.
const GENERATED_PASSWORD_LEN: usize = 20;

/// What was created.
#[derive(Debug, Clone)]
pub struct FirstInstance {
    /// The instance.
    pub instance_id: String,
    /// Its first organization.
    pub org_id: String,
    /// The administrator.
    pub admin_id: String,
    /// The administrator's password, when it was generated.
    pub generated_password: Option<String>,
}

/// Creates the first instance unless one exists.
///
/// # Errors
/// The command's error, e.g. a configured password the password policy
/// refuses. A concurrent start of another node that won the race is not an
/// error (its instance claimed the domains first): `Ok(None)`.
pub async fn ensure_first_instance(
    store: &dyn EventStore,
    commands: &Commands,
    cfg: &FirstInstanceConfig,
) -> Result<Option<FirstInstance>, CommandError> {
    let any = EventQuery::new().aggregate_type("instance").limit(1);
    if !store.query(&any).await?.is_empty() {
        return Ok(None);
    }
    let instance = match commands
        .add_instance(SYSTEM_ACTOR, &cfg.name, &cfg.domains)
        .await
    {
        Ok(written) => written,
        Err(CommandError::AlreadyExists { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let ctx = CommandContext {
        instance_id: instance.aggregate.instance_id.clone(),
        actor: SYSTEM_ACTOR.to_owned(),
    };
    let org = commands
        .add_org(
            &ctx,
            AddOrg {
                name: cfg.org.name.clone(),
                domain: None,
            },
        )
        .await?;
    let generated_password = cfg.admin.password.is_empty().then(generate_password);
    let password = generated_password
        .clone()
        .unwrap_or_else(|| cfg.admin.password.clone());
    let admin = commands
        .add_human_user(
            &ctx,
            &org.aggregate.aggregate_id,
            AddHumanUser {
                username: cfg.admin.username.clone(),
                profile: Profile {
                    given_name: cfg.admin.given_name.clone(),
                    family_name: cfg.admin.family_name.clone(),
                    display_name: None,
                    preferred_language: None,
                },
                email: Email {
                    address: cfg.admin.email.clone(),
                    verified: true,
                },
                password: Some(password),
            },
        )
        .await?;
    Ok(Some(FirstInstance {
        instance_id: ctx.instance_id,
        org_id: org.aggregate.aggregate_id,
        admin_id: admin.aggregate.aggregate_id,
        generated_password,
    }))
}

/// A password with upper- and lowercase letters, digits and symbols, so it
/// passes any reasonable complexity policy.
fn generate_password() -> String {
    const SETS: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!#%+-.:=?@_",
    ];
    let mut rng = rand::rng();
    (0..GENERATED_PASSWORD_LEN)
        .map(|i| {
            let set = SETS[i % SETS.len()];
            char::from(set[rng.random_range(0..set.len())])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_have_every_character_class() {
        let password = generate_password();
        assert_eq!(password.len(), GENERATED_PASSWORD_LEN);
        assert!(password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(password.chars().any(|c| c.is_ascii_lowercase()));
        assert!(password.chars().any(|c| c.is_ascii_digit()));
        assert!(password.chars().any(|c| !c.is_ascii_alphanumeric()));
        assert_ne!(password, generate_password());
    }
}
