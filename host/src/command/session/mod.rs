//! # Session commands
//!
//! A session is the server's record that someone proved who they are: a
//! login UI of one's own creates one with the checks it has (a user, by id
//! or login name, and that user's password), later adds checks, and ends
//! it. One aggregate per session, owned by the instance; the checked
//! user's organization is the session's once known.
//!
//! Every create and change answers with a new session token (32 random
//! bytes, hex, from `auth::token::new_secret`): only its SHA-256 is
//! stored, compared in constant time, and a change replaces it, so a token
//! works once. A wrong or missing token is [`CommandError::Denied`]
//! (`SESSION_TOKEN_INVALID`); a terminated or expired session is
//! [`CommandError::FailedPrecondition`].
//!
//! A password check goes through [`Commands::check_password`] before the
//! session's own command: a wrong password is recorded on the user (it
//! counts toward lockout) and fails the call, so no `session.password.
//! checked` is stored; an inactive or locked user fails both checks. A
//! second factor goes the same way, after the password: a TOTP code
//! through [`Commands::check_totp`] (`session.totp.checked`), or a
//! recovery code, used up on the user, through
//! [`Commands::check_recovery_code`] (`session.recovery_code.checked`);
//! wrong codes count toward `maxOtpAttempts`. For a change, the token is
//! checked first, so nobody can guess passwords or codes through a
//! session that is not theirs.
//!
//! The login-flow plugins ([`crate::login_flow`]) decide on the checks:
//! `before-authentication` when a check names the user (before the
//! password is tried), `after-authentication` when a credential check
//! passed. A denial fails the call ([`CommandError::Denied`],
//! `LOGIN_DENIED`, with the plugin's message) and stores nothing; a
//! required second factor is recorded on the session
//! (`session.second_factor.required`), and the session cannot finish a
//! login until a second factor is checked.
//!
//! - `model`: the write model; `create`: `session.create`; `set`:
//!   `session.set`; `terminate`: `session.terminate`.

mod create;
pub(crate) mod model;
mod set;
mod terminate;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    CheckPassword, CreateSession, SessionPasswordChecked, SessionRecoveryCodeChecked,
    SessionSecondFactorRequired, SessionTokenSet, SessionTotpChecked, SetSession,
};

use self::create::CreateSessionCommand;
use self::model::SessionModel;
use self::set::SetSessionCommand;
use self::terminate::TerminateSessionCommand;
use super::pipeline::Env;
use super::user::model::{UserKind, UserModel, UserState};
use super::write_model::{self, StoreSource, WriteModel as _};
use super::{CommandContext, CommandError, Commands, Written, new_id};
use crate::auth::token::{self, NewSecret};
use crate::eventstore::{AggregateRef, NewEvent};
use crate::login_flow::{Gate, Login, LoginGate};

/// The aggregate type of sessions.
pub(crate) const AGGREGATE_TYPE: &str = "session";

/// The code of a login a login-flow plugin refused.
pub(crate) const LOGIN_DENIED: &str = "LOGIN_DENIED";

/// The `auth-methods` name of a password check, as login-flow plugins see it.
pub(crate) const METHOD_PASSWORD: &str = "password";

/// The `auth-methods` name of a passed second factor (a TOTP code, or one
/// of the TOTP enrolment's recovery codes), as login-flow plugins see it.
pub(crate) const METHOD_SECOND_FACTOR: &str = "totp";

/// Which user a session check names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCheck {
    /// The user's id.
    Id(String),
    /// A login name: the username, or `username@<a verified domain of the
    /// user's organization>`, as [`LoginNames`] resolves it.
    LoginName(String),
}

/// The checks a session create or change asks for. `Debug` leaves the
/// password and codes out.
#[derive(Clone, Default)]
pub struct SessionChecks {
    /// The user to check: it must exist and be an active human user.
    pub user: Option<UserCheck>,
    /// The password of the session's user, checked through
    /// [`Commands::check_password`].
    pub password: Option<String>,
    /// A code of the session's user's verified TOTP, checked through
    /// [`Commands::check_totp`].
    pub totp: Option<String>,
    /// One of the session's user's recovery codes, checked (and used up)
    /// through [`Commands::check_recovery_code`].
    pub recovery_code: Option<String>,
}

impl std::fmt::Debug for SessionChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("SessionChecks")
            .field("user", &self.user)
            .field("password", &redacted(&self.password))
            .field("totp", &redacted(&self.totp))
            .field("recovery_code", &redacted(&self.recovery_code))
            .finish()
    }
}

/// Which checks of the session's user passed (through the user's own
/// commands, before the session's command records them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Passed {
    /// The password check.
    pub(crate) password: bool,
    /// The TOTP check.
    pub(crate) totp: bool,
    /// The recovery code check.
    pub(crate) recovery_code: bool,
}

impl Passed {
    /// Whether any check of the user passed.
    pub(crate) fn any(self) -> bool {
        self.password || self.totp || self.recovery_code
    }

    /// Why checks that passed cannot be recorded on a session without a
    /// user.
    pub(crate) fn without_user(self) -> CommandError {
        let what = if self.password {
            "a password"
        } else {
            "a second factor"
        };
        CommandError::invalid(format!("{what} check needs a user check"))
    }

    /// The session events recording these checks, passed at `now`.
    pub(crate) fn events(self, env: &Env<'_>, now: DateTime<Utc>) -> Vec<NewEvent> {
        let mut events = Vec::new();
        if self.password {
            events.push(env.event(&SessionPasswordChecked { checked_at: now }));
        }
        if self.totp {
            events.push(env.event(&SessionTotpChecked { checked_at: now }));
        }
        if self.recovery_code {
            events.push(env.event(&SessionRecoveryCodeChecked { checked_at: now }));
        }
        events
    }
}

/// The events every create and change of a session ends with: that
/// `second_factor_by` (a login-flow plugin) requires a second factor, if
/// one does, then the session's new `token`.
pub(crate) fn closing_events(
    env: &Env<'_>,
    second_factor_by: Option<&str>,
    token: &NewSecret,
) -> Vec<NewEvent> {
    let mut events = Vec::with_capacity(2);
    if let Some(plugin) = second_factor_by {
        events.push(env.event(&SessionSecondFactorRequired {
            required_by: plugin.to_owned(),
        }));
    }
    events.push(env.event(&SessionTokenSet {
        token_hash: token.hash.clone(),
    }));
    events
}

/// What creating or changing a session wrote, and its new token (shown
/// only here). `Debug` leaves the token out.
#[derive(Clone)]
pub struct SessionWritten {
    /// Where the session's events landed.
    pub written: Written,
    /// The session's id.
    pub session_id: String,
    /// The session's token from now on, 64 hex digits: the previous one no
    /// longer works.
    pub token: String,
    /// Whether a login-flow plugin requires a second factor of the session.
    pub second_factor_required: bool,
}

impl std::fmt::Debug for SessionWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionWritten")
            .field("written", &self.written)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// Turns login names into user ids: the query side's users read model
/// (`Queries::user_by_login_name`), handed to the command side at start-up
/// ([`Commands::set_login_names`]), since no event stream is keyed by
/// login name.
#[async_trait]
pub trait LoginNames: Send + Sync {
    /// The id of the user `login_name` names in `instance_id`, if any.
    ///
    /// # Errors
    /// [`CommandError::Store`] or [`CommandError::Internal`] when the read
    /// model cannot answer.
    async fn user_id(
        &self,
        instance_id: &str,
        login_name: &str,
    ) -> Result<Option<String>, CommandError>;
}

/// The organization of user `user_id`, when it may have a session: it
/// exists, is human and active.
///
/// # Errors
/// [`CommandError::NotFound`] for an unknown or removed user,
/// [`CommandError::FailedPrecondition`] for an inactive, locked or machine
/// user.
pub(crate) async fn check_user(env: &Env<'_>, user_id: &str) -> Result<String, CommandError> {
    let user: UserModel = env.load::<UserModel>(user_id).await?.model;
    if !user.exists() {
        return Err(CommandError::NotFound {
            kind: "user",
            id: user_id.to_owned(),
        });
    }
    if user.kind == UserKind::Machine {
        return Err(CommandError::precondition(
            "the user is a machine user; sessions are for human users",
        ));
    }
    if user.state != UserState::Active {
        return Err(CommandError::precondition(format!(
            "the user is {}",
            user.state.as_str()
        )));
    }
    Ok(user.org_id)
}

/// The user a change of `model` is about: `named` (which must be the
/// session's user, if it has one) or the session's.
///
/// # Errors
/// [`CommandError::FailedPrecondition`] when `named` is another user than
/// the session's.
pub(crate) fn same_user(
    model: &SessionModel,
    named: Option<&str>,
) -> Result<Option<String>, CommandError> {
    match (model.user_id.as_deref(), named) {
        (Some(own), Some(named)) if own != named => Err(CommandError::precondition(
            "the session is about another user; start a new session to check this one",
        )),
        (own, named) => Ok(named.or(own).map(str::to_owned)),
    }
}

/// `now + lifetime`; `None` without a lifetime.
///
/// # Errors
/// [`CommandError::InvalidArgument`] for a zero or unrepresentable
/// lifetime.
fn expiry(lifetime: Option<Duration>) -> Result<Option<DateTime<Utc>>, CommandError> {
    let Some(lifetime) = lifetime else {
        return Ok(None);
    };
    if lifetime.is_zero() {
        return Err(CommandError::invalid(
            "the session lifetime must be positive",
        ));
    }
    chrono::Duration::from_std(lifetime)
        .ok()
        .and_then(|d| Utc::now().checked_add_signed(d))
        .map(Some)
        .ok_or_else(|| CommandError::invalid("the session lifetime is too long"))
}

impl UserCheck {
    /// What the user gave to be identified, as login-flow plugins see it.
    fn login_name(&self) -> &str {
        match self {
            UserCheck::Id(id) | UserCheck::LoginName(id) => id.trim(),
        }
    }
}

/// What the login-flow plugins ask of a session's checks: `Ok(Some(plugin))`
/// when `plugin` requires a second factor.
///
/// # Errors
/// [`CommandError::Denied`] (`LOGIN_DENIED`) with the plugin's message.
fn gate_outcome(gate: Gate) -> Result<Option<String>, CommandError> {
    match gate {
        Gate::Allow => Ok(None),
        Gate::SecondFactor { plugin } => Ok(Some(plugin)),
        Gate::Deny { message, .. } => Err(CommandError::Denied {
            code: LOGIN_DENIED,
            message,
        }),
    }
}

impl Commands {
    /// Hands the command side what turns login names into user ids (the
    /// query side). Later calls change nothing.
    pub fn set_login_names(&self, login_names: Arc<dyn LoginNames>) {
        let _ = self.login_names.set(login_names);
    }

    /// Hands the command side the login-flow plugins' decisions on
    /// session checks. Later calls change nothing.
    pub fn set_login_gate(&self, gate: Arc<dyn LoginGate>) {
        let _ = self.login_gate.set(gate);
    }

    /// Runs the login-flow hooks on a session's checks: `before` when a
    /// check named the user, then the checks (`proofs`), then, once any
    /// passed, `after-authentication` with every method the session holds.
    /// Which checks passed, and the plugin that requires a second factor,
    /// if any.
    ///
    /// # Errors
    /// [`CommandError::Denied`] (`LOGIN_DENIED`) for a denial; a failing
    /// plugin's error (the login does not go on); the checks' own.
    async fn login_hooks(
        &self,
        login: &mut Login,
        named: bool,
        proofs: impl std::future::Future<Output = Result<Passed, CommandError>>,
    ) -> Result<(Passed, Option<String>), CommandError> {
        let gate = self.login_gate.get();
        let mut required = None;
        if let (Some(gate), true, Some(_)) = (gate, named, &login.user_id) {
            required = gate_outcome(gate.before_authentication(login).await?)?;
        }
        let passed = proofs.await?;
        for (held, method) in [
            (passed.password, METHOD_PASSWORD),
            (passed.totp || passed.recovery_code, METHOD_SECOND_FACTOR),
        ] {
            if held && !login.auth_methods.iter().any(|m| m == method) {
                login.auth_methods.push(method.to_owned());
            }
        }
        if let (Some(gate), true) = (gate, passed.any()) {
            let after = gate_outcome(gate.after_authentication(login).await?)?;
            required = required.or(after);
        }
        Ok((passed, required))
    }

    /// The user id `check` names.
    async fn resolve_user(
        &self,
        ctx: &CommandContext,
        check: &UserCheck,
    ) -> Result<String, CommandError> {
        match check {
            UserCheck::Id(id) => {
                let id = id.trim();
                if id.is_empty() {
                    return Err(CommandError::invalid("the user id must not be empty"));
                }
                Ok(id.to_owned())
            }
            UserCheck::LoginName(name) => {
                let resolver = self.login_names.get().ok_or_else(|| {
                    CommandError::Internal("login names cannot be resolved on this node".into())
                })?;
                resolver
                    .user_id(&ctx.instance_id, name)
                    .await?
                    .ok_or_else(|| CommandError::NotFound {
                        kind: "user",
                        id: name.trim().to_owned(),
                    })
            }
        }
    }

    /// Checks `user_id`'s `password` when there is one: whether it passed.
    async fn session_password(
        &self,
        ctx: &CommandContext,
        user_id: Option<&str>,
        password: Option<String>,
    ) -> Result<bool, CommandError> {
        let Some(password) = password else {
            return Ok(false);
        };
        let Some(user_id) = user_id else {
            return Err(CommandError::invalid("a password check needs a user check"));
        };
        self.check_password(ctx, user_id, CheckPassword { password })
            .await?;
        Ok(true)
    }

    /// Checks `checks`' password, then its second factor (a TOTP code or a
    /// recovery code, not both) of `user_id`: which passed. The first that
    /// fails fails the call.
    async fn session_proofs(
        &self,
        ctx: &CommandContext,
        user_id: Option<&str>,
        checks: SessionChecks,
    ) -> Result<Passed, CommandError> {
        if checks.totp.is_some() && checks.recovery_code.is_some() {
            return Err(CommandError::invalid(
                "check a TOTP code or a recovery code, not both",
            ));
        }
        let password = self.session_password(ctx, user_id, checks.password).await?;
        let second = checks.totp.as_ref().or(checks.recovery_code.as_ref());
        let (Some(code), Some(user_id)) = (second, user_id) else {
            if second.is_some() {
                return Err(CommandError::invalid(
                    "a second factor check needs a user check",
                ));
            }
            return Ok(Passed {
                password,
                ..Passed::default()
            });
        };
        if checks.totp.is_some() {
            self.check_totp(ctx, user_id, code.clone()).await?;
        } else {
            self.check_recovery_code(ctx, user_id, code.clone()).await?;
        }
        Ok(Passed {
            password,
            totp: checks.totp.is_some(),
            recovery_code: checks.recovery_code.is_some(),
        })
    }

    /// Creates a session with `checks`, living `lifetime` (until terminated
    /// when `None`), for the client `user_agent` describes. The answer holds
    /// the session's first token.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown user,
    /// [`CommandError::FailedPrecondition`] for an inactive, locked or
    /// machine user, [`CommandError::Mismatch`] (`PASSWORD_INVALID`,
    /// `TOTP_INVALID`, `RECOVERY_CODE_INVALID`) for a wrong password or
    /// code (recorded on the user, no session created),
    /// [`CommandError::FailedPrecondition`] for a second factor check of a
    /// user without a verified TOTP, [`CommandError::InvalidArgument`] for
    /// a password or code without a user, both codes, or a zero lifetime, [`CommandError::Rejected`] when a validator refuses.
    pub async fn create_session(
        &self,
        ctx: &CommandContext,
        checks: SessionChecks,
        lifetime: Option<Duration>,
        user_agent: Option<String>,
    ) -> Result<SessionWritten, CommandError> {
        let expires_at = expiry(lifetime)?;
        let user_id = match &checks.user {
            Some(check) => Some(self.resolve_user(ctx, check).await?),
            None => None,
        };
        let mut login = Login {
            instance_id: ctx.instance_id.clone(),
            user_id: user_id.clone(),
            login_name: checks
                .user
                .as_ref()
                .map(|c| c.login_name().to_owned())
                .unwrap_or_default(),
            user_agent: user_agent.clone(),
            ..Login::default()
        };
        let names_user = checks.user.is_some();
        let proofs = self.session_proofs(ctx, user_id.as_deref(), checks);
        let (passed, second_factor) = self.login_hooks(&mut login, names_user, proofs).await?;
        let second_factor_required = second_factor.is_some();
        let payload = CreateSession {
            user_id,
            check_password: passed.password,
            check_totp: passed.totp,
            check_recovery_code: passed.recovery_code,
            lifetime_seconds: lifetime.map(|l| l.as_secs()),
            user_agent: user_agent
                .map(|ua| ua.trim().to_owned())
                .filter(|ua| !ua.is_empty()),
        };
        let session_id = new_id();
        let cmd = CreateSessionCommand::new(
            &session_id,
            payload,
            passed,
            expires_at,
            token::new_secret(),
        )
        .requiring_second_factor(second_factor);
        let written = self.execute(ctx, &cmd).await?;
        Ok(SessionWritten {
            written,
            token: cmd.token().to_owned(),
            session_id,
            second_factor_required,
        })
    }

    /// Adds `checks` to session `session_id`, presented with
    /// `session_token`, and replaces its token (the answer holds the new
    /// one); with a `lifetime`, the session expires that long from now.
    ///
    /// # Errors
    /// [`CommandError::Denied`] (`SESSION_TOKEN_INVALID`) for a wrong token,
    /// [`CommandError::FailedPrecondition`] for a terminated or expired
    /// session, a check of another user than the session's, or an
    /// inactive or locked user, [`CommandError::NotFound`] for an unknown
    /// session or user, [`CommandError::Mismatch`] for a wrong password or
    /// code.
    pub async fn set_session(
        &self,
        ctx: &CommandContext,
        session_id: &str,
        session_token: &str,
        checks: SessionChecks,
        lifetime: Option<Duration>,
    ) -> Result<SessionWritten, CommandError> {
        let expires_at = match lifetime {
            Some(_) => Some(expiry(lifetime)?),
            None => None,
        };
        // The token and the session's state first: a password is checked
        // only for whoever holds the session.
        let aggregate = AggregateRef::new(&ctx.instance_id, AGGREGATE_TYPE, session_id);
        let source = StoreSource(self.store.as_ref());
        let session = write_model::load::<SessionModel>(&source, &aggregate)
            .await?
            .model;
        if !session.exists() {
            return Err(CommandError::NotFound {
                kind: AGGREGATE_TYPE,
                id: session_id.to_owned(),
            });
        }
        session.require_token(session_token)?;
        session.require_usable(Utc::now())?;
        let named = match &checks.user {
            Some(check) => Some(self.resolve_user(ctx, check).await?),
            None => None,
        };
        let user_id = same_user(&session, named.as_deref())?;
        let mut login = Login {
            instance_id: ctx.instance_id.clone(),
            org_id: session.org_id.clone(),
            user_id: user_id.clone(),
            login_name: checks
                .user
                .as_ref()
                .map(UserCheck::login_name)
                .or(user_id.as_deref())
                .unwrap_or_default()
                .to_owned(),
            auth_methods: session.auth_methods(),
            ..Login::default()
        };
        let names_user = checks.user.is_some();
        let proofs = self.session_proofs(ctx, user_id.as_deref(), checks);
        let (passed, second_factor) = self.login_hooks(&mut login, names_user, proofs).await?;
        let second_factor_required = session.second_factor_required || second_factor.is_some();
        let second_factor = second_factor.filter(|_| !session.second_factor_required);
        let payload = SetSession {
            user_id: named,
            check_password: passed.password,
            check_totp: passed.totp,
            check_recovery_code: passed.recovery_code,
            lifetime_seconds: lifetime.map(|l| l.as_secs()),
        };
        let cmd = SetSessionCommand::new(
            session_id,
            session_token,
            payload,
            passed,
            expires_at,
            token::new_secret(),
        )
        .requiring_second_factor(second_factor);
        let written = self.execute(ctx, &cmd).await?;
        Ok(SessionWritten {
            written,
            token: cmd.token().to_owned(),
            session_id: session_id.to_owned(),
            second_factor_required,
        })
    }

    /// Terminates session `session_id`: its token stops working. With
    /// `session_token`, only its holder may; `None` is for callers the API
    /// edge allowed to terminate any session (`session.delete`).
    ///
    /// # Errors
    /// [`CommandError::Denied`] (`SESSION_TOKEN_INVALID`) for a wrong token,
    /// [`CommandError::FailedPrecondition`] for a session already
    /// terminated, [`CommandError::NotFound`] for an unknown one.
    pub async fn terminate_session(
        &self,
        ctx: &CommandContext,
        session_id: &str,
        session_token: Option<&str>,
    ) -> Result<Written, CommandError> {
        self.execute(
            ctx,
            &TerminateSessionCommand::new(session_id, session_token),
        )
        .await
    }
}
