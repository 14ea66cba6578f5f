//! A human user's second factors: a TOTP authenticator (RFC 6238) and
//! one-time recovery codes.
//!
//! The TOTP secret is made by the host, shown to the caller once (as an
//! `otpauth://` URI) and stored only sealed with the masterkey; it is
//! pending until a code from the authenticator proves the user holds it.
//! Every code that passes records its time step, so the same code cannot
//! pass twice. Recovery codes are made by the host too, shown once and
//! stored only as their SHA-256; each works once.
//!
//! Checks count toward lockout like password checks: every wrong code is
//! an event (`…check.failed`), a passing one starts the count over, and the
//! failure that reaches `maxOtpAttempts` locks the user in the same push.
//! Validators see which command runs, never a secret nor a code (without
//! the `secrets` grant).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{REDACTED, command_names, event_types};

/// `user.human.totp.register`: a new TOTP secret for the user, pending
/// until verified (replacing a pending one). No payload: the secret is the
/// host's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegisterTotp {}

/// `user.human.totp.verify`: proves the pending secret with a code of it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyTotp {
    /// The code the authenticator shows.
    pub code: String,
}

/// `user.human.totp.remove`: the user has no TOTP (nor recovery codes)
/// any more.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveTotp {}

/// `user.human.totp.check`: is this a current code of the user's verified
/// TOTP? Failures count toward lockout.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckTotp {
    /// The code the authenticator shows.
    pub code: String,
}

/// `user.human.recovery_codes.generate`: new recovery codes, replacing any
/// the user has. No payload: the codes are the host's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GenerateRecoveryCodes {}

/// `user.human.recovery_code.check`: is this one of the user's unused
/// recovery codes? A passing code is used up; failures count toward
/// lockout.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckRecoveryCode {
    /// The recovery code.
    pub code: String,
}

/// `user.human.totp.added`: a new TOTP secret, pending until verified; it
/// replaces a pending one.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpAdded {
    /// The secret's bytes sealed with the masterkey (the host's sealed
    /// format); never the secret itself.
    pub secret: String,
}

/// `user.human.totp.resealed`: the same secret, sealed again with the
/// current masterkey (a masterkey rotation); nothing else changes.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpResealed {
    /// The secret's bytes sealed with the current masterkey.
    pub secret: String,
}

/// `user.human.totp.verified`: the pending secret was proven; from now on
/// it is the user's second factor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpVerified {
    /// The time step (Unix time / 30 s) of the code that proved it: no
    /// code of this step or an earlier one passes again.
    pub step: u64,
}

/// `user.human.totp.removed`: the user's TOTP, pending or verified, and
/// its recovery codes are gone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TotpRemoved {}

/// `user.human.totp.check.succeeded`: a current code passed; the failure
/// count starts over.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpCheckSucceeded {
    /// The time step of the code that passed: no code of this step or an
    /// earlier one passes again.
    pub step: u64,
}

/// `user.human.totp.check.failed`: a wrong (or already used) code; one
/// more failure in a row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TotpCheckFailed {}

/// `user.human.recovery_codes.generated`: new recovery codes replace any
/// earlier ones. Only their SHA-256 is stored: each code has 80 random
/// bits, so a fast hash is as safe as a slow one.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodesGenerated {
    /// SHA-256 of each code (normalized: upper case, no separators), hex.
    pub code_hashes: Vec<String>,
}

/// `user.human.recovery_code.used`: a recovery code passed and is used up;
/// the failure count starts over.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodeUsed {
    /// Which code (its index in the last `recovery_codes.generated`).
    pub index: u32,
}

/// `user.human.recovery_code.check.failed`: a wrong or used recovery code;
/// one more failure in a row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecoveryCodeCheckFailed {}

impl fmt::Debug for VerifyTotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyTotp")
            .field("code", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for CheckTotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckTotp")
            .field("code", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for CheckRecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRecoveryCode")
            .field("code", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for TotpAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpAdded")
            .field("secret", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for TotpResealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpResealed")
            .field("secret", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for RecoveryCodesGenerated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryCodesGenerated")
            .field("code_hashes", &REDACTED)
            .finish()
    }
}

command_names! {
    RegisterTotp => "user.human.totp.register",
    VerifyTotp => "user.human.totp.verify" secret ["code"],
    RemoveTotp => "user.human.totp.remove",
    CheckTotp => "user.human.totp.check" secret ["code"],
    GenerateRecoveryCodes => "user.human.recovery_codes.generate",
    CheckRecoveryCode => "user.human.recovery_code.check" secret ["code"],
}

event_types! {
    TotpAdded => "user.human.totp.added" secret ["secret"],
    TotpResealed => "user.human.totp.resealed" secret ["secret"],
    TotpVerified => "user.human.totp.verified",
    TotpRemoved => "user.human.totp.removed",
    TotpCheckSucceeded => "user.human.totp.check.succeeded",
    TotpCheckFailed => "user.human.totp.check.failed",
    RecoveryCodesGenerated => "user.human.recovery_codes.generated" secret ["codeHashes"],
    RecoveryCodeUsed => "user.human.recovery_code.used",
    RecoveryCodeCheckFailed => "user.human.recovery_code.check.failed",
}
