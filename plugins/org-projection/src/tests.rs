//! Given/when/then tests through the SDK's native harness.

use rampart_plugin_sdk::catalogue::{
    OrgAdded, OrgChanged, OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainRemoved,
    OrgDomainVerified, OrgReactivated, OrgRemoved,
};
use rampart_plugin_sdk::chrono::TimeZone;
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::testing::Harness;

use super::OrgProjection;

/// When the events under test happened.
fn at() -> DateTime {
    rampart_plugin_sdk::chrono::Utc
        .with_ymd_and_hms(2030, 1, 2, 3, 4, 5)
        .unwrap()
}

/// `payload` as an event of org `o-1` in instance `i-1`, sequence 4, by `admin-1`.
fn event<T: EventPayload>(payload: &T) -> Event {
    Event::from_payload(payload)
        .in_instance("i-1")
        .on("org", "o-1")
        .with_sequence(4)
        .with_created_at(at())
        .by("admin-1")
}

fn project(event: &Event) -> Result<Vec<Statement>, String> {
    Harness::new().project::<OrgProjection>(event)
}

/// The update of `orgs` every event keeping the org ends with.
fn touch() -> Statement {
    Statement::update("orgs")
        .set("changed_at", at())
        .set("sequence", 4)
        .filter("instance_id", "i-1")
        .filter("id", "o-1")
}

/// An update of the org's domains, stamped with the event.
fn domains() -> Statement {
    Statement::update("org_domains")
        .set("changed_at", at())
        .set("sequence", 4)
        .filter("instance_id", "i-1")
        .filter("org_id", "o-1")
}

#[test]
fn given_an_org_added_when_projected_then_its_row_is_upserted_active() {
    let added = event(&OrgAdded {
        name: "ACME".into(),
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("orgs")
                .set("instance_id", "i-1")
                .set("id", "o-1")
                .set("name", "ACME")
                .set("state", "active")
                .set("primary_domain", Value::Null)
                .set("creator", "admin-1")
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 4)
                .conflict(["instance_id", "id"])
        ])
    );
}

#[test]
fn given_an_org_changed_when_projected_then_it_is_renamed() {
    let changed = event(&OrgChanged {
        name: "ACME Corp".into(),
    });
    assert_eq!(
        project(&changed),
        Ok(vec![touch().set("name", "ACME Corp")])
    );
}

#[test]
fn given_an_org_deactivated_then_reactivated_when_projected_then_the_state_follows() {
    assert_eq!(
        project(&event(&OrgDeactivated {})),
        Ok(vec![touch().set("state", "inactive")])
    );
    assert_eq!(
        project(&event(&OrgReactivated {})),
        Ok(vec![touch().set("state", "active")])
    );
}

#[test]
fn given_an_org_removed_when_projected_then_it_and_its_domains_are_deleted() {
    let removed = event(&OrgRemoved {
        name: "ACME".into(),
    });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("org_domains")
                .filter("instance_id", "i-1")
                .filter("org_id", "o-1"),
            Statement::delete("orgs")
                .filter("instance_id", "i-1")
                .filter("id", "o-1"),
        ])
    );
}

#[test]
fn given_a_domain_added_when_projected_then_it_is_upserted_unverified_and_not_primary() {
    let added = event(&OrgDomainAdded {
        domain: "acme.example".into(),
    });
    assert_eq!(
        project(&added),
        Ok(vec![
            Statement::upsert("org_domains")
                .set("instance_id", "i-1")
                .set("org_id", "o-1")
                .set("domain", "acme.example")
                .set("verified", false)
                .set("is_primary", false)
                .set("created_at", at())
                .set("changed_at", at())
                .set("sequence", 4)
                .conflict(["instance_id", "org_id", "domain"]),
            touch(),
        ])
    );
}

#[test]
fn given_a_domain_verified_when_projected_then_it_is_marked_verified() {
    let verified = event(&OrgDomainVerified {
        domain: "acme.example".into(),
    });
    assert_eq!(
        project(&verified),
        Ok(vec![
            domains()
                .set("verified", true)
                .filter("domain", "acme.example"),
            touch(),
        ])
    );
}

#[test]
fn given_a_primary_domain_set_when_projected_then_it_is_the_only_primary_one() {
    let set = event(&OrgDomainPrimarySet {
        domain: "acme.example".into(),
    });
    assert_eq!(
        project(&set),
        Ok(vec![
            domains().set("is_primary", false),
            domains()
                .set("is_primary", true)
                .filter("domain", "acme.example"),
            touch().set("primary_domain", "acme.example"),
        ])
    );
}

#[test]
fn given_a_domain_removed_when_projected_then_its_row_and_any_primary_claim_go() {
    let removed = event(&OrgDomainRemoved {
        domain: "old.example".into(),
    });
    assert_eq!(
        project(&removed),
        Ok(vec![
            Statement::delete("org_domains")
                .filter("instance_id", "i-1")
                .filter("org_id", "o-1")
                .filter("domain", "old.example"),
            Statement::update("orgs")
                .set("primary_domain", Value::Null)
                .filter("instance_id", "i-1")
                .filter("id", "o-1")
                .filter("primary_domain", "old.example"),
            touch(),
        ])
    );
}

#[test]
fn given_an_unknown_org_event_when_projected_then_it_is_ignored() {
    let unknown = Event::new("org.logo.uploaded")
        .on("org", "o-1")
        .with_raw_payload(r#"{"anything": true}"#);
    assert_eq!(project(&unknown), Ok(vec![]));
}

#[test]
fn given_an_event_of_another_aggregate_when_projected_then_it_is_not_handled() {
    let other = Event::new("user.removed").with_raw_payload("not json");
    assert_eq!(project(&other), Ok(vec![]));
}

#[test]
fn given_a_payload_that_does_not_decode_when_projected_then_it_is_an_error() {
    let bad = event(&OrgDomainAdded::default()).with_raw_payload(r#"{"domain": null}"#);
    let error = project(&bad).unwrap_err();
    assert!(
        error.starts_with("org.domain.added at sequence 4: invalid type"),
        "{error}"
    );
    let missing = event(&OrgRemoved::default()).with_raw_payload("{}");
    let error = project(&missing).unwrap_err();
    assert!(
        error.starts_with("org.removed at sequence 4: missing field `name`"),
        "{error}"
    );
}

#[test]
fn given_the_manifest_when_read_then_it_handles_org_events_without_capabilities() {
    let manifest = OrgProjection::manifest();
    assert_eq!(manifest.name, "orgs");
    assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.handles, ["org.*"]);
    assert!(manifest.capabilities.is_empty());
}

#[test]
fn given_the_tables_when_declared_then_keys_and_indexes_match_the_query_side() {
    let tables = OrgProjection::tables();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orgs", "org_domains"]);
    assert_eq!(tables[0].primary_key, ["instance_id", "id"]);
    assert_eq!(
        tables[0].indexes,
        [Index::new("orgs_name", ["instance_id", "name"])]
    );
    assert_eq!(tables[1].primary_key, ["instance_id", "org_id", "domain"]);
    assert_eq!(
        tables[1].indexes,
        [Index::new("org_domains_domain", ["instance_id", "domain"])]
    );
    let nullable: Vec<&str> = tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| c.nullable)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(nullable, ["primary_domain"]);
}
