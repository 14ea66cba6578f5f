//! Given the events of a refresh token family, when a token is presented,
//! then it works, or which error (reuse among them).

use chrono::{TimeDelta, Utc};

use super::*;
use crate::eventstore::{AggregateRef, Event, Position};

fn event(sequence: u64, event_type: &str, payload: serde_json::Value) -> Event {
    Event {
        position: Position::default(),
        aggregate: AggregateRef::new("inst", AGGREGATE_TYPE, "fam"),
        sequence,
        event_type: event_type.to_owned(),
        revision: 1,
        payload,
        creator: "app@p".to_owned(),
        created_at: Utc::now(),
    }
}

fn given(events: Vec<(&str, serde_json::Value)>) -> FamilyModel {
    let events: Vec<Event> = events
        .into_iter()
        .enumerate()
        .map(|(i, (t, p))| event(i as u64 + 1, t, p))
        .collect();
    FamilyModel::fold("fam", &events)
}

fn started(hash: &str, expires_at: DateTime<Utc>) -> (&'static str, serde_json::Value) {
    let started = FamilyStarted {
        user_id: "ada".into(),
        org_id: "org".into(),
        client_id: "app@p".into(),
        scopes: vec!["openid".into(), "offline_access".into()],
        session_id: "sess".into(),
        auth_time: Utc::now(),
        amr: vec!["pwd".into()],
        secret_hash: hash.into(),
        expires_at,
    };
    (STARTED, serde_json::to_value(started).unwrap())
}

fn rotated(hash: &str, expires_at: DateTime<Utc>) -> (&'static str, serde_json::Value) {
    let rotated = Rotated {
        secret_hash: hash.into(),
        expires_at,
    };
    (ROTATED, serde_json::to_value(rotated).unwrap())
}

fn later() -> DateTime<Utc> {
    Utc::now() + TimeDelta::days(1)
}

#[test]
fn given_a_new_family_when_its_token_is_presented_then_it_works() {
    let (token, hash) = new_token("fam");
    let model = given(vec![started(&hash, later())]);
    let (id, presented) = parse(&token).unwrap();
    assert_eq!(id, "fam");
    let granted = model.refresh("app@p", &presented, Utc::now()).unwrap();
    assert_eq!(granted.user_id, "ada");
}

#[test]
fn given_a_rotation_when_the_new_token_is_presented_then_it_works_and_the_old_is_reuse() {
    let model = given(vec![started("h1", later()), rotated("h2", later())]);
    assert!(model.refresh("app@p", "h2", Utc::now()).is_ok());
    assert_eq!(
        model.refresh("app@p", "h1", Utc::now()).err(),
        Some(RefreshError::Reused)
    );
    assert_eq!(model.sequence, 2);
}

#[test]
fn given_a_revoked_family_when_any_of_its_tokens_is_presented_then_revoked() {
    let revoked = FamilyRevoked {
        user_id: "ada".into(),
        reason: RevokeReason::Reuse,
    };
    let model = given(vec![
        started("h1", later()),
        rotated("h2", later()),
        (REVOKED, serde_json::to_value(revoked).unwrap()),
    ]);
    for hash in ["h1", "h2"] {
        assert_eq!(
            model.refresh("app@p", hash, Utc::now()).err(),
            Some(RefreshError::Revoked)
        );
    }
    assert_eq!(model.revoked, Some(RevokeReason::Reuse));
}

#[test]
fn given_a_family_when_presented_wrongly_then_each_refusal_is_named() {
    let now = Utc::now();
    let model = given(vec![started("h1", now + TimeDelta::seconds(10))]);
    assert_eq!(
        model.refresh("app@p", "nope", now).err(),
        Some(RefreshError::Unknown)
    );
    assert_eq!(
        model.refresh("other@p", "h1", now).err(),
        Some(RefreshError::OtherClient)
    );
    assert_eq!(
        model
            .refresh("app@p", "h1", now + TimeDelta::seconds(11))
            .err(),
        Some(RefreshError::Expired)
    );
    assert_eq!(
        given(vec![]).refresh("app@p", "h1", now).err(),
        Some(RefreshError::Unknown)
    );
}

#[test]
fn tokens_that_are_not_shaped_like_one_parse_to_nothing() {
    let secret = "0".repeat(64);
    for bad in [
        String::new(),
        "rt_".into(),
        format!("ra_fam_{secret}"),
        format!("rt_fa-m_{secret}"),
        "rt_fam_short".into(),
    ] {
        assert_eq!(parse(&bad), None, "{bad:?}");
    }
}
