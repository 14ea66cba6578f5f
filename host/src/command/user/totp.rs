//! `user.human.totp.register`, `user.human.totp.verify`,
//! `user.human.totp.remove` and `user.human.totp.check`: a human user's
//! TOTP authenticator (RFC 6238, [`crate::auth::totp`]).
//!
//! Registering makes a 20-byte secret, answers with it once (base32, and
//! the `otpauth://` URI an authenticator app scans) and stores it only
//! sealed with the masterkey ([`TOTP_SECRET`], owned by the user), pending
//! until a code of it is verified; registering again while pending
//! replaces it, while verified is refused (remove it first). A wrong code
//! at verification is [`CommandError::Mismatch`] (`TOTP_INVALID`) and
//! counts nothing: whoever verifies already holds the secret.
//!
//! Checking a code (what a session's `totp` check runs) is like checking a
//! password: every check is an event, a wrong code counts toward
//! `maxOtpAttempts` of the lockout settings in effect and the failure that
//! reaches it locks the user in the same push. Every code that passes,
//! verification included, records its time step, and no code of that step
//! or an earlier one passes again, so an observed code cannot be replayed.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    CheckTotp, CommandPayload, EventPayload, RegisterTotp, RemoveTotp, TotpAdded, TotpCheckFailed,
    TotpCheckSucceeded, TotpRemoved, TotpResealed, TotpVerified, UserLocked, VerifyTotp,
};

use super::model::{UserModel, UserState};
use crate::auth::totp;
use crate::command::instance::model::InstanceModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::write_model::fold;
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::{
    AggregateRef, EventQuery, EventStore, ExpectedSequence, NewEvent, Push, StoreError,
};
use crate::masterkey::{Keyring, Purpose};

/// What TOTP secrets are sealed for.
pub(crate) const TOTP_SECRET: Purpose = Purpose("totp-secret");

/// The code of a wrong, stale or replayed TOTP code.
pub(crate) const TOTP_INVALID: &str = "TOTP_INVALID";

/// What a machine user is told it lacks.
const WHAT: &str = "a TOTP authenticator";

/// The issuer an authenticator shows when the instance has no name.
const DEFAULT_ISSUER: &str = "Rampart";

/// The owner a TOTP secret is sealed for: the user, in its instance.
fn owner(instance_id: &str, user_id: &str) -> String {
    format!("{instance_id}/{user_id}")
}

/// The secret of `model`'s TOTP, opened.
///
/// # Errors
/// [`CommandError::Internal`] when the keyring cannot open it (a masterkey
/// this node was not given).
fn open(
    keyring: &Keyring,
    ctx: &CommandContext,
    user_id: &str,
    sealed: &str,
) -> Result<Vec<u8>, CommandError> {
    keyring
        .open(TOTP_SECRET, &owner(&ctx.instance_id, user_id), sealed)
        .map_err(|err| CommandError::Internal(format!("the TOTP secret cannot be opened: {err}")))
}

/// The TOTP time step of `at`.
fn step(at: DateTime<Utc>) -> u64 {
    totp::step_at(at.timestamp())
}

/// The decision for a wrong second-factor code of `model`: `failed` (one
/// more failure in a row) and, when that reaches `maxOtpAttempts` of the
/// lockout settings in effect, `user.locked`; the call fails with `code`
/// and `wrong`, plus how many tries are left when the settings show them.
///
/// # Errors
/// [`CommandError::Store`] when the settings cannot be read.
pub(crate) async fn otp_failure(
    model: &UserModel,
    env: &Env<'_>,
    failed: NewEvent,
    code: &'static str,
    wrong: &str,
) -> Result<Decision, CommandError> {
    let org = env.org(&model.org_id).await?;
    let in_effect = env.settings(org.as_ref().map(|o| &o.settings)).await?;
    let lockout = &in_effect.settings.lockout;
    let failures = model.otp_failures + 1;
    let limit = lockout.max_otp_attempts;
    let mut events = vec![failed];
    let message = if limit > 0 && failures >= limit {
        events.push(env.event(&UserLocked {}));
        format!("{wrong}; the user is now locked")
    } else if limit > 0 && lockout.show_lockout_failures {
        format!("{wrong} ({} attempts left)", limit - failures)
    } else {
        wrong.to_owned()
    };
    Ok(Decision::failing(events, code, message))
}

/// [`CommandError::FailedPrecondition`] unless `model` is an active user.
pub(crate) fn require_active(model: &UserModel) -> Result<(), CommandError> {
    if model.state == UserState::Active {
        return Ok(());
    }
    Err(CommandError::precondition(format!(
        "the user is {}",
        model.state.as_str()
    )))
}

/// What registering a TOTP wrote, and the secret (shown only here).
/// `Debug` leaves the secret and the URI out.
#[derive(Clone)]
pub struct TotpRegistered {
    /// Where the event landed.
    pub written: Written,
    /// The `otpauth://totp/<issuer>:<username>?…` URI an authenticator
    /// app scans (as a QR code).
    pub uri: String,
    /// The secret in base32, for typing it in instead.
    pub secret: String,
}

impl std::fmt::Debug for TotpRegistered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRegistered")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

/// Gives human user `user_id` a new pending TOTP secret. `Debug` leaves
/// the secret out.
pub(crate) struct RegisterTotpCommand {
    user_id: String,
    /// Made once per call, so a retry after a conflict stores the same one.
    secret: [u8; totp::SECRET_BYTES],
    /// The secret sealed for the user.
    sealed: String,
    /// The issuer and username the last decision saw: the URI's label.
    label: Mutex<Option<(String, String)>>,
}

impl std::fmt::Debug for RegisterTotpCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterTotpCommand")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl RegisterTotpCommand {
    /// Registers `secret` for `user_id`, sealed as `sealed`.
    pub(crate) fn new(user_id: &str, secret: [u8; totp::SECRET_BYTES], sealed: String) -> Self {
        Self {
            user_id: user_id.to_owned(),
            secret,
            sealed,
            label: Mutex::new(None),
        }
    }

    /// The secret in base32 and the URI naming the label the last decision
    /// saw, if one got that far.
    pub(crate) fn shown(&self) -> Option<(String, String)> {
        let label = self
            .label
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        let secret = totp::base32(&self.secret);
        let uri = totp::uri(&label.0, &label.1, &secret);
        Some((uri, secret))
    }
}

#[async_trait]
impl Decide for RegisterTotpCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        RegisterTotp::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RegisterTotp {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human(WHAT)?;
        if model.verified_totp().is_some() {
            return Err(CommandError::precondition(
                "the user has a verified TOTP already; remove it (RemoveTOTP) to register another",
            ));
        }
        let instance = env.load::<InstanceModel>(&env.ctx.instance_id).await?.model;
        let issuer = match instance.name.trim() {
            "" => DEFAULT_ISSUER.to_owned(),
            name => name.to_owned(),
        };
        *self
            .label
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((issuer, model.username.clone()));
        Ok(Decision::new(vec![env.event(&TotpAdded {
            secret: self.sealed.clone(),
        })]))
    }
}

/// A code of human user `user_id`'s TOTP, carried by `P` (the payload
/// validators see: [`VerifyTotp`] or [`CheckTotp`]), tried at `at` against
/// the secret opened with `keyring`.
pub(crate) struct TotpCodeCommand<P> {
    user_id: String,
    payload: P,
    keyring: Keyring,
    /// When the code is tried.
    at: DateTime<Utc>,
}

/// Verifies human user `user_id`'s pending TOTP with a code of it.
pub(crate) type VerifyTotpCommand = TotpCodeCommand<VerifyTotp>;

/// Checks a code of human user `user_id`'s verified TOTP.
pub(crate) type CheckTotpCommand = TotpCodeCommand<CheckTotp>;

impl<P: std::fmt::Debug> std::fmt::Debug for TotpCodeCommand<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpCodeCommand")
            .field("user_id", &self.user_id)
            .field("payload", &self.payload)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl<P> TotpCodeCommand<P> {
    /// Tries `payload`'s code at time `at`, opening the secret with
    /// `keyring`.
    pub(crate) fn new(user_id: &str, payload: P, keyring: Keyring, at: DateTime<Utc>) -> Self {
        Self {
            user_id: user_id.to_owned(),
            payload,
            keyring,
            at,
        }
    }
}

#[async_trait]
impl Decide for VerifyTotpCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        VerifyTotp::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human(WHAT)?;
        let Some(pending) = &model.totp else {
            return Err(CommandError::precondition(
                "the user has no TOTP registration; register one first (RegisterTOTP)",
            ));
        };
        if pending.verified {
            return Err(CommandError::precondition(
                "the user's TOTP is verified already",
            ));
        }
        let secret = open(&self.keyring, env.ctx, &self.user_id, &pending.sealed)?;
        match totp::matching_step(
            &secret,
            &self.payload.code,
            step(self.at),
            pending.last_step,
        ) {
            Some(step) => Ok(Decision::new(vec![env.event(&TotpVerified { step })])),
            None => Err(CommandError::Mismatch {
                code: TOTP_INVALID,
                message: "the TOTP code is wrong; enter the code the authenticator shows now \
                          (and check its clock)"
                    .into(),
            }),
        }
    }
}

/// Removes human user `user_id`'s TOTP, pending or verified, and its
/// recovery codes.
#[derive(Debug, Clone)]
pub(crate) struct RemoveTotpCommand {
    user_id: String,
}

impl RemoveTotpCommand {
    /// Removes the TOTP of `user_id`.
    pub(crate) fn new(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
        }
    }
}

#[async_trait]
impl Decide for RemoveTotpCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        RemoveTotp::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&RemoveTotp {})
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human(WHAT)?;
        if model.totp.is_none() {
            return Err(CommandError::precondition("the user has no TOTP"));
        }
        Ok(Decision::new(vec![env.event(&TotpRemoved {})]))
    }
}

#[async_trait]
impl Decide for CheckTotpCommand {
    type Model = UserModel;

    fn name(&self) -> &'static str {
        CheckTotp::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.user_id
    }

    fn org_id(&self, model: &UserModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &UserModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        model.require_human(WHAT)?;
        require_active(model)?;
        let Some(verified) = model.verified_totp() else {
            return Err(CommandError::precondition(
                "the user has no verified TOTP; register one and verify it first \
                 (RegisterTOTP, VerifyTOTPRegistration)",
            ));
        };
        let secret = open(&self.keyring, env.ctx, &self.user_id, &verified.sealed)?;
        match totp::matching_step(
            &secret,
            &self.payload.code,
            step(self.at),
            verified.last_step,
        ) {
            Some(step) => Ok(Decision::new(vec![env.event(&TotpCheckSucceeded { step })])),
            None => {
                otp_failure(
                    model,
                    env,
                    env.event(&TotpCheckFailed {}),
                    TOTP_INVALID,
                    "the TOTP code is wrong or was used already",
                )
                .await
            }
        }
    }
}

impl Commands {
    /// Gives human user `user_id` a new TOTP secret, pending until
    /// [`Commands::verify_totp_registration`]; it replaces a pending one.
    /// The secret is in the answer and nowhere else: the event stores it
    /// sealed with the masterkey.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed user,
    /// [`CommandError::FailedPrecondition`] for a machine user or one with
    /// a verified TOTP, [`CommandError::Internal`] before the masterkey is
    /// verified, [`CommandError::Rejected`] when a validator refuses.
    pub async fn register_totp(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<TotpRegistered, CommandError> {
        let secret = totp::new_secret();
        let sealed = self
            .keyring()?
            .seal(TOTP_SECRET, &owner(&ctx.instance_id, user_id), &secret);
        let cmd = RegisterTotpCommand::new(user_id, secret, sealed);
        let written = self.execute(ctx, &cmd).await?;
        let (uri, secret) = cmd.shown().ok_or_else(|| {
            CommandError::Internal("a TOTP secret was stored without its user".into())
        })?;
        Ok(TotpRegistered {
            written,
            uri,
            secret,
        })
    }

    /// Verifies human user `user_id`'s pending TOTP with `code`: from now
    /// on it is the user's second factor.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`TOTP_INVALID`) for a wrong code (nothing
    /// stored), [`CommandError::FailedPrecondition`] without a pending
    /// TOTP, [`CommandError::NotFound`] for an unknown user.
    pub async fn verify_totp_registration(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        code: String,
    ) -> Result<Written, CommandError> {
        let keyring = self.keyring()?.clone();
        self.execute(
            ctx,
            &VerifyTotpCommand::new(user_id, VerifyTotp { code }, keyring, Utc::now()),
        )
        .await
    }

    /// Removes human user `user_id`'s TOTP, pending or verified, and its
    /// recovery codes.
    ///
    /// # Errors
    /// [`CommandError::FailedPrecondition`] for a user without a TOTP or a
    /// machine user, [`CommandError::NotFound`] for an unknown user.
    pub async fn remove_totp(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &RemoveTotpCommand::new(user_id)).await
    }

    /// Checks a code of human user `user_id`'s verified TOTP, counting
    /// failures toward `maxOtpAttempts`: what a session's TOTP check runs.
    ///
    /// # Errors
    /// [`CommandError::Mismatch`] (`TOTP_INVALID`) for a wrong, stale or
    /// replayed code, whose failure is stored;
    /// [`CommandError::FailedPrecondition`] for a user without a verified
    /// TOTP, an inactive or locked one or a machine user;
    /// [`CommandError::NotFound`] for an unknown user.
    pub async fn check_totp(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        code: String,
    ) -> Result<Written, CommandError> {
        let keyring = self.keyring()?.clone();
        self.execute(
            ctx,
            &CheckTotpCommand::new(user_id, CheckTotp { code }, keyring, Utc::now()),
        )
        .await
    }
}

/// Seals again with `ring`'s current key every TOTP secret sealed with
/// another one (as `user.human.totp.resealed` at the user's sequence); how
/// many it re-sealed. Part of a masterkey rotation.
///
/// # Errors
/// The store's; [`crate::masterkey::SealError`] as text when a secret
/// cannot be opened with any key of the ring.
pub(crate) async fn reseal(store: &dyn EventStore, ring: &Keyring) -> Result<usize, StoreError> {
    let added = EventQuery::new()
        .aggregate_type(super::AGGREGATE_TYPE)
        .event_type(TotpAdded::TYPE);
    let mut users: Vec<AggregateRef> = store
        .query(&added)
        .await?
        .into_iter()
        .map(|e| e.aggregate)
        .collect();
    users.sort_by(|a, b| (&a.instance_id, &a.aggregate_id).cmp(&(&b.instance_id, &b.aggregate_id)));
    users.dedup();
    let mut resealed = 0;
    for user in users {
        // A concurrent change of the user starts its check over.
        loop {
            let events = store.query(&EventQuery::aggregate(&user)).await?;
            let loaded = fold::<UserModel>(&events);
            let Some(totp) = loaded.model.totp.as_ref() else {
                break;
            };
            if ring.sealed_with_current(&totp.sealed) {
                break;
            }
            let owner = owner(&user.instance_id, &user.aggregate_id);
            let opened = ring.open(TOTP_SECRET, &owner, &totp.sealed).map_err(|e| {
                StoreError::InvalidPush(format!(
                    "the TOTP secret of user {}: {e}",
                    user.aggregate_id
                ))
            })?;
            let event = TotpResealed {
                secret: ring.seal(TOTP_SECRET, &owner, &opened),
            };
            let event = NewEvent::new(TotpResealed::TYPE, json(&event), "system");
            let push = Push::new(
                user.clone(),
                ExpectedSequence::Exact(loaded.sequence),
                vec![event],
            );
            match store.push(push).await {
                Ok(_) => {
                    resealed += 1;
                    break;
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => return Err(other),
            }
        }
    }
    Ok(resealed)
}
