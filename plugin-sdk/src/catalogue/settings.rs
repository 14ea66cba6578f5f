//! Settings: the policies of an instance, each overridable per organization.
//!
//! Five kinds, each a whole record that is set (and, on an organization,
//! reset) at once: [`PasswordComplexitySettings`], [`LockoutSettings`],
//! [`LoginSettings`], [`DomainSettings`], [`NotificationSettings`]. What is
//! in effect for a command is layered: the built-in defaults (the
//! `Default` of each record), replaced by the instance's record of that
//! kind when it set one, replaced by the organization's when it set one.
//!
//! Validators read the settings in effect for their command's instance and
//! organization with [`crate::Ctx::settings`].

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// One of the five kinds of settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SettingsKind {
    /// [`PasswordComplexitySettings`].
    PasswordComplexity,
    /// [`LockoutSettings`].
    Lockout,
    /// [`LoginSettings`].
    Login,
    /// [`DomainSettings`].
    Domain,
    /// [`NotificationSettings`].
    Notification,
}

impl SettingsKind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [SettingsKind; 5] = [
        SettingsKind::PasswordComplexity,
        SettingsKind::Lockout,
        SettingsKind::Login,
        SettingsKind::Domain,
        SettingsKind::Notification,
    ];

    /// The kind's name as JSON spells it, e.g. `"passwordComplexity"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsKind::PasswordComplexity => "passwordComplexity",
            SettingsKind::Lockout => "lockout",
            SettingsKind::Login => "login",
            SettingsKind::Domain => "domain",
            SettingsKind::Notification => "notification",
        }
    }
}

/// What a password must look like; applied by the shipped `password-policy`
/// validator. Lengths count characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PasswordComplexitySettings {
    /// Fewest characters.
    pub min_length: u32,
    /// Most characters.
    pub max_length: u32,
    /// At least one uppercase letter.
    pub require_uppercase: bool,
    /// At least one lowercase letter.
    pub require_lowercase: bool,
    /// At least one digit.
    pub require_number: bool,
    /// At least one character that is neither a letter, a digit nor space.
    pub require_symbol: bool,
}

impl Default for PasswordComplexitySettings {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 72,
            require_uppercase: true,
            require_lowercase: true,
            require_number: true,
            require_symbol: false,
        }
    }
}

/// When a user is locked after failed checks; applied by the host when it
/// checks a password or a one-time password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LockoutSettings {
    /// Failed password checks in a row that lock the user; 0: never.
    pub max_password_attempts: u32,
    /// Failed one-time-password checks in a row that lock the user; 0: never.
    /// Applied once one-time passwords exist (the login).
    pub max_otp_attempts: u32,
    /// Whether a failed check tells the user how many attempts are left.
    pub show_lockout_failures: bool,
}

impl Default for LockoutSettings {
    fn default() -> Self {
        Self {
            max_password_attempts: 0,
            max_otp_attempts: 0,
            show_lockout_failures: true,
        }
    }
}

/// A second factor a login may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecondFactor {
    /// Time-based one-time passwords from an authenticator app.
    Totp,
    /// A security key or platform authenticator (WebAuthn).
    WebAuthn,
    /// A one-time password sent by email.
    OtpEmail,
    /// A one-time password sent by SMS.
    OtpSms,
}

/// How users log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoginSettings {
    /// Whether username and password may log in.
    pub allow_username_password: bool,
    /// Whether people may register themselves.
    pub allow_register: bool,
    /// Whether external identity providers may log in.
    pub allow_external_idp: bool,
    /// Whether every login needs a second factor.
    pub force_mfa: bool,
    /// The second factors users may set up, distinct.
    pub second_factors: Vec<SecondFactor>,
    /// How long a password check counts before it is asked again, seconds.
    pub password_check_lifetime_seconds: u64,
    /// How long an external login counts, seconds.
    pub external_login_check_lifetime_seconds: u64,
    /// How long a second-factor check counts, seconds.
    pub second_factor_check_lifetime_seconds: u64,
    /// How long a user may postpone setting up a second factor, seconds.
    pub mfa_init_skip_lifetime_seconds: u64,
}

/// One hour, in seconds.
const HOUR: u64 = 3600;

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            allow_username_password: true,
            allow_register: false,
            allow_external_idp: false,
            force_mfa: false,
            second_factors: vec![SecondFactor::Totp, SecondFactor::WebAuthn],
            password_check_lifetime_seconds: 240 * HOUR,
            external_login_check_lifetime_seconds: 240 * HOUR,
            second_factor_check_lifetime_seconds: 18 * HOUR,
            mfa_init_skip_lifetime_seconds: 720 * HOUR,
        }
    }
}

/// How domains shape login names and organizations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DomainSettings {
    /// Login names are `username@<the org's primary domain>`, so a username
    /// carries no domain of its own (the shipped `username-format` validator
    /// refuses an `@`).
    pub user_login_must_be_domain: bool,
    /// Whether an organization must prove a domain before it counts as
    /// verified; when off, a domain is verified as it is added.
    pub validate_org_domains: bool,
}

impl Default for DomainSettings {
    fn default() -> Self {
        Self {
            user_login_must_be_domain: false,
            validate_org_domains: true,
        }
    }
}

/// Which events users are told about by the notifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NotificationSettings {
    /// Tell a user when their password changed.
    pub password_change: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            password_change: true,
        }
    }
}

/// Every kind of settings, as in effect for one instance and organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Password complexity.
    pub password_complexity: PasswordComplexitySettings,
    /// Lockout.
    pub lockout: LockoutSettings,
    /// Login.
    pub login: LoginSettings,
    /// Domain.
    pub domain: DomainSettings,
    /// Notification.
    pub notification: NotificationSettings,
}

impl Settings {
    /// Replaces the record of `value`'s kind.
    pub fn set(&mut self, value: SettingsValue) {
        match value {
            SettingsValue::PasswordComplexity(v) => self.password_complexity = v,
            SettingsValue::Lockout(v) => self.lockout = v,
            SettingsValue::Login(v) => self.login = v,
            SettingsValue::Domain(v) => self.domain = v,
            SettingsValue::Notification(v) => self.notification = v,
        }
    }

    /// The record of `kind`.
    pub fn get(&self, kind: SettingsKind) -> SettingsValue {
        match kind {
            SettingsKind::PasswordComplexity => {
                SettingsValue::PasswordComplexity(self.password_complexity.clone())
            }
            SettingsKind::Lockout => SettingsValue::Lockout(self.lockout.clone()),
            SettingsKind::Login => SettingsValue::Login(self.login.clone()),
            SettingsKind::Domain => SettingsValue::Domain(self.domain.clone()),
            SettingsKind::Notification => SettingsValue::Notification(self.notification.clone()),
        }
    }
}

/// One record of settings with its kind: what a command sets and an event
/// carries, as `{"kind": "lockout", "settings": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "settings", rename_all = "camelCase")]
pub enum SettingsValue {
    /// Password complexity.
    PasswordComplexity(PasswordComplexitySettings),
    /// Lockout.
    Lockout(LockoutSettings),
    /// Login.
    Login(LoginSettings),
    /// Domain.
    Domain(DomainSettings),
    /// Notification.
    Notification(NotificationSettings),
}

impl SettingsValue {
    /// The record's kind.
    pub fn kind(&self) -> SettingsKind {
        match self {
            SettingsValue::PasswordComplexity(_) => SettingsKind::PasswordComplexity,
            SettingsValue::Lockout(_) => SettingsKind::Lockout,
            SettingsValue::Login(_) => SettingsKind::Login,
            SettingsValue::Domain(_) => SettingsKind::Domain,
            SettingsValue::Notification(_) => SettingsKind::Notification,
        }
    }
}

impl Default for SettingsValue {
    fn default() -> Self {
        SettingsValue::PasswordComplexity(PasswordComplexitySettings::default())
    }
}

/// `instance.settings.set`: the instance's record of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SetInstanceSettings(pub SettingsValue);

/// `org.settings.set`: the organization's own record of one kind, in place
/// of the instance's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SetOrgSettings(pub SettingsValue);

/// `org.settings.reset`: the organization follows the instance's record of
/// `kind` again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetOrgSettings {
    /// Which kind.
    pub kind: SettingsKind,
}

/// `instance.settings.changed`: the instance set its record of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstanceSettingsSet(pub SettingsValue);

/// `org.settings.changed`: the organization set its own record of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgSettingsSet(pub SettingsValue);

/// `org.settings.removed`: the organization dropped its record of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSettingsReset {
    /// Which kind the organization no longer overrides.
    pub kind: SettingsKind,
}

command_names! {
    SetInstanceSettings => "instance.settings.set",
    SetOrgSettings => "org.settings.set",
    ResetOrgSettings => "org.settings.reset",
}

event_types! {
    InstanceSettingsSet => "instance.settings.changed",
    OrgSettingsSet => "org.settings.changed",
    OrgSettingsReset => "org.settings.removed",
}
