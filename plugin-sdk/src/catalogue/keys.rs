//! Key commands and events: the public keys of machine users
//! (`user.machine.key.*`, on the user's aggregate) and of applications that
//! authenticate with `private_key_jwt` (`project.application.key.*`, on
//! the project's aggregate, beside the application).
//!
//! The host generates each key pair, stores only the public key (PEM,
//! SubjectPublicKeyInfo) in the `…key.added` event and hands the private
//! key to the caller once, in a JSON key file. A private key is never in a
//! command or an event, so no validator, projection or audit trail can see
//! one. Validators see a key's id and expiry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// The form a key was handed out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// A JSON key file holding an RSA private key (PKCS#1 PEM), signing
    /// with RS256.
    #[default]
    Json,
}

/// `user.machine.key.add`: a key pair for a machine user (JWT-profile
/// grant). Validators see the key's id and expiry only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMachineKey {
    /// The key's id, unique per user.
    pub key_id: String,
    /// The key's form.
    #[serde(default)]
    pub key_type: KeyType,
    /// When the key stops working.
    pub expires_at: DateTime<Utc>,
}

/// `user.machine.key.remove`: the key stops working.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMachineKey {
    /// The key's id.
    pub key_id: String,
}

/// `user.machine.key.added`: the public half of a machine user's key pair.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineKeyAdded {
    /// The key's id, unique per user.
    pub key_id: String,
    /// The key's form.
    #[serde(default)]
    pub key_type: KeyType,
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
    /// When the key stops working.
    pub expires_at: DateTime<Utc>,
}

/// `user.machine.key.removed`: the key no longer authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineKeyRemoved {
    /// The key's id.
    pub key_id: String,
}

/// `project.application.key.add`: a key pair for an application that
/// authenticates with `private_key_jwt`. Validators see the ids and the
/// expiry only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddAppKey {
    /// The application's id.
    pub app_id: String,
    /// The key's id, unique per application.
    pub key_id: String,
    /// The key's form.
    #[serde(default)]
    pub key_type: KeyType,
    /// When the key stops working.
    pub expires_at: DateTime<Utc>,
}

/// `project.application.key.remove`: the key stops working.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveAppKey {
    /// The application's id.
    pub app_id: String,
    /// The key's id.
    pub key_id: String,
}

/// `project.application.key.added`: the public half of an application's
/// key pair.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppKeyAdded {
    /// The application's id.
    pub app_id: String,
    /// The key's id, unique per application.
    pub key_id: String,
    /// The key's form.
    #[serde(default)]
    pub key_type: KeyType,
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
    /// When the key stops working.
    pub expires_at: DateTime<Utc>,
}

/// `project.application.key.removed`: the key no longer authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppKeyRemoved {
    /// The application's id.
    pub app_id: String,
    /// The key's id.
    pub key_id: String,
}

command_names! {
    AddMachineKey => "user.machine.key.add",
    RemoveMachineKey => "user.machine.key.remove",
    AddAppKey => "project.application.key.add",
    RemoveAppKey => "project.application.key.remove",
}

event_types! {
    MachineKeyAdded => "user.machine.key.added",
    MachineKeyRemoved => "user.machine.key.removed",
    AppKeyAdded => "project.application.key.added",
    AppKeyRemoved => "project.application.key.removed",
}
