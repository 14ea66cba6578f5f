//! The OAuth 2.0 and OpenID Connect endpoints of the real server, on SQLite
//! and PostgreSQL.
//!
//! - `machine`: discovery, the JWKS, the machine users' grants (JWT bearer
//!   with a key file, client credentials with a secret), access tokens used
//!   on the API, introspection by an API application, revocation, and the
//!   refusals (bad assertions, wrong secrets, other instances).
//! - `code_flow`: a human user's login through a real relying party (the
//!   `openidconnect` crate): authorize, a login UI finishing the auth
//!   request with a session, the code exchange with PKCE, the ID token,
//!   userinfo, refresh rotation and reuse detection, RP-initiated logout,
//!   and the refusals.
//! - `hosted_login`: the hosted login pages in a browser's place: forms,
//!   cookies, CSRF, errors in English and German, back to the app.
//! - `login_flow`: login-flow plugins in that login: the shipped examples
//!   (a second factor for a role's holders, claims from metadata), a
//!   probe that shows what hooks are told, denials, and plugins that trap
//!   or spin failing closed.

mod code_flow;
mod hosted_login;
mod login_flow;
mod machine;

use reqwest::StatusCode;
use serde_json::Value;

/// A form POST to `path` of `url` (with `Host: host` when given), with
/// HTTP Basic credentials when given; the status and the JSON body.
pub async fn post_form(
    url: &str,
    path: &str,
    host: Option<&str>,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .form(form);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A GET of `path` of `url`; the status and the JSON body.
pub async fn get_json(url: &str, path: &str) -> (StatusCode, Value) {
    let response = reqwest::get(format!("{url}{path}"))
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
