//! Given the events of an auth request, when a login UI finishes it or a
//! client exchanges its code, then which event follows or which error.

use chrono::{TimeDelta, Utc};

use super::*;
use crate::eventstore::{AggregateRef, Event, Position};

const CLIENT: &str = "app@project";
const REDIRECT: &str = "https://rp.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9qR8mb9xjxOkTqEYi8LdeOFcLC7QbE3tUtdQaA";

fn event(sequence: u64, event_type: &str, payload: serde_json::Value) -> Event {
    Event {
        position: Position::default(),
        aggregate: AggregateRef::new("inst", AGGREGATE_TYPE, "req"),
        sequence,
        event_type: event_type.to_owned(),
        revision: 1,
        payload,
        creator: CLIENT.to_owned(),
        created_at: Utc::now(),
    }
}

fn request(created_at: DateTime<Utc>) -> AuthRequestAdded {
    AuthRequestAdded {
        issuer: "https://idp.example".into(),
        client_id: CLIENT.into(),
        redirect_uri: REDIRECT.into(),
        scopes: vec!["openid".into()],
        state: Some("xyz".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some(s256(VERIFIER)),
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        ui_locales: Vec::new(),
        created_at,
    }
}

fn given(events: Vec<(&str, serde_json::Value)>) -> AuthRequestModel {
    let events: Vec<Event> = events
        .into_iter()
        .enumerate()
        .map(|(i, (t, p))| event(i as u64 + 1, t, p))
        .collect();
    AuthRequestModel::fold("req", &events)
}

fn added(request: &AuthRequestAdded) -> (&'static str, serde_json::Value) {
    (ADDED, serde_json::to_value(request).unwrap())
}

fn session(password_checked: DateTime<Utc>) -> LoginSession {
    LoginSession {
        session_id: "sess".into(),
        user_id: "ada".into(),
        org_id: "org".into(),
        password_checked_at: Some(password_checked),
        second_factor_checked_at: None,
        user_active: true,
    }
}

fn coded(now: DateTime<Utc>, hash: &str) -> Vec<(&'static str, serde_json::Value)> {
    let model = given(vec![added(&request(now))]);
    let code = model.finish(&session(now), hash.to_owned(), now).unwrap();
    vec![
        added(&request(now)),
        (CODE_ADDED, serde_json::to_value(code).unwrap()),
    ]
}

#[test]
fn given_a_pending_request_when_a_password_session_finishes_it_then_a_code_is_added() {
    let now = Utc::now();
    let model = given(vec![added(&request(now))]);
    let code = model
        .finish(&session(now - TimeDelta::minutes(1)), "h".into(), now)
        .unwrap();
    assert_eq!(code.user_id, "ada");
    assert_eq!(code.session_id, "sess");
    assert_eq!(code.amr, ["pwd"]);
    assert_eq!(code.auth_time, now - TimeDelta::minutes(1));
    assert_eq!(code.expires_at, now + CODE_LIFETIME);
}

#[test]
fn given_no_request_when_finished_then_not_found() {
    let model = given(vec![]);
    assert_eq!(
        model.finish(&session(Utc::now()), "h".into(), Utc::now()),
        Err(AuthRequestError::NotFound)
    );
}

#[test]
fn given_a_finished_or_failed_request_when_finished_again_then_refused() {
    let now = Utc::now();
    let model = given(coded(now, "h"));
    assert_eq!(
        model.finish(&session(now), "h2".into(), now),
        Err(AuthRequestError::Finished)
    );
    let failed = Failed {
        error: "access_denied".into(),
        description: None,
    };
    let model = given(vec![
        added(&request(now)),
        (FAILED, serde_json::to_value(failed).unwrap()),
    ]);
    assert_eq!(
        model.finish(&session(now), "h".into(), now),
        Err(AuthRequestError::Finished)
    );
}

#[test]
fn given_an_old_request_when_finished_then_expired() {
    let now = Utc::now();
    let model = given(vec![added(&request(
        now - REQUEST_LIFETIME - TimeDelta::seconds(1),
    ))]);
    assert_eq!(
        model.finish(&session(now), "h".into(), now),
        Err(AuthRequestError::Expired)
    );
}

#[test]
fn given_a_session_without_password_or_active_user_when_finishing_then_not_authenticated() {
    let now = Utc::now();
    let model = given(vec![added(&request(now))]);
    let mut unchecked = session(now);
    unchecked.password_checked_at = None;
    assert_eq!(
        model.finish(&unchecked, "h".into(), now),
        Err(AuthRequestError::NotAuthenticated)
    );
    let mut inactive = session(now);
    inactive.user_active = false;
    assert_eq!(
        model.finish(&inactive, "h".into(), now),
        Err(AuthRequestError::NotAuthenticated)
    );
}

#[test]
fn given_max_age_when_the_login_is_older_then_too_old() {
    let now = Utc::now();
    let mut req = request(now);
    req.max_age = Some(60);
    let model = given(vec![added(&req)]);
    assert_eq!(
        model.finish(&session(now - TimeDelta::seconds(61)), "h".into(), now),
        Err(AuthRequestError::TooOld)
    );
    assert!(
        model
            .finish(&session(now - TimeDelta::seconds(59)), "h".into(), now)
            .is_ok()
    );
}

#[test]
fn given_prompt_login_when_the_password_was_checked_before_the_request_then_refused() {
    let now = Utc::now();
    let mut req = request(now);
    req.prompt = vec!["login".into()];
    let model = given(vec![added(&req)]);
    assert_eq!(
        model.finish(&session(now - TimeDelta::seconds(1)), "h".into(), now),
        Err(AuthRequestError::FreshLoginRequired)
    );
    assert!(
        model
            .finish(&session(now + TimeDelta::seconds(1)), "h".into(), now)
            .is_ok()
    );
}

#[test]
fn given_a_code_when_exchanged_with_its_verifier_then_it_holds() {
    let now = Utc::now();
    let (code, hash) = new_code("req");
    let model = given(coded(now, &hash));
    let (id, presented) = parse_code(&code).unwrap();
    assert_eq!(id, "req");
    let (request, code) = model
        .exchange(CLIENT, &presented, Some(REDIRECT), Some(VERIFIER), now)
        .unwrap();
    assert_eq!(request.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(code.user_id, "ada");
}

#[test]
fn given_a_code_when_exchanged_wrongly_then_each_mistake_is_named() {
    let now = Utc::now();
    let model = given(coded(now, &digest("s")));
    let hash = digest("s");
    let ex = |client, hash: &str, redirect, verifier, at| {
        model.exchange(client, hash, redirect, verifier, at).err()
    };
    assert_eq!(
        ex(CLIENT, &digest("t"), Some(REDIRECT), Some(VERIFIER), now),
        Some(AuthRequestError::InvalidCode)
    );
    assert_eq!(
        ex("other@p", &hash, Some(REDIRECT), Some(VERIFIER), now),
        Some(AuthRequestError::OtherClient)
    );
    assert_eq!(
        ex(
            CLIENT,
            &hash,
            Some("https://rp.example/other"),
            Some(VERIFIER),
            now
        ),
        Some(AuthRequestError::RedirectMismatch)
    );
    assert_eq!(
        ex(CLIENT, &hash, None, Some(VERIFIER), now),
        Some(AuthRequestError::RedirectMismatch)
    );
    assert!(matches!(
        ex(CLIENT, &hash, Some(REDIRECT), None, now),
        Some(AuthRequestError::Pkce(_))
    ));
    let wrong = "x".repeat(43);
    assert!(matches!(
        ex(CLIENT, &hash, Some(REDIRECT), Some(&wrong), now),
        Some(AuthRequestError::Pkce(_))
    ));
    assert_eq!(
        ex(
            CLIENT,
            &hash,
            Some(REDIRECT),
            Some(VERIFIER),
            now + CODE_LIFETIME + TimeDelta::seconds(1)
        ),
        Some(AuthRequestError::InvalidCode)
    );
}

#[test]
fn given_an_exchanged_code_when_presented_again_then_replayed_names_the_tokens_to_revoke() {
    let now = Utc::now();
    let mut events = coded(now, &digest("s"));
    let exchanged = CodeExchanged {
        access_token_id: "at1".into(),
        refresh_family_id: Some("rf1".into()),
    };
    events.push((CODE_EXCHANGED, serde_json::to_value(&exchanged).unwrap()));
    let model = given(events);
    assert_eq!(
        model
            .exchange(CLIENT, &digest("s"), Some(REDIRECT), Some(VERIFIER), now)
            .err(),
        Some(AuthRequestError::Replayed(exchanged))
    );
    assert_eq!(model.sequence, 3);
}

#[test]
fn codes_that_are_not_shaped_like_one_parse_to_nothing() {
    for bad in [
        "",
        "abc",
        "_",
        "a_short",
        &format!("a-b_{}", "0".repeat(64)),
    ] {
        assert_eq!(parse_code(bad), None, "{bad:?}");
    }
}

#[test]
fn the_s256_challenge_is_the_unpadded_base64url_of_the_verifiers_sha256() {
    // Computed independently (Python's hashlib and base64).
    assert_eq!(
        s256(VERIFIER),
        "DtaBU9RMNVxUObD1_st2XGOa4BYyzbspSqKErTec_7U"
    );
}

#[test]
fn authorization_responses_keep_the_redirect_uris_query() {
    assert_eq!(
        redirect_with(
            "https://rp.example/cb?a=1",
            &[("code", "c d"), ("state", "s")]
        ),
        "https://rp.example/cb?a=1&code=c+d&state=s"
    );
}
