//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    InstanceAdded, InstanceChanged, InstanceDomainAdded, InstanceDomainPrimarySet,
    InstanceDomainRemoved, InstanceRemoved,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;

use super::InstanceProjection;

/// When the events under test happened.
fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of instance `i-1`, sequence 7, by `admin-1`.
fn event<T: EventPayload>(payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on("instance", "i-1")
        .with_sequence(7)
        .with_created_at(at())
        .by("admin-1")
}

fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<InstanceProjection>(event)
}

/// The update of `instances` every event ends with.
fn touch() -> Statement {
    Statement::update("instances")
        .set("changed_at", at())
        .set("sequence", 7)
        .filter("instance_id", "i-1")
}

#[test]
fn given_an_instance_added_when_projected_then_its_row_is_upserted_active() {
    let added = event(&InstanceAdded {
        name: "ACME".into(),
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("instances")
                .set("instance_id", "i-1")
                .set("name", "ACME")
                .set("state", "active")
                .set("primary_domain", Value::Null)
                .set("creator", "admin-1")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 7)
                .conflict(["instance_id"])
        ])
    );
}

#[test]
fn given_an_instance_changed_when_projected_then_it_is_renamed() {
    let changed = event(&InstanceChanged {
        name: "ACME Corp".into(),
    });
    assert_eq!(
        project(&changed),
        Ok(vec![touch().set("name", "ACME Corp")])
    );
}

#[test]
fn given_a_domain_added_when_projected_then_it_is_upserted_not_primary() {
    let added = event(&InstanceDomainAdded {
        domain: "acme.rampart.example".into(),
        generated: true,
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("instance_domains")
                .set("instance_id", "i-1")
                .set("domain", "acme.rampart.example")
                .set("is_primary", false)
                .set("is_generated", true)
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 7)
                .conflict(["instance_id", "domain"]),
            touch(),
        ])
    );
}

#[test]
fn given_a_primary_domain_set_when_projected_then_it_is_the_only_primary_one() {
    let set = event(&InstanceDomainPrimarySet {
        domain: "login.acme.example".into(),
    });
    let domains = || {
        Statement::update("instance_domains")
            .set("changed_at", at())
            .set("sequence", 7)
            .filter("instance_id", "i-1")
    };
    assert_eq!(
        project(&set),
        Ok(vec![
            domains().set("is_primary", false),
            domains()
                .set("is_primary", true)
                .filter("domain", "login.acme.example"),
            touch().set("primary_domain", "login.acme.example"),
        ])
    );
}

#[test]
fn given_a_domain_removed_when_projected_then_its_row_and_any_primary_claim_go() {
    let removed = event(&InstanceDomainRemoved {
        domain: "old.acme.example".into(),
    });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("instance_domains")
                .filter("instance_id", "i-1")
                .filter("domain", "old.acme.example"),
            Statement::update("instances")
                .set("primary_domain", Value::Null)
                .filter("instance_id", "i-1")
                .filter("primary_domain", "old.acme.example"),
            touch(),
        ])
    );
}

#[test]
fn given_an_instance_removed_when_projected_then_its_row_and_domains_go() {
    let removed = event(&InstanceRemoved {
        domains: vec!["acme.example".into()],
    });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("instance_domains").filter("instance_id", "i-1"),
            Statement::delete("instances").filter("instance_id", "i-1"),
        ])
    );
}

#[test]
fn given_an_unknown_instance_event_when_projected_then_it_is_ignored() {
    let unknown = Event::new("instance.feature.toggled")
        .in_instance("i-1")
        .with_raw_payload(r#"{"anything": [1, 2]}"#);
    assert_eq!(project(&unknown), Ok(vec![]));
}

#[test]
fn given_an_event_of_another_aggregate_when_projected_then_it_is_not_handled() {
    let other = Event::new("org.added").with_raw_payload("not json");
    assert_eq!(project(&other), Ok(vec![]));
}

#[test]
fn given_a_payload_that_does_not_decode_when_projected_then_it_is_an_error() {
    let bad = event(&InstanceAdded::default()).with_raw_payload(r#"{"name": 42}"#);
    let error = project(&bad).unwrap_err();
    assert!(
        error.starts_with("instance.added at sequence 7: invalid type"),
        "{error}"
    );
}

#[test]
fn given_the_manifest_when_read_then_it_handles_instance_events_without_capabilities() {
    let manifest = InstanceProjection::manifest();
    assert_eq!(manifest.name, "instances");
    assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.handles, ["instance.*"]);
    assert!(manifest.capabilities.is_empty());
}

#[test]
fn given_the_tables_when_declared_then_keys_and_indexes_match_the_query_side() {
    let tables = InstanceProjection::tables();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["instances", "instance_domains"]);
    assert_eq!(tables[0].primary_key, ["instance_id"]);
    assert_eq!(tables[1].primary_key, ["instance_id", "domain"]);
    assert_eq!(
        tables[1].indexes,
        [Index::new("instance_domains_domain", ["domain"])]
    );
    let nullable: Vec<&str> = tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| c.nullable)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(nullable, ["primary_domain"]);
}
