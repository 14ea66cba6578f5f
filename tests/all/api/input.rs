//! Bad input on every method, through the gate an administrator passes:
//! a missing required field, a field too long or malformed, an unknown
//! field. Each is `INVALID_ARGUMENT` naming the field, and nothing is
//! stored.

use prost_reflect::{DynamicMessage, Kind, Value as PValue};
use rampart::api::proto::rampart::api::v1::Format;
use rampart::api::rules::{MethodRule, RULES};
use serde_json::json;
use tonic::Code;

use super::{Client, Targets, Transport, first_instance, methods, valid_request};
use crate::cqrs::{Backend, start};
use crate::support::Api;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_refuses_bad_input_naming_the_field_and_stores_nothing_sqlite_json() {
    bad_input(Backend::Sqlite, Transport::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_refuses_bad_input_naming_the_field_and_stores_nothing_sqlite_grpc() {
    bad_input(Backend::Sqlite, Transport::Grpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_refuses_bad_input_naming_the_field_and_stores_nothing_postgres_json() {
    bad_input(Backend::postgres().await, Transport::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_refuses_bad_input_naming_the_field_and_stores_nothing_postgres_grpc() {
    bad_input(Backend::postgres().await, Transport::Grpc).await;
}

/// One broken variant of a valid request: its label, the field it breaks,
/// and the request.
fn variants(rule: &MethodRule, valid: &DynamicMessage) -> Vec<(String, String, DynamicMessage)> {
    let mut out = Vec::new();
    for field in rule.method.input().fields() {
        let Some(rules) = RULES.field(&field) else {
            continue;
        };
        let name = field.name().to_owned();
        if rules.required {
            let mut missing = valid.clone();
            missing.clear_field(&field);
            out.push((format!("{name} missing"), name.clone(), missing));
        }
        if field.kind() == Kind::String && !field.is_list() {
            let max = match (rules.max_len, rules.format()) {
                (0, Format::Id) => 64,
                (max, _) => max as usize,
            };
            if max > 0 {
                let mut long = valid.clone();
                long.set_field(&field, PValue::String("a".repeat(max + 1)));
                out.push((format!("{name} too long"), name.clone(), long));
            }
            if rules.format() != Format::Unspecified {
                let mut malformed = valid.clone();
                malformed.set_field(&field, PValue::String("not valid !".into()));
                out.push((format!("{name} malformed"), name.clone(), malformed));
            }
        }
        if field.kind() == Kind::Bytes && rules.max_len > 0 {
            let mut long = valid.clone();
            let bytes = vec![0_u8; rules.max_len as usize + 1];
            long.set_field(&field, PValue::Bytes(bytes.into()));
            out.push((format!("{name} too long"), name.clone(), long));
        }
    }
    out
}

async fn bad_input(backend: Backend, transport: Transport) {
    let _turn = super::HEAVY.acquire().await.expect("never closed");
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &backend, &[]).await;
    let admin = Api::new(&server);
    let (instance_id, org_id) = first_instance(&admin).await;
    let user_id = admin.add_user(&org_id, "input-target", None).await;
    let targets = Targets {
        instance_id,
        org_id,
        org_domain: String::new(),
        user_id,
        username: "input-target".into(),
        // Bad input never reaches a command: no instance is at risk.
        removable_instance_id: "0000000000000000".into(),
        project_id: "0000000000000001".into(),
        other_org_id: "0000000000000002".into(),
        authorization_id: "0000000000000003".into(),
    };
    let newest = || async {
        admin
            .ok(
                "rampart.event.v1.EventService/ListEvents",
                json!({ "descending": true, "limit": 1 }),
            )
            .await["events"][0]["position"]
            .clone()
    };
    let before = newest().await;
    let client = Client::new(&server, Some(&server.admin_token())).await;
    let mut checked = 0;
    for rule in methods() {
        let valid = valid_request(rule, &targets);
        for (label, field, request) in variants(rule, &valid) {
            let (outcome, _) = client.call(transport, rule, &request).await;
            assert_eq!(
                outcome.code,
                Code::InvalidArgument,
                "{}: {label}: {outcome:?}",
                rule.path
            );
            assert!(
                outcome.message.contains(&field),
                "{}: {label}: the message names {field}: {}",
                rule.path,
                outcome.message
            );
            checked += 1;
        }
        // An unknown field: JSON names it; on the wire it is a field number.
        let mut json = serde_json::to_value(&valid).unwrap();
        json["noSuchField"] = json!(1);
        let (outcome, _) = client.json(rule, json.to_string()).await;
        assert_eq!(
            outcome.code,
            Code::InvalidArgument,
            "{}: {outcome:?}",
            rule.path
        );
        assert!(
            outcome.message.contains("noSuchField"),
            "{}: {}",
            rule.path,
            outcome.message
        );
        checked += 1;
    }
    assert_eq!(newest().await, before, "bad input stored nothing");
    assert!(checked > 100, "only {checked} bad requests");
    eprintln!("bad input: {checked} refused requests over {transport:?}");
}
