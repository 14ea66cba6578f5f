//! `user.metadata.set` and `user.metadata.remove`: metadata of users, human
//! and machine alike: keys an application chooses, each holding opaque
//! bytes (a team, an external id, a small JSON document).
//!
//! Limits, so one user's state stays small (its write model is loaded for
//! every command on it, and validators see it):
//!
//! - a key is 1 to [`METADATA_KEY_MAX_CHARS`] characters of letters,
//!   digits and `.`, `_`, `-`, `:` (trimmed; case is kept, `Team` and
//!   `team` are two keys);
//! - a value is 1 byte to [`METADATA_VALUE_MAX_BYTES`] bytes;
//! - a user has at most [`METADATA_MAX_KEYS`] keys.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    CommandPayload, RemoveUserMetadata, SetUserMetadata, UserMetadataChanged, UserMetadataRemoved,
};

use super::model::{MetadataEntry, UserModel};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};

/// Longest metadata key, in characters.
pub(crate) const METADATA_KEY_MAX_CHARS: usize = 200;
/// Largest metadata value, in bytes (4 KiB).
pub(crate) const METADATA_VALUE_MAX_BYTES: usize = 4096;
/// Most metadata keys one user may have.
pub(crate) const METADATA_MAX_KEYS: usize = 100;

/// The kind of [`CommandError::NotFound`] about metadata.
const METADATA_KIND: &str = "metadata";

/// A metadata key trimmed and checked: 1 to [`METADATA_KEY_MAX_CHARS`]
/// characters of letters, digits and `.`, `_`, `-`, `:`.
///
/// # Errors
/// [`CommandError::InvalidArgument`] naming what is wrong.
pub(crate) fn metadata_key(key: &str) -> Result<String, CommandError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(CommandError::invalid("the metadata key must not be empty"));
    }
    if key.chars().count() > METADATA_KEY_MAX_CHARS {
        return Err(CommandError::invalid(format!(
            "the metadata key must have at most {METADATA_KEY_MAX_CHARS} characters"
        )));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
    {
        return Err(CommandError::invalid(format!(
            "the metadata key {key:?} contains {bad:?}; use letters, digits, '.', '_', '-' and ':'"
        )));
    }
    Ok(key.to_owned())
}

/// What happens to one metadata entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetadataChange {
    /// `user.metadata.set`: add the key or replace its value.
    Set(SetUserMetadata),
    /// `user.metadata.remove`.
    Remove(RemoveUserMetadata),
}

/// Sets or removes one metadata entry of user `user_id`.
#[derive(Debug, Clone)]
pub(crate) struct MetadataCommand {
    user_id: String,
    change: MetadataChange,
}

impl MetadataCommand {
    /// Sets `cmd.key` to `cmd.value`, once both are checked.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a key that breaks
    /// [`metadata_key`], an empty value or one over
    /// [`METADATA_VALUE_MAX_BYTES`].
    pub(crate) fn set(user_id: &str, cmd: SetUserMetadata) -> Result<Self, CommandError> {
        let key = metadata_key(&cmd.key)?;
        if cmd.value.is_empty() {
            return Err(CommandError::invalid(
                "the metadata value must not be empty; remove the key instead",
            ));
        }
        if cmd.value.len() > METADATA_VALUE_MAX_BYTES {
            return Err(CommandError::invalid(format!(
                "the metadata value is {} bytes long; at most {METADATA_VALUE_MAX_BYTES} are allowed",
                cmd.value.len()
            )));
        }
        Ok(Self {
            user_id: user_id.to_owned(),
            change: MetadataChange::Set(SetUserMetadata {
                key,
                value: cmd.value,
            }),
        })
    }

    /// Removes key `key`.
    ///
    /// # Errors
    /// As [`metadata_key`].
    pub(crate) fn remove(user_id: &str, key: &str) -> Result<Self, CommandError> {
        Ok(Self {
            user_id: user_id.to_owned(),
            change: MetadataChange::Remove(RemoveUserMetadata {
                key: metadata_key(key)?,
            }),
        })
    }
}

#[async_trait]
impl Decide for MetadataCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        match self.change {
            MetadataChange::Set(_) => SetUserMetadata::NAME,
            MetadataChange::Remove(_) => RemoveUserMetadata::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        match &self.change {
            MetadataChange::Set(set) => json(set),
            MetadataChange::Remove(remove) => json(remove),
        }
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let event = match &self.change {
            MetadataChange::Set(set) => {
                match model.metadata.get(&set.key) {
                    Some(entry) if *entry == MetadataEntry::of(&set.value) => {
                        return Err(CommandError::precondition(format!(
                            "the metadata {:?} is unchanged",
                            set.key
                        )));
                    }
                    Some(_) => {}
                    None if model.metadata.len() >= METADATA_MAX_KEYS => {
                        return Err(CommandError::precondition(format!(
                            "the user already has {METADATA_MAX_KEYS} metadata keys, the most \
                             allowed; remove one first"
                        )));
                    }
                    None => {}
                }
                env.event(&UserMetadataChanged {
                    org_id: model.org_id.clone(),
                    key: set.key.clone(),
                    value: set.value.clone(),
                })
            }
            MetadataChange::Remove(remove) => {
                if !model.metadata.contains_key(&remove.key) {
                    return Err(CommandError::NotFound {
                        kind: METADATA_KIND,
                        id: remove.key.clone(),
                    });
                }
                env.event(&UserMetadataRemoved {
                    key: remove.key.clone(),
                })
            }
        };
        Ok(Decision::new(vec![event]))
    }
}

impl Commands {
    /// Sets metadata `cmd.key` of user `user_id` (human or machine) to
    /// `cmd.value`, adding the key or replacing its value.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a key that is empty, longer
    /// than 200 characters or has other characters than letters, digits and
    /// `. _ - :`, or a value that is empty or over 4 KiB;
    /// [`CommandError::Rejected`] when a validator refuses it;
    /// [`CommandError::NotFound`] for an unknown or removed user;
    /// [`CommandError::FailedPrecondition`] when the key already holds that
    /// value, or is new and the user already has 100 keys.
    pub async fn set_user_metadata(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        cmd: SetUserMetadata,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &MetadataCommand::set(user_id, cmd)?)
            .await
    }

    /// Removes metadata `key` of user `user_id`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed key,
    /// [`CommandError::NotFound`] for an unknown or removed user (kind
    /// `user`) or a key the user does not have (kind `metadata`).
    pub async fn remove_user_metadata(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        key: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &MetadataCommand::remove(user_id, key)?)
            .await
    }
}
