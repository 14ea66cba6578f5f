//! # User commands
//!
//! Users of two kinds share one aggregate type: humans (a profile, an
//! e-mail address, an optional password of which only the argon2id hash is
//! stored) and machines (a name, a description, personal access tokens of
//! which only a hash is stored). Both have a username unique per instance
//! across both kinds (case-insensitive: stored lowercase, claimed under
//! [`USERNAME_KIND`]) and a state: active, inactive or locked. Human-only
//! commands on a machine, and machine-only ones on a human, fail with
//! `FailedPrecondition`.
//!
//! - `model`: the write model.
//! - `add`: `user.human.add`.
//! - `machine`: `user.machine.add`, `user.machine.change`.
//! - `pat`: `user.pat.add`, `user.pat.remove`.
//! - `machine_key`: `user.machine.key.add`, `user.machine.key.remove` (RSA
//!   keys for the JWT-profile grant; only the public key is stored).
//! - `machine_secret`: `user.machine.secret.generate`,
//!   `user.machine.secret.remove` (a client secret for the
//!   client-credentials grant; only its SHA-256 is stored).
//! - `profile`: `user.human.profile.change`, `user.human.email.change`.
//! - `password`: `user.human.password.set`.
//! - `phone`: `user.human.phone.change`, `user.human.phone.remove` (E.164).
//! - `metadata`: `user.metadata.set`, `user.metadata.remove` (keys of any
//!   user holding bytes, within limits).
//! - `state`: `user.deactivate`, `user.reactivate`, `user.lock`, `user.unlock`.
//! - `remove`: `user.remove`.
//! - `code`: one-time codes (hashed, expiring, limited tries);
//!   `verification`: `user.human.{email,phone}.code.add` and
//!   `user.human.{email,phone}.verify`;
//!   `reset`: `user.human.password.code.add`, `user.human.password.reset`;
//!   `check`: `user.human.password.check`, which counts failures toward the
//!   lockout settings and locks the user at the limit.
//! - `totp`: `user.human.totp.register`, `.verify`, `.remove`, `.check` (a
//!   human's TOTP authenticator, its secret sealed with the masterkey;
//!   checks count toward `maxOtpAttempts`); `recovery`:
//!   `user.human.recovery_codes.generate`, `user.human.recovery_code.check`
//!   (one-time codes backing up the TOTP, stored hashed).

pub(crate) mod add;
mod check;
pub(crate) mod code;
pub(crate) mod machine;
pub(crate) mod machine_key;
pub(crate) mod machine_secret;
mod metadata;
pub(crate) mod model;
pub(crate) mod password;
pub(crate) mod pat;
mod phone;
mod profile;
pub(crate) mod recovery;
mod remove;
mod reset;
pub(crate) mod state;
pub(crate) mod totp;
mod verification;

#[cfg(test)]
mod details_tests;
#[cfg(test)]
mod machine_key_tests;
#[cfg(test)]
mod machine_secret_tests;
#[cfg(test)]
mod machine_tests;
#[cfg(test)]
mod proof_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod totp_tests;

use rampart_plugin_sdk::catalogue::Profile;

use crate::command::pipeline::Env;
use crate::command::{CommandError, optional, required};

/// The aggregate type of users.
pub(crate) const AGGREGATE_TYPE: &str = "user";

/// Unique-value kind of usernames (per instance).
pub(crate) const USERNAME_KIND: &str = "username";

pub(crate) use check::PASSWORD_INVALID;
pub use machine_secret::MachineSecretWritten;
pub use recovery::RecoveryCodesWritten;
pub use totp::TotpRegistered;
pub use verification::{CodeIssued, Contact};

/// What adding user `id` of either kind to organization `org_id` needs: no
/// user of that id yet, and an organization that exists and is active.
///
/// # Errors
/// [`CommandError::AlreadyExists`], [`CommandError::NotFound`] or
/// [`CommandError::FailedPrecondition`].
pub(crate) async fn require_new_in_active_org(
    model: &model::UserModel,
    id: &str,
    org_id: &str,
    env: &Env<'_>,
) -> Result<(), CommandError> {
    if model.state != model::UserState::Unknown {
        return Err(CommandError::AlreadyExists {
            kind: "user".into(),
            value: id.to_owned(),
            message: format!("user {id} already exists"),
        });
    }
    crate::command::org::require_active_org(env, org_id).await
}

/// `profile` with its names trimmed and required, empty optional fields
/// dropped.
///
/// # Errors
/// [`CommandError::InvalidArgument`] for an empty given or family name.
pub(crate) fn normalize_profile(profile: &Profile) -> Result<Profile, CommandError> {
    Ok(Profile {
        given_name: required(&profile.given_name, "the given name")?,
        family_name: required(&profile.family_name, "the family name")?,
        display_name: optional(profile.display_name.as_deref()),
        preferred_language: optional(profile.preferred_language.as_deref()),
    })
}

/// `profile` as stored: the display name defaults to "given family".
pub(crate) fn stored_profile(profile: &Profile) -> Profile {
    let mut stored = profile.clone();
    if stored.display_name.is_none() {
        stored.display_name = Some(format!("{} {}", profile.given_name, profile.family_name));
    }
    stored
}
