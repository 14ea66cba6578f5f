//! The user write model: kind, org, username, state; a human's profile,
//! e-mail, phone number and whether it has a password; a machine's name,
//! description, access token type, personal access tokens, keys and client
//! secret; the metadata keys of either; a human's second factors (TOTP,
//! recovery codes) and the failed checks of them in a row.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    AccessTokenType, EmailCodeAdded, EmailCodeFailed, EventPayload, HumanEmailChanged,
    HumanEmailVerified, HumanPasswordChanged, HumanPasswordRehashed, HumanPhoneChanged,
    HumanPhoneRemoved, HumanPhoneVerified, HumanProfileChanged, HumanUserAdded, MachineKeyAdded,
    MachineKeyRemoved, MachineSecretRemoved, MachineSecretSet, MachineUserAdded,
    MachineUserChanged, PasswordCheckFailed, PasswordCheckSucceeded, PasswordCodeAdded,
    PasswordCodeFailed, PersonalAccessTokenAdded, PersonalAccessTokenRemoved, PhoneCodeAdded,
    PhoneCodeFailed, Profile, RecoveryCodeCheckFailed, RecoveryCodeUsed, RecoveryCodesGenerated,
    TotpAdded, TotpCheckFailed, TotpCheckSucceeded, TotpRemoved, TotpResealed, TotpVerified,
    UserDeactivated, UserLocked, UserMetadataChanged, UserMetadataRemoved, UserReactivated,
    UserRemoved, UserUnlocked,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::code::PendingCode;
use crate::command::CommandError;
use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// Where a user is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum UserState {
    /// Never added.
    #[default]
    Unknown,
    /// May sign in.
    Active,
    /// Deactivated by an administrator.
    Inactive,
    /// Locked (e.g. after failed sign-ins).
    Locked,
    /// Removed for good.
    Removed,
}

impl UserState {
    /// The state's name in messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserState::Unknown => "unknown",
            UserState::Active => "active",
            UserState::Inactive => "inactive",
            UserState::Locked => "locked",
            UserState::Removed => "removed",
        }
    }
}

/// Whether a user is a person or a machine (a service account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum UserKind {
    /// `user.human.added`: profile, e-mail, password.
    #[default]
    Human,
    /// `user.machine.added`: name, description, personal access tokens.
    Machine,
}

/// One personal access token of a machine user. Validators see its dates
/// and whether it was removed, never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pat {
    /// Hash of the token's secret (for the query side's authentication).
    #[serde(skip)]
    pub(crate) hash: String,
    /// When the token stops working.
    pub(crate) expires_at: DateTime<Utc>,
    /// When it was added.
    pub(crate) created_at: DateTime<Utc>,
    /// Whether it was removed (its id stays taken).
    pub(crate) removed: bool,
}

/// One key of a machine user (JWT profile). Validators see its dates and
/// whether it was removed, not the public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineKey {
    /// The public key, PEM (for the query side's verification).
    #[serde(skip)]
    pub(crate) public_key: String,
    /// When the key stops working.
    pub(crate) expires_at: DateTime<Utc>,
    /// When it was added.
    pub(crate) created_at: DateTime<Utc>,
    /// Whether it was removed (its id stays taken).
    pub(crate) removed: bool,
}

/// A machine user's client secret. Validators see when it was set, never
/// its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MachineSecret {
    /// SHA-256 of the secret, hex (for the query side's client check).
    #[serde(skip)]
    pub(crate) hash: String,
    /// When it was set.
    pub(crate) set_at: DateTime<Utc>,
}

/// A human user's TOTP authenticator. Validators see whether it is
/// verified, never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Totp {
    /// The secret sealed with the masterkey (the TOTP check opens it).
    #[serde(skip)]
    pub(crate) sealed: String,
    /// Whether a code proved it; a pending one checks nothing.
    pub(crate) verified: bool,
    /// The time step of the last code that passed: no code of it or an
    /// earlier step passes again.
    #[serde(skip)]
    pub(crate) last_step: Option<u64>,
}

/// A human user's recovery codes: their hashes, and which are used up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RecoveryCodes {
    /// SHA-256 of each normalized code, hex.
    pub(crate) hashes: Vec<String>,
    /// Whether each code (same index) was used.
    pub(crate) used: Vec<bool>,
}

impl RecoveryCodes {
    /// How many codes still work.
    pub(crate) fn left(&self) -> usize {
        self.used.iter().filter(|used| !**used).count()
    }
}

/// One metadata entry of a user as its commands see it: the value's size
/// and a digest of it (to tell a repeated value), never the value itself,
/// so the state stays small however large the values are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetadataEntry {
    /// The value's length in bytes.
    pub(crate) size: usize,
    /// SHA-256 of the value.
    #[serde(skip)]
    pub(crate) digest: [u8; 32],
}

impl MetadataEntry {
    /// The entry of `value`.
    pub(crate) fn of(value: &[u8]) -> Self {
        Self {
            size: value.len(),
            digest: Sha256::digest(value).into(),
        }
    }
}

/// A user as its commands (and the query side's credential reads) see it.
/// Neither the password hash nor token or secret hashes nor public keys
/// are serialized: validators see only whether there is a password, and
/// the tokens', keys' and client secret's dates; of metadata they see the
/// keys and the values' sizes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserModel {
    /// Human or machine.
    pub(crate) kind: UserKind,
    /// Life-cycle state.
    pub(crate) state: UserState,
    /// The organization the user belongs to.
    pub(crate) org_id: String,
    /// Login name, lowercase.
    pub(crate) username: String,
    /// Name and language (display name filled in).
    pub(crate) profile: Profile,
    /// E-mail address.
    pub(crate) email: String,
    /// Whether the address is verified.
    pub(crate) email_verified: bool,
    /// Whether a password is set.
    pub(crate) has_password: bool,
    /// The password's argon2id hash (password checks), never serialized.
    #[serde(skip)]
    pub(crate) password_hash: Option<String>,
    /// Failed password checks in a row (lockout counting).
    pub(crate) password_failures: u32,
    /// A human's TOTP authenticator, pending or verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) totp: Option<Totp>,
    /// A human's recovery codes, never serialized.
    #[serde(skip)]
    pub(crate) recovery_codes: RecoveryCodes,
    /// Failed TOTP and recovery code checks in a row (lockout counting,
    /// `maxOtpAttempts`).
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) otp_failures: u32,
    /// The pending e-mail verification code, never serialized.
    #[serde(skip)]
    pub(crate) email_code: Option<PendingCode>,
    /// The pending phone verification code, never serialized.
    #[serde(skip)]
    pub(crate) phone_code: Option<PendingCode>,
    /// The pending password reset code, never serialized.
    #[serde(skip)]
    pub(crate) password_code: Option<PendingCode>,
    /// A human's phone number in E.164 form, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phone: Option<String>,
    /// Whether the phone number is verified.
    pub(crate) phone_verified: bool,
    /// A machine's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// A machine's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// The form of a machine's access tokens (`None` for humans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) access_token_type: Option<AccessTokenType>,
    /// A machine's client secret, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret: Option<MachineSecret>,
    /// A machine's personal access tokens by token id, removed ones too.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) pats: BTreeMap<String, Pat>,
    /// A machine's keys by key id, removed ones too.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) machine_keys: BTreeMap<String, MachineKey>,
    /// Metadata entries by key (humans and machines alike).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) metadata: BTreeMap<String, MetadataEntry>,
}

/// Whether `n` is 0 (left out of the serialized model).
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl UserModel {
    /// The TOTP, when it is verified.
    pub(crate) fn verified_totp(&self) -> Option<&Totp> {
        self.totp.as_ref().filter(|totp| totp.verified)
    }

    /// The token `token_id`, unless it is unknown or removed.
    pub(crate) fn active_pat(&self, token_id: &str) -> Option<&Pat> {
        self.pats.get(token_id).filter(|pat| !pat.removed)
    }

    /// The key `key_id`, unless it is unknown or removed.
    pub(crate) fn active_key(&self, key_id: &str) -> Option<&MachineKey> {
        self.machine_keys.get(key_id).filter(|key| !key.removed)
    }

    /// [`CommandError::FailedPrecondition`] unless the user is a human:
    /// `what` (e.g. "a profile") is for humans only.
    pub(crate) fn require_human(&self, what: &str) -> Result<(), CommandError> {
        match self.kind {
            UserKind::Human => Ok(()),
            UserKind::Machine => Err(CommandError::precondition(format!(
                "the user is a machine user; only human users have {what}"
            ))),
        }
    }

    /// [`CommandError::FailedPrecondition`] unless the user is a machine:
    /// `what` is for machine users only.
    pub(crate) fn require_machine(&self, what: &str) -> Result<(), CommandError> {
        match self.kind {
            UserKind::Machine => Ok(()),
            UserKind::Human => Err(CommandError::precondition(format!(
                "the user is a human user; only machine users have {what}"
            ))),
        }
    }
}

/// One more wrong try of `code`, if there is one.
fn count_failure(code: Option<&mut PendingCode>) {
    if let Some(code) = code {
        code.failures += 1;
    }
}

impl WriteModel for UserModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            HumanUserAdded::TYPE => {
                if let Some(p) = payload::<HumanUserAdded>(event) {
                    *self = UserModel {
                        kind: UserKind::Human,
                        state: UserState::Active,
                        org_id: p.org_id,
                        username: p.username,
                        profile: p.profile,
                        email: p.email,
                        email_verified: p.email_verified,
                        has_password: p.password_hash.is_some(),
                        password_hash: p.password_hash,
                        ..UserModel::default()
                    };
                }
            }
            MachineUserAdded::TYPE => {
                if let Some(p) = payload::<MachineUserAdded>(event) {
                    *self = UserModel {
                        kind: UserKind::Machine,
                        state: UserState::Active,
                        org_id: p.org_id,
                        username: p.username,
                        name: Some(p.name),
                        description: p.description,
                        access_token_type: Some(p.access_token_type),
                        ..UserModel::default()
                    };
                }
            }
            MachineUserChanged::TYPE => {
                if let Some(p) = payload::<MachineUserChanged>(event) {
                    self.name = Some(p.name);
                    self.description = p.description;
                    if p.access_token_type.is_some() {
                        self.access_token_type = p.access_token_type;
                    }
                }
            }
            MachineSecretSet::TYPE => {
                if let Some(p) = payload::<MachineSecretSet>(event) {
                    self.secret = Some(MachineSecret {
                        hash: p.secret_hash,
                        set_at: event.created_at,
                    });
                }
            }
            MachineSecretRemoved::TYPE => self.secret = None,
            PersonalAccessTokenAdded::TYPE => {
                if let Some(p) = payload::<PersonalAccessTokenAdded>(event) {
                    let pat = Pat {
                        hash: p.token_hash,
                        expires_at: p.expires_at,
                        created_at: event.created_at,
                        removed: false,
                    };
                    self.pats.entry(p.token_id).or_insert(pat);
                }
            }
            PersonalAccessTokenRemoved::TYPE => {
                if let Some(p) = payload::<PersonalAccessTokenRemoved>(event)
                    && let Some(pat) = self.pats.get_mut(&p.token_id)
                {
                    pat.removed = true;
                }
            }
            MachineKeyAdded::TYPE => {
                if let Some(p) = payload::<MachineKeyAdded>(event) {
                    let key = MachineKey {
                        public_key: p.public_key,
                        expires_at: p.expires_at,
                        created_at: event.created_at,
                        removed: false,
                    };
                    self.machine_keys.entry(p.key_id).or_insert(key);
                }
            }
            MachineKeyRemoved::TYPE => {
                if let Some(p) = payload::<MachineKeyRemoved>(event)
                    && let Some(key) = self.machine_keys.get_mut(&p.key_id)
                {
                    key.removed = true;
                }
            }
            HumanProfileChanged::TYPE => {
                if let Some(p) = payload::<HumanProfileChanged>(event) {
                    self.profile = p.profile;
                }
            }
            HumanEmailChanged::TYPE => {
                if let Some(p) = payload::<HumanEmailChanged>(event) {
                    self.email = p.address;
                    self.email_verified = p.verified;
                    self.email_code = None;
                }
            }
            HumanPasswordRehashed::TYPE => {
                if let Some(p) = payload::<HumanPasswordRehashed>(event) {
                    self.password_hash = Some(p.password_hash);
                }
            }
            HumanPasswordChanged::TYPE => {
                if let Some(p) = payload::<HumanPasswordChanged>(event) {
                    self.has_password = true;
                    self.password_hash = Some(p.password_hash);
                    self.password_code = None;
                    self.password_failures = 0;
                }
            }
            EmailCodeAdded::TYPE => {
                if let Some(p) = payload::<EmailCodeAdded>(event) {
                    self.email_code = Some(PendingCode::new(p.code_hash, p.expires_at));
                }
            }
            EmailCodeFailed::TYPE => count_failure(self.email_code.as_mut()),
            HumanEmailVerified::TYPE => {
                self.email_verified = true;
                self.email_code = None;
            }
            PasswordCodeAdded::TYPE => {
                if let Some(p) = payload::<PasswordCodeAdded>(event) {
                    self.password_code = Some(PendingCode::new(p.code_hash, p.expires_at));
                }
            }
            PasswordCodeFailed::TYPE => count_failure(self.password_code.as_mut()),
            PasswordCheckSucceeded::TYPE => self.password_failures = 0,
            PasswordCheckFailed::TYPE => self.password_failures += 1,
            HumanPhoneChanged::TYPE => {
                if let Some(p) = payload::<HumanPhoneChanged>(event) {
                    self.phone = Some(p.phone);
                    self.phone_verified = p.verified;
                    self.phone_code = None;
                }
            }
            HumanPhoneRemoved::TYPE => {
                self.phone = None;
                self.phone_verified = false;
                self.phone_code = None;
            }
            PhoneCodeAdded::TYPE => {
                if let Some(p) = payload::<PhoneCodeAdded>(event) {
                    self.phone_code = Some(PendingCode::new(p.code_hash, p.expires_at));
                }
            }
            PhoneCodeFailed::TYPE => count_failure(self.phone_code.as_mut()),
            HumanPhoneVerified::TYPE => {
                self.phone_verified = true;
                self.phone_code = None;
            }
            UserMetadataChanged::TYPE => {
                if let Some(p) = payload::<UserMetadataChanged>(event) {
                    self.metadata.insert(p.key, MetadataEntry::of(&p.value));
                }
            }
            UserMetadataRemoved::TYPE => {
                if let Some(p) = payload::<UserMetadataRemoved>(event) {
                    self.metadata.remove(&p.key);
                }
            }
            TotpAdded::TYPE => {
                if let Some(p) = payload::<TotpAdded>(event) {
                    self.totp = Some(Totp {
                        sealed: p.secret,
                        verified: false,
                        last_step: None,
                    });
                }
            }
            TotpResealed::TYPE => {
                if let Some(p) = payload::<TotpResealed>(event)
                    && let Some(totp) = self.totp.as_mut()
                {
                    totp.sealed = p.secret;
                }
            }
            TotpVerified::TYPE => {
                if let Some(p) = payload::<TotpVerified>(event)
                    && let Some(totp) = self.totp.as_mut()
                {
                    totp.verified = true;
                    totp.last_step = Some(p.step);
                }
            }
            TotpRemoved::TYPE => {
                self.totp = None;
                self.recovery_codes = RecoveryCodes::default();
            }
            TotpCheckSucceeded::TYPE => {
                if let Some(p) = payload::<TotpCheckSucceeded>(event)
                    && let Some(totp) = self.totp.as_mut()
                {
                    totp.last_step = Some(p.step);
                }
                self.otp_failures = 0;
            }
            TotpCheckFailed::TYPE | RecoveryCodeCheckFailed::TYPE => self.otp_failures += 1,
            RecoveryCodesGenerated::TYPE => {
                if let Some(p) = payload::<RecoveryCodesGenerated>(event) {
                    self.recovery_codes = RecoveryCodes {
                        used: vec![false; p.code_hashes.len()],
                        hashes: p.code_hashes,
                    };
                }
            }
            RecoveryCodeUsed::TYPE => {
                if let Some(p) = payload::<RecoveryCodeUsed>(event)
                    && let Some(used) = usize::try_from(p.index)
                        .ok()
                        .and_then(|i| self.recovery_codes.used.get_mut(i))
                {
                    *used = true;
                }
                self.otp_failures = 0;
            }
            UserDeactivated::TYPE => self.state = UserState::Inactive,
            UserReactivated::TYPE => self.state = UserState::Active,
            UserUnlocked::TYPE => {
                self.state = UserState::Active;
                self.password_failures = 0;
                self.otp_failures = 0;
            }
            UserLocked::TYPE => self.state = UserState::Locked,
            UserRemoved::TYPE => self.state = UserState::Removed,
            _ => {}
        }
    }

    fn exists(&self) -> bool {
        matches!(
            self.state,
            UserState::Active | UserState::Inactive | UserState::Locked
        )
    }
}
