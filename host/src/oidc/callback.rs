//! # Finishing auth requests from a login UI
//!
//! What `rampart.oidc.v1.OidcService` does, without the API around it:
//! - [`Provider::auth_request_view`]: what a login UI needs to render a
//!   request (the application, scopes, `login_hint`, `prompt`,
//!   `ui_locales`, `max_age`);
//! - [`Provider::callback_with_session`]: the request is finished with a
//!   session whose user and password checks satisfy it; the answer is the
//!   redirect URI with `code`, `state` and `iss` (RFC 9207). The
//!   login-flow plugins' `after-authentication` runs first, told the client
//!   and scopes: it may deny, or require a second factor, as may the login
//!   settings in effect for the user's organization (`forceMfa`) and an
//!   earlier hook that recorded the requirement on the session;
//! - [`Provider::callback_with_error`]: the request is finished with an
//!   error (e.g. `access_denied`), sent to the redirect URI the same way.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::auth_request::{
    self, AuthRequestAdded, AuthRequestError, CODE_ADDED, FAILED, Failed, redirect_with,
};
use super::session::LoginSession;
use super::{OidcError, Provider};
use crate::login_flow::{Gate, Login, LoginFlowError, LoginGate as _};

/// The errors a login UI may finish a request with (OpenID Connect Core
/// §3.1.2.6, RFC 6749 §4.1.2.1).
pub const CALLBACK_ERRORS: &[&str] = &[
    "access_denied",
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
    "server_error",
    "temporarily_unavailable",
];

/// Why finishing or reading a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallbackError {
    /// The request's state refuses it.
    #[error(transparent)]
    Request(#[from] AuthRequestError),
    /// The session id and token name no live session.
    #[error("the session does not exist, has ended, or its token is wrong")]
    Session,
    /// A login-flow plugin refused the login; its message is for the user.
    #[error("{0}")]
    Denied(String),
    /// The session has not passed the second factor this login requires.
    #[error(
        "this login requires a second factor: check the user's TOTP or a recovery code in the session, then finish the request again"
    )]
    SecondFactorRequired,
    /// A login-flow plugin failed: the login does not go on.
    #[error(transparent)]
    LoginFlow(Arc<LoginFlowError>),
    /// The error code is not one a login UI may send.
    #[error("the error {0:?} is not one of {CALLBACK_ERRORS:?}")]
    UnknownError(String),
    /// The store or query side failed.
    #[error(transparent)]
    Oidc(#[from] OidcError),
}

impl From<LoginFlowError> for CallbackError {
    fn from(error: LoginFlowError) -> Self {
        Self::LoginFlow(Arc::new(error))
    }
}

impl From<crate::eventstore::StoreError> for CallbackError {
    fn from(error: crate::eventstore::StoreError) -> Self {
        Self::Oidc(error.into())
    }
}

/// An auth request as a login UI renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequestView {
    /// Its id.
    pub id: String,
    /// The application's client id.
    pub client_id: String,
    /// The application's name.
    pub app_name: String,
    /// The application's project.
    pub project_id: String,
    /// The redirect URI the answer goes to.
    pub redirect_uri: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// `prompt` values.
    pub prompt: Vec<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `ui_locales`.
    pub ui_locales: Vec<String>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it can no longer be finished.
    pub expires_at: DateTime<Utc>,
}

impl Provider {
    /// Request `id` of `instance_id`, while it can be finished.
    ///
    /// # Errors
    /// [`CallbackError::Request`] for an unknown, finished or expired
    /// request; the store's.
    pub async fn auth_request_view(
        &self,
        instance_id: &str,
        id: &str,
    ) -> Result<AuthRequestView, CallbackError> {
        let model = auth_request::load(self.store.as_ref(), instance_id, id).await?;
        let request = model.pending(Utc::now())?;
        let app_name = self
            .queries
            .client(instance_id, &request.client_id)
            .await
            .map_err(OidcError::from)?
            .map(|c| (c.name, c.project_id));
        let (app_name, project_id) = app_name.unwrap_or_default();
        Ok(AuthRequestView {
            id: id.to_owned(),
            client_id: request.client_id.clone(),
            app_name,
            project_id,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.clone(),
            prompt: request.prompt.clone(),
            login_hint: request.login_hint.clone(),
            ui_locales: request.ui_locales.clone(),
            max_age: request.max_age,
            created_at: request.created_at,
            expires_at: request.created_at + auth_request::REQUEST_LIFETIME,
        })
    }

    /// Finishes request `id` with session `session_id`, presented with
    /// `session_token`, by `actor` (the login UI's principal): the URL to
    /// send the browser to, with the code.
    ///
    /// # Errors
    /// [`CallbackError::Session`] for a session that does not hold;
    /// [`CallbackError::Request`] when the request or the session's
    /// checks do not allow it; the store's.
    pub async fn callback_with_session(
        &self,
        instance_id: &str,
        id: &str,
        session_id: &str,
        session_token: &str,
        actor: &str,
    ) -> Result<String, CallbackError> {
        let model = auth_request::load(self.store.as_ref(), instance_id, id).await?;
        model.pending(Utc::now())?;
        let session = self
            .sessions
            .authenticated(instance_id, session_id, session_token)
            .await?
            .ok_or(CallbackError::Session)?;
        let request = model.request.as_ref().ok_or(AuthRequestError::NotFound)?;
        let (code, hash) = auth_request::new_code(id);
        let added = model.finish(&session, hash, Utc::now())?;
        self.admit(instance_id, request, &session).await?;
        auth_request::append(
            self.store.as_ref(),
            instance_id,
            &model,
            CODE_ADDED,
            &added,
            actor,
        )
        .await?;
        Ok(answer(request, &[("code", &code)]))
    }

    /// Whether `session` may finish `request`: the login-flow plugins'
    /// `after-authentication` for the request's client and scopes, then
    /// the second factor that a plugin or the login settings require.
    ///
    /// # Errors
    /// [`CallbackError::Denied`], [`CallbackError::SecondFactorRequired`],
    /// [`CallbackError::LoginFlow`] (fail closed).
    async fn admit(
        &self,
        instance_id: &str,
        request: &AuthRequestAdded,
        session: &LoginSession,
    ) -> Result<(), CallbackError> {
        let mut second_factor = session.second_factor_required;
        if let Some(flows) = &self.login_flows {
            let login = Login {
                instance_id: instance_id.to_owned(),
                org_id: Some(session.org_id.clone()),
                user_id: Some(session.user_id.clone()),
                login_name: session.user_id.clone(),
                client_id: Some(request.client_id.clone()),
                auth_methods: session.auth_methods(),
                requested_scopes: request.scopes.clone(),
                ..Login::default()
            };
            match flows.after_authentication(&login).await? {
                Gate::Allow => {}
                Gate::Deny { message, .. } => return Err(CallbackError::Denied(message)),
                Gate::SecondFactor { .. } => second_factor = true,
            }
        }
        if !second_factor {
            second_factor = self
                .queries
                .org_settings(instance_id, &session.org_id)
                .await
                .map_err(OidcError::from)?
                .is_some_and(|s| s.settings.login.force_mfa);
        }
        if second_factor && session.second_factor_checked_at.is_none() {
            return Err(CallbackError::SecondFactorRequired);
        }
        Ok(())
    }

    /// Finishes request `id` with `error` (one of [`CALLBACK_ERRORS`]) and
    /// its `description`: the URL to send the browser to.
    ///
    /// # Errors
    /// [`CallbackError::UnknownError`]; [`CallbackError::Request`] for a
    /// request that cannot be finished; the store's.
    pub async fn callback_with_error(
        &self,
        instance_id: &str,
        id: &str,
        error: &str,
        description: Option<&str>,
        actor: &str,
    ) -> Result<String, CallbackError> {
        if !CALLBACK_ERRORS.contains(&error) {
            return Err(CallbackError::UnknownError(error.to_owned()));
        }
        let model = auth_request::load(self.store.as_ref(), instance_id, id).await?;
        let request = model.pending(Utc::now())?.clone();
        let failed = Failed {
            error: error.to_owned(),
            description: description.map(str::to_owned),
        };
        auth_request::append(
            self.store.as_ref(),
            instance_id,
            &model,
            FAILED,
            &failed,
            actor,
        )
        .await?;
        let mut params = vec![("error", error)];
        if let Some(description) = description {
            params.push(("error_description", description));
        }
        Ok(answer(&request, &params))
    }
}

/// The authorization response to `request`: `params`, then `state` and
/// `iss`.
fn answer(request: &AuthRequestAdded, params: &[(&str, &str)]) -> String {
    let mut query = params.to_vec();
    if let Some(state) = &request.state {
        query.push(("state", state));
    }
    query.push(("iss", &request.issuer));
    redirect_with(&request.redirect_uri, &query)
}
