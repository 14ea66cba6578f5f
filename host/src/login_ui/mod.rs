//! # The hosted login
//!
//! Server-rendered pages at `/ui/login/` (the default `Oidc.LoginUrl`)
//! that log a user in to an application without any JavaScript: the
//! authorize endpoint sends the browser here with the auth request's id,
//! and the journey is
//!
//! 1. `GET /ui/login/?authRequest=…`: who signs in (`login_hint` filled in);
//! 2. `POST /ui/login/username`: a session with a user check (the
//!    login-flow plugins' `before-authentication` decides), its id and
//!    token in the `rampart_login` cookie ([`cookies`]);
//! 3. `GET /ui/login/password` and `POST /ui/login/password`: the
//!    password check on that session (a wrong one counts toward the
//!    lockout settings), then the auth request is finished with the
//!    session and the browser goes back to the application (303);
//! 4. when the login needs a second factor (a login-flow plugin, or the
//!    login settings' `forceMfa`): `GET`/`POST /ui/login/second-factor`, a
//!    TOTP code or a recovery code checked on the session (wrong ones count
//!    toward `maxOtpAttempts`), then back to the application.
//!
//! It is a client of the same session logic as the session API
//! ([`Commands::create_session`], [`Commands::set_session`],
//! [`Provider::callback_with_session`]), acting as [`ACTOR`]. Every form
//! carries a CSRF value that must repeat the browser's `rampart_csrf`
//! cookie. Pages speak English or German ([`text`]), and every error is
//! shown on the page it happened on. Every form post counts toward the
//! attempt limits per client address and per login name ([`throttle`]).

mod cookies;
pub mod page;
pub mod text;
pub mod throttle;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use self::page::Page;
use self::text::{Lang, Text};
use crate::command::session::{LOGIN_DENIED, model::TOKEN_INVALID};
use crate::command::user::PASSWORD_INVALID;
use crate::command::{CommandContext, CommandError, SessionChecks, UserCheck};
use crate::oidc::callback::{AuthRequestView, CallbackError};
use crate::oidc::{Located, Provider, form, locate};
use crate::server::AppState;

/// The first page, and `Oidc.LoginUrl`'s default path.
pub const LOGIN_PATH: &str = "/ui/login/";
/// Where the first form posts.
const USERNAME_PATH: &str = "/ui/login/username";
/// The password page, and where its form posts.
const PASSWORD_PATH: &str = "/ui/login/password";
/// The second-factor page, and where its form posts.
const SECOND_FACTOR_PATH: &str = "/ui/login/second-factor";

/// The creator of the events the hosted login writes.
pub const ACTOR: &str = "hosted-login";

/// How long a session the hosted login starts lives.
const SESSION_LIFETIME: Duration = Duration::from_secs(cookies::SESSION_MAX_AGE_SECS);

/// The session id and token of the browser's hosted-login session, if it
/// sent one (the authorize endpoint's single sign-on).
pub fn browser_session(headers: &HeaderMap) -> Option<(String, String)> {
    cookies::session_of(headers)
}

/// The hosted login's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(LOGIN_PATH, get(show_username))
        .route(USERNAME_PATH, axum::routing::post(post_username))
        .route(PASSWORD_PATH, get(show_password).post(post_password))
        .route(
            SECOND_FACTOR_PATH,
            get(show_second_factor).post(post_second_factor),
        )
}

/// A request of the hosted login: where it is served and the auth request
/// it finishes.
struct Visit {
    located: Located,
    request: AuthRequestView,
    lang: Lang,
    secure: bool,
    csrf: String,
    set_csrf: Option<HeaderValue>,
}

impl Visit {
    fn text(&self) -> &'static Text {
        self.lang.text()
    }

    /// `page` as the answer, with `status` and `cookies`.
    fn page(&self, status: StatusCode, page: &Page, cookies: &[HeaderValue]) -> Response {
        let cookies: Vec<_> = self.set_csrf.iter().chain(cookies).cloned().collect();
        html(status, page.render(self.lang, &self.csrf), &cookies)
    }

    fn username_page(&self, login_name: &str, error: Option<String>) -> Page {
        Page::Username {
            auth_request: self.request.id.clone(),
            app_name: self.request.app_name.clone(),
            login_name: login_name.to_owned(),
            error,
        }
    }

    fn password_page(&self, username: String, error: Option<String>) -> Page {
        Page::Password {
            auth_request: self.request.id.clone(),
            app_name: self.request.app_name.clone(),
            username,
            error,
        }
    }

    fn second_factor_page(&self, username: String, error: Option<String>) -> Page {
        Page::SecondFactor {
            auth_request: self.request.id.clone(),
            app_name: self.request.app_name.clone(),
            username,
            error,
        }
    }

    /// `path` of this auth request.
    fn step(&self, path: &str) -> String {
        format!("{path}?authRequest={}", encode(&self.request.id))
    }

    fn command_context(&self) -> CommandContext {
        CommandContext::new(&self.located.instance_id, ACTOR)
    }

    fn provider(&self) -> &Provider {
        &self.located.provider
    }

    /// A `429` page when an attempt about `login_name` from the client
    /// (`peer`, or as `headers` forward it) is over a limit.
    fn throttled(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        login_name: &str,
    ) -> Option<Response> {
        let throttle = self.provider().login_throttle();
        let client = throttle.client(peer, headers);
        if throttle.admit(client.as_deref(), login_name) {
            return None;
        }
        tracing::info!(client = ?client, "hosted login attempts over the limit");
        let page = Page::Problem {
            message: self.text().too_many_attempts.to_owned(),
        };
        let mut response = self.page(StatusCode::TOO_MANY_REQUESTS, &page, &[]);
        let retry = throttle.window().as_secs().max(1).to_string();
        if let Ok(value) = HeaderValue::from_str(&retry) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        Some(response)
    }

    /// Back to the first page (the session cookie was missing or stale).
    fn start_over(&self) -> Response {
        see_other(
            &self.step(LOGIN_PATH),
            &[cookies::forget_session(self.secure)],
        )
    }
}

/// Opens the visit of auth request `id`; a dead end is answered as a page.
async fn visit(state: &AppState, headers: &HeaderMap, id: Option<&str>) -> Result<Visit, Response> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let fallback = text::pick(&[], accept);
    let problem = |status: StatusCode, message: &str| {
        let page = Page::Problem {
            message: message.to_owned(),
        };
        html(status, page.render(fallback, ""), &[])
    };
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            fallback.text().request_closed,
        ));
    };
    let located = match locate(state, headers).await {
        Ok(located) => located,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Err(problem(StatusCode::NOT_FOUND, &e.description));
        }
        Err(e) => {
            tracing::warn!(error = %e, "the hosted login cannot serve");
            return Err(problem(e.status, fallback.text().unavailable));
        }
    };
    let request = match located
        .provider
        .auth_request_view(&located.instance_id, id)
        .await
    {
        Ok(request) => request,
        Err(CallbackError::Request(_)) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                fallback.text().request_closed,
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, "the hosted login cannot read an auth request");
            return Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                fallback.text().unavailable,
            ));
        }
    };
    let lang = text::pick(&request.ui_locales, accept);
    let secure = located.provider.external_secure();
    let (csrf, set_csrf) = cookies::csrf(headers, secure);
    Ok(Visit {
        located,
        request,
        lang,
        secure,
        csrf,
        set_csrf,
    })
}

/// The posted form of the hosted login, once its CSRF value held.
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Visit, BTreeMap<String, String>), Response> {
    let fields = form(headers, body).unwrap_or_default();
    let visit = visit(
        state,
        headers,
        fields.get("authRequest").map(String::as_str),
    )
    .await?;
    if !cookies::csrf_holds(headers, fields.get("csrf").map(String::as_str)) {
        // A fresh CSRF cookie, and the form again.
        let (csrf, set) = cookies::csrf(&HeaderMap::new(), visit.secure);
        let visit = Visit {
            csrf,
            set_csrf: set,
            ..visit
        };
        let page = visit.username_page("", Some(visit.text().form_expired.to_owned()));
        return Err(visit.page(StatusCode::FORBIDDEN, &page, &[]));
    }
    Ok((visit, fields))
}

/// `GET /ui/login/`: who signs in.
async fn show_username(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let visit = match visit(
        &state,
        &headers,
        query.get("authRequest").map(String::as_str),
    )
    .await
    {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let hint = visit.request.login_hint.clone().unwrap_or_default();
    visit.page(StatusCode::OK, &visit.username_page(&hint, None), &[])
}

/// `POST /ui/login/username`: a session with the named user.
async fn post_username(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (visit, fields) = match posted(&state, &headers, &body).await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let name = fields
        .get("loginName")
        .map(|n| n.trim())
        .unwrap_or_default();
    if name.is_empty() {
        let page = visit.username_page(name, Some(visit.text().empty.to_owned()));
        return visit.page(StatusCode::BAD_REQUEST, &page, &[]);
    }
    if let Some(refused) = visit.throttled(peer.map(|p| p.0.0), &headers, name) {
        return refused;
    }
    let Ok(commands) = state.cqrs().map(|c| c.commands.clone()) else {
        let page = visit.username_page(name, Some(visit.text().unavailable.to_owned()));
        return visit.page(StatusCode::SERVICE_UNAVAILABLE, &page, &[]);
    };
    let checks = SessionChecks {
        user: Some(UserCheck::LoginName(name.to_owned())),
        ..SessionChecks::default()
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match commands
        .create_session(
            &visit.command_context(),
            checks,
            Some(SESSION_LIFETIME),
            user_agent,
        )
        .await
    {
        Ok(created) => see_other(
            &visit.step(PASSWORD_PATH),
            &visit
                .set_csrf
                .iter()
                .cloned()
                .chain([cookies::session(
                    &created.session_id,
                    &created.token,
                    visit.secure,
                )])
                .collect::<Vec<_>>(),
        ),
        Err(error) => {
            let (status, message) = refusal(visit.text(), &error);
            visit.page(status, &visit.username_page(name, Some(message)), &[])
        }
    }
}

/// The username of the browser's session, while it holds.
async fn username(visit: &Visit, headers: &HeaderMap) -> Option<String> {
    let (id, token) = cookies::session_of(headers)?;
    let instance = &visit.located.instance_id;
    let session = visit
        .provider()
        .login_session(instance, &id, &token)
        .await
        .ok()??;
    let subject = visit
        .provider()
        .queries()
        .subject(instance, &session.user_id)
        .await
        .ok()??;
    Some(subject.username)
}

/// The step a session check was made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Password,
    SecondFactor,
}

/// Finishes the auth request with the session (its token just rotated):
/// back to the application, or on to the second factor it still needs.
async fn finish(visit: &Visit, session_id: &str, token: &str, step: Step) -> Response {
    let cookie = cookies::session(session_id, token, visit.secure);
    let finished = visit
        .provider()
        .callback_with_session(
            &visit.located.instance_id,
            &visit.request.id,
            session_id,
            token,
            ACTOR,
        )
        .await;
    let t = visit.text();
    let problem = |status, message: &str| {
        let page = Page::Problem {
            message: message.to_owned(),
        };
        visit.page(status, &page, std::slice::from_ref(&cookie))
    };
    match finished {
        Ok(url) => see_other(&url, std::slice::from_ref(&cookie)),
        Err(CallbackError::SecondFactorRequired) if step == Step::Password => see_other(
            &visit.step(SECOND_FACTOR_PATH),
            std::slice::from_ref(&cookie),
        ),
        Err(CallbackError::SecondFactorRequired) => {
            problem(StatusCode::FORBIDDEN, t.second_factor_required)
        }
        Err(CallbackError::Denied(message)) => problem(StatusCode::FORBIDDEN, &message),
        Err(CallbackError::Request(_)) => problem(StatusCode::BAD_REQUEST, t.request_closed),
        Err(CallbackError::Session) => visit.start_over(),
        Err(error) => {
            tracing::warn!(%error, "the hosted login could not finish an auth request");
            problem(StatusCode::SERVICE_UNAVAILABLE, t.unavailable)
        }
    }
}

/// `GET /ui/login/password`: the password of the session's user.
async fn show_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    show_step(&state, &headers, &query, Visit::password_page).await
}

/// `POST /ui/login/password`: the password check, then back to the app.
async fn post_password(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checks = |password| SessionChecks {
        password: Some(password),
        ..SessionChecks::default()
    };
    let step = (Step::Password, Visit::password_page as StepPage);
    let posted = Posted {
        peer: peer.map(|p| p.0.0),
        headers: &headers,
        body: &body,
    };
    post_step(&state, posted, "password", step, checks).await
}

/// `GET /ui/login/second-factor`: a code for the session's user.
async fn show_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    show_step(&state, &headers, &query, Visit::second_factor_page).await
}

/// `POST /ui/login/second-factor`: a TOTP code (six digits) or a recovery
/// code, then back to the app.
async fn post_second_factor(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checks = |code: String| {
        let code = code.trim().to_owned();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            SessionChecks {
                totp: Some(code),
                ..SessionChecks::default()
            }
        } else {
            SessionChecks {
                recovery_code: Some(code),
                ..SessionChecks::default()
            }
        }
    };
    let step = (Step::SecondFactor, Visit::second_factor_page as StepPage);
    let posted = Posted {
        peer: peer.map(|p| p.0.0),
        headers: &headers,
        body: &body,
    };
    post_step(&state, posted, "code", step, checks).await
}

/// A form post as it arrived: from whom, with what.
struct Posted<'a> {
    peer: Option<SocketAddr>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// The page of a step on the browser's session, for its user, with an
/// error if any.
type StepPage = fn(&Visit, String, Option<String>) -> Page;

/// Shows the page of a step on the browser's session (back to the first
/// page without one).
async fn show_step(
    state: &AppState,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
    page: StepPage,
) -> Response {
    let visit = match visit(state, headers, query.get("authRequest").map(String::as_str)).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    match username(&visit, headers).await {
        Some(username) => visit.page(StatusCode::OK, &page(&visit, username, None), &[]),
        None => visit.start_over(),
    }
}

/// Checks the posted `field` (made into `checks`) on the browser's
/// session in `step`, then finishes the auth request; a refusal is said on
/// the step's page.
async fn post_step(
    state: &AppState,
    Posted {
        peer,
        headers,
        body,
    }: Posted<'_>,
    field: &str,
    (step, page): (Step, StepPage),
    checks: impl FnOnce(String) -> SessionChecks,
) -> Response {
    let (visit, fields) = match posted(state, headers, body).await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let (Some((session_id, token)), Some(username)) = (
        cookies::session_of(headers),
        username(&visit, headers).await,
    ) else {
        return visit.start_over();
    };
    if let Some(refused) = visit.throttled(peer, headers, &username) {
        return refused;
    }
    let value = fields.get(field).cloned().unwrap_or_default();
    if value.trim().is_empty() {
        let page = page(&visit, username, Some(visit.text().empty.to_owned()));
        return visit.page(StatusCode::BAD_REQUEST, &page, &[]);
    }
    let Ok(commands) = state.cqrs().map(|c| c.commands.clone()) else {
        let page = page(&visit, username, Some(visit.text().unavailable.to_owned()));
        return visit.page(StatusCode::SERVICE_UNAVAILABLE, &page, &[]);
    };
    match commands
        .set_session(
            &visit.command_context(),
            &session_id,
            &token,
            checks(value),
            None,
        )
        .await
    {
        Ok(set) => finish(&visit, &session_id, &set.token, step).await,
        Err(CommandError::Denied {
            code: TOKEN_INVALID,
            ..
        })
        | Err(CommandError::NotFound { .. }) => visit.start_over(),
        Err(error) => {
            let (status, message) = refusal(visit.text(), &error);
            visit.page(status, &page(&visit, username, Some(message)), &[])
        }
    }
}

/// What the user is told when a session check is refused, and the status.
fn refusal(t: &Text, error: &CommandError) -> (StatusCode, String) {
    match error {
        CommandError::NotFound { kind: "user", .. } => {
            (StatusCode::BAD_REQUEST, t.unknown_user.to_owned())
        }
        CommandError::Mismatch {
            code: PASSWORD_INVALID,
            ..
        } => (StatusCode::BAD_REQUEST, t.wrong_password.to_owned()),
        CommandError::Mismatch { .. } => (StatusCode::BAD_REQUEST, t.wrong_code.to_owned()),
        // The one precondition that is not about the user's state: a
        // second factor checked for a user who has none.
        CommandError::FailedPrecondition(message) if message.contains("TOTP") => {
            (StatusCode::FORBIDDEN, t.second_factor_required.to_owned())
        }
        CommandError::FailedPrecondition(_) => {
            (StatusCode::BAD_REQUEST, t.user_unusable.to_owned())
        }
        CommandError::Denied {
            code: LOGIN_DENIED,
            message,
        } => (StatusCode::FORBIDDEN, message.clone()),
        CommandError::InvalidArgument(_) => (StatusCode::BAD_REQUEST, t.unknown_user.to_owned()),
        other => {
            tracing::warn!(error = %other, "the hosted login could not check a session");
            (StatusCode::SERVICE_UNAVAILABLE, t.unavailable.to_owned())
        }
    }
}

/// `text` percent-encoded for a query value.
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The headers every page carries: no caching, no framing, no scripts, no
/// referrer leaving the page.
fn protect(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
}

/// An HTML answer with `cookies` set.
fn html(status: StatusCode, body: String, cookies: &[HeaderValue]) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    protect(headers);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// `303 See Other` to `location`, with `cookies` set.
fn see_other(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    protect(headers);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
    response
}
