//! # The first instance
//!
//! `rampart start` on an empty store creates the instance, organization and
//! administrator of `FirstInstance` through the ordinary command pipeline
//! (validators included), and prints how to log in. Once any instance
//! exists this does nothing, so restarts and further nodes leave it alone.
//!
//! Besides the human administrator (for the login pages), it creates a
//! machine user for API calls. Both hold `IAM_OWNER` and `SYSTEM_OWNER` on
//! the instance. The machine user's personal access token is written to
//! `FirstInstance.Machine.PatPath` (mode 0600) before it is stored, so a
//! token that exists is never lost.

use std::path::{Path, PathBuf};

use chrono::Utc;
use rampart_plugin_sdk::catalogue::{
    AccessTokenType, AddHumanUser, AddMachineUser, AddOrg, Email, Profile,
};
use rand::RngExt;

use crate::auth::token;
use crate::command::{CommandError, Commands, InstancePlan, PlannedToken, Written};
use crate::config::FirstInstanceConfig;
use crate::eventstore::{EventQuery, EventStore};

/// The roles the first administrators hold on the first instance.
pub const ADMIN_ROLES: [&str; 2] = ["IAM_OWNER", "SYSTEM_OWNER"];

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
    /// The machine administrator.
    pub machine_id: String,
    /// Where its personal access token was written.
    pub pat_path: PathBuf,
}

/// What a new instance starts with: its first organization, and a machine
/// user holding instance roles with a personal access token, so someone
/// can act in it through the API from the first moment.
#[derive(Debug, Clone)]
pub struct InstanceSetup {
    /// Display name of the instance.
    pub name: String,
    /// Its domains; the first is primary.
    pub domains: Vec<String>,
    /// Name of its first organization.
    pub org_name: String,
    /// Username of the machine administrator.
    pub admin_username: String,
    /// Display name of the machine administrator.
    pub admin_name: String,
    /// Roles the machine administrator holds on the instance.
    pub admin_roles: Vec<String>,
    /// When its token expires.
    pub token_expires_at: chrono::DateTime<Utc>,
}

/// What [`setup_instance`] created.
#[derive(Debug, Clone)]
pub struct SetUpInstance {
    /// The instance's creation.
    pub instance: Written,
    /// Its first organization.
    pub org_id: String,
    /// The machine administrator.
    pub admin_id: String,
    /// The human administrator, when one was asked for.
    pub human_id: Option<String>,
    /// Its personal access token (the only copy).
    pub token: token::NewToken,
}

/// Creates an instance, its first organization and a machine administrator
/// with a token (and `human`, if given, as a second administrator), as
/// `actor`, in one push. `keep` sees the token before it is stored and may
/// refuse to go on (the first start writes it to a file first, so a token
/// that exists is never lost).
///
/// # Errors
/// The first command's error (nothing is stored then), or `keep`'s.
pub async fn setup_instance(
    commands: &Commands,
    actor: &str,
    setup: &InstanceSetup,
    human: Option<AddHumanUser>,
    keep: impl FnOnce(&token::NewToken) -> Result<(), CommandError>,
) -> Result<SetUpInstance, CommandError> {
    let machine_id = uuid::Uuid::now_v7().simple().to_string();
    let pat = token::generate(&machine_id, &uuid::Uuid::now_v7().simple().to_string());
    let plan = InstancePlan {
        name: setup.name.clone(),
        domains: setup.domains.clone(),
        org: AddOrg {
            name: setup.org_name.clone(),
            domain: None,
        },
        machine: (
            machine_id,
            AddMachineUser {
                username: setup.admin_username.clone(),
                name: setup.admin_name.clone(),
                description: None,
                access_token_type: AccessTokenType::default(),
            },
        ),
        token: PlannedToken {
            id: pat.token_id.clone(),
            hash: pat.hash.clone(),
            expires_at: setup.token_expires_at,
        },
        human,
        roles: setup.admin_roles.clone(),
    };
    keep(&pat)?;
    let created = commands.setup_instance(actor, plan).await?;
    Ok(SetUpInstance {
        instance: created.instance,
        org_id: created.org_id,
        admin_id: created.machine_id,
        human_id: created.human_id,
        token: pat,
    })
}

/// Creates the first instance unless one exists, in one push: a refused
/// administrator password or a crash leaves nothing behind, and the next
/// start tries again.
///
/// # Errors
/// The command's error, e.g. a configured password the password policy
/// refuses; [`CommandError::Internal`] when the token file cannot be
/// written. A concurrent start of another node that won the race is not an
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
    let lifetime = chrono::Duration::from_std(cfg.machine.pat_lifetime)
        .map_err(|e| CommandError::Internal(format!("FirstInstance.Machine.PatLifetime: {e}")))?;
    let setup = InstanceSetup {
        name: cfg.name.clone(),
        domains: cfg.domains.clone(),
        org_name: cfg.org.name.clone(),
        admin_username: cfg.machine.username.clone(),
        admin_name: cfg.machine.name.clone(),
        admin_roles: ADMIN_ROLES.iter().map(|r| (*r).to_owned()).collect(),
        token_expires_at: Utc::now() + lifetime,
    };
    let generated_password = cfg.admin.password.is_empty().then(generate_password);
    let human = AddHumanUser {
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
        password: Some(
            generated_password
                .clone()
                .unwrap_or_else(|| cfg.admin.password.clone()),
        ),
    };
    let pat_path = cfg.machine.pat_path.clone();
    let created = setup_instance(commands, SYSTEM_ACTOR, &setup, Some(human), |pat| {
        write_secret(&pat_path, &pat.token)
    })
    .await;
    let created = match created {
        Ok(created) => created,
        // Another node's first instance claimed the domains first.
        Err(CommandError::AlreadyExists { .. }) => return Ok(None),
        Err(error) => {
            let _ = std::fs::remove_file(&pat_path);
            return Err(error);
        }
    };
    Ok(Some(FirstInstance {
        instance_id: created.instance.aggregate.instance_id.clone(),
        org_id: created.org_id,
        admin_id: created.human_id.unwrap_or_default(),
        generated_password,
        machine_id: created.admin_id,
        pat_path,
    }))
}

/// Writes `secret` to `path`, readable by the owner only (0600), creating
/// its directory.
fn write_secret(path: &Path, secret: &str) -> Result<(), CommandError> {
    crate::private_files::write(path, format!("{secret}\n").as_bytes()).map_err(|e| {
        CommandError::Internal(format!(
            "cannot write the token file {}: {e}",
            path.display()
        ))
    })
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
