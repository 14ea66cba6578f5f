//! The hosted login's two cookies, both `HttpOnly`, `Secure` when the
//! server is reached over https (`Oidc.ExternalSecure`):
//!
//! - `rampart_login`: the browser's session, `<session id>.<token>`
//!   (`SameSite=Lax`, so it comes along when an application sends the
//!   browser back to log in). The token rotates with every check, as the
//!   session API's does.
//! - `rampart_csrf`: a random value every form repeats in a hidden field
//!   (`SameSite=Strict`, path `/ui/login/`): a form posted from another
//!   site has neither, and is refused.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::auth::token::{new_secret, secret_matches};

/// The session cookie.
pub(super) const SESSION: &str = "rampart_login";
/// The CSRF cookie.
pub(super) const CSRF: &str = "rampart_csrf";

/// How long the session cookie is kept: the login's session lives as long.
pub(super) const SESSION_MAX_AGE_SECS: u64 = 12 * 3600;

/// The value of cookie `name` in `headers`, if sent.
pub(super) fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value.
fn set(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: u64,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session cookie holding `session_id` and `token`.
pub(super) fn session(session_id: &str, token: &str, secure: bool) -> HeaderValue {
    set(
        SESSION,
        &format!("{session_id}.{token}"),
        "/",
        "Lax",
        SESSION_MAX_AGE_SECS,
        secure,
    )
}

/// The session cookie's session id and token.
pub(super) fn session_of(headers: &HeaderMap) -> Option<(String, String)> {
    let value = get(headers, SESSION)?;
    let (id, token) = value.split_once('.')?;
    Some((id.to_owned(), token.to_owned()))
}

/// Removes the session cookie.
pub(super) fn forget_session(secure: bool) -> HeaderValue {
    set(SESSION, "", "/", "Lax", 0, secure)
}

/// The CSRF value of a page: the browser's, or a new one to set (with its
/// `Set-Cookie`).
pub(super) fn csrf(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match get(headers, CSRF) {
        Some(value) => (value, None),
        None => {
            let value = new_secret().plain;
            let cookie = set(CSRF, &value, super::LOGIN_PATH, "Strict", 3600, secure);
            (value, Some(cookie))
        }
    }
}

/// Whether a posted form's `field` repeats the browser's CSRF cookie.
pub(super) fn csrf_holds(headers: &HeaderMap, field: Option<&str>) -> bool {
    match (get(headers, CSRF), field) {
        (Some(cookie), Some(field)) if !field.is_empty() => {
            secret_matches(&crate::auth::token::digest(&cookie), field)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn given_a_session_cookie_when_read_then_id_and_token_come_back() {
        let headers = with_cookie("a=b; rampart_login=s1.t0k; rampart_csrf=c");
        assert_eq!(session_of(&headers), Some(("s1".into(), "t0k".into())));
        assert_eq!(get(&headers, CSRF).as_deref(), Some("c"));
    }

    #[test]
    fn given_a_form_when_its_csrf_field_differs_from_the_cookie_then_it_does_not_hold() {
        let headers = with_cookie("rampart_csrf=abc");
        assert!(csrf_holds(&headers, Some("abc")));
        assert!(!csrf_holds(&headers, Some("abd")));
        assert!(!csrf_holds(&headers, None));
        assert!(!csrf_holds(&HeaderMap::new(), Some("abc")));
    }

    #[test]
    fn given_a_cookie_when_set_then_it_is_http_only_with_its_same_site() {
        let cookie = session("s1", "t", true);
        let text = cookie.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure")
        );
        let (_, set) = csrf(&HeaderMap::new(), false);
        let text = set.unwrap().to_str().unwrap().to_owned();
        assert!(
            text.contains("SameSite=Strict") && !text.contains("Secure"),
            "{text}"
        );
    }
}
