//! # orgs
//!
//! Projection plugin keeping the read model of organizations and their
//! domains, from the `org.*` events (the aggregate id is the organization's
//! id). The host's query side reads these tables and columns; a replacement
//! plugin must keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `orgs` | `instance_id`, `id` | `name`, `state` (`active` \| `inactive`), `primary_domain` (nullable), `creator`, `created_at`, `changed_at`, `sequence`; index `orgs_name` on `instance_id, name` |
//! | `org_domains` | `instance_id`, `org_id`, `domain` | `verified`, `is_primary`, `created_at`, `changed_at`, `sequence`; index `org_domains_domain` on `instance_id, domain` |
//!
//! | event | effect |
//! |---|---|
//! | `org.added` | upserts the organization, active |
//! | `org.changed` | renames it |
//! | `org.deactivated` / `org.reactivated` | sets `state` |
//! | `org.removed` | deletes it and all its domains |
//! | `org.domain.added` | upserts the domain, unverified and not primary |
//! | `org.domain.verified` | marks the domain verified |
//! | `org.domain.primary.set` | makes the domain the only primary one and the organization's `primary_domain` |
//! | `org.domain.removed` | deletes the domain (and clears `primary_domain` if it was that one) |
//!
//! Every event that keeps the organization sets its `changed_at` (the
//! event's time) and `sequence`; other `org.*` events are ignored.
//! Deterministic: no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    OrgAdded, OrgChanged, OrgDeactivated, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainRemoved,
    OrgDomainVerified, OrgReactivated, OrgRemoved,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The organizations, one row each.
const ORGS: &str = "orgs";
/// The domains of the organizations.
const DOMAINS: &str = "org_domains";

/// The `orgs` projection.
pub struct OrgProjection;

impl Projection for OrgProjection {
    fn manifest() -> Manifest {
        Manifest::new("orgs", env!("CARGO_PKG_VERSION"))
            .description("Read model of organizations and their domains")
            .handles(["org.*"])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(ORGS)
                .column(Column::text("instance_id"))
                .column(Column::text("id"))
                .column(Column::text("name"))
                .column(Column::text("state"))
                .column(Column::text("primary_domain").nullable())
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new("orgs_name", ["instance_id", "name"])),
            Table::new(DOMAINS)
                .column(Column::text("instance_id"))
                .column(Column::text("org_id"))
                .column(Column::text("domain"))
                .column(Column::boolean("verified"))
                .column(Column::boolean("is_primary"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "org_id", "domain"])
                .index(Index::new("org_domains_domain", ["instance_id", "domain"])),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = sequence(event)?;
        let touched = || touch(event, sequence);
        Ok(match event.event_type.as_str() {
            OrgAdded::TYPE => vec![added(event, decode(event)?, sequence)],
            OrgChanged::TYPE => {
                let changed: OrgChanged = decode(event)?;
                vec![touched().set("name", changed.name)]
            }
            OrgDeactivated::TYPE => {
                decode::<OrgDeactivated>(event)?;
                vec![touched().set("state", "inactive")]
            }
            OrgReactivated::TYPE => {
                decode::<OrgReactivated>(event)?;
                vec![touched().set("state", "active")]
            }
            OrgRemoved::TYPE => {
                decode::<OrgRemoved>(event)?;
                removed(event)
            }
            OrgDomainAdded::TYPE => {
                let added: OrgDomainAdded = decode(event)?;
                vec![domain_added(event, added.domain, sequence), touched()]
            }
            OrgDomainVerified::TYPE => {
                let verified: OrgDomainVerified = decode(event)?;
                vec![
                    domains(event, sequence)
                        .set("verified", true)
                        .filter("domain", verified.domain),
                    touched(),
                ]
            }
            OrgDomainPrimarySet::TYPE => {
                let set: OrgDomainPrimarySet = decode(event)?;
                vec![
                    domains(event, sequence).set("is_primary", false),
                    domains(event, sequence)
                        .set("is_primary", true)
                        .filter("domain", &set.domain),
                    touched().set("primary_domain", set.domain),
                ]
            }
            OrgDomainRemoved::TYPE => {
                let removed: OrgDomainRemoved = decode(event)?;
                let mut statements = domain_removed(event, removed.domain);
                statements.push(touched());
                statements
            }
            _ => Vec::new(),
        })
    }
}

export_projection!(OrgProjection);

/// `org.added`: the organization's row, active and without a primary domain.
fn added(event: &Event, added: OrgAdded, sequence: i64) -> Statement {
    Statement::upsert(ORGS)
        .set("instance_id", &event.instance_id)
        .set("id", &event.aggregate_id)
        .set("name", added.name)
        .set("state", "active")
        .set("primary_domain", None::<String>)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "id"])
}

/// `org.removed`: deletes the organization's domains and its row.
fn removed(event: &Event) -> Vec<Statement> {
    vec![
        Statement::delete(DOMAINS)
            .filter("instance_id", &event.instance_id)
            .filter("org_id", &event.aggregate_id),
        Statement::delete(ORGS)
            .filter("instance_id", &event.instance_id)
            .filter("id", &event.aggregate_id),
    ]
}

/// `org.domain.added`: the domain's row, unverified and not primary.
fn domain_added(event: &Event, domain: String, sequence: i64) -> Statement {
    Statement::upsert(DOMAINS)
        .set("instance_id", &event.instance_id)
        .set("org_id", &event.aggregate_id)
        .set("domain", domain)
        .set("verified", false)
        .set("is_primary", false)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "org_id", "domain"])
}

/// `org.domain.removed`: deletes the domain's row, and the organization's
/// `primary_domain` if it was that one.
fn domain_removed(event: &Event, domain: String) -> Vec<Statement> {
    vec![
        Statement::delete(DOMAINS)
            .filter("instance_id", &event.instance_id)
            .filter("org_id", &event.aggregate_id)
            .filter("domain", &domain),
        Statement::update(ORGS)
            .set("primary_domain", None::<String>)
            .filter("instance_id", &event.instance_id)
            .filter("id", &event.aggregate_id)
            .filter("primary_domain", domain),
    ]
}

/// An update of the organization's domains, stamped with the event; add
/// the changes and, for one domain, a `domain` filter.
fn domains(event: &Event, sequence: i64) -> Statement {
    Statement::update(DOMAINS)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .filter("instance_id", &event.instance_id)
        .filter("org_id", &event.aggregate_id)
}

/// Sets the organization's `changed_at` and `sequence` to the event's.
fn touch(event: &Event, sequence: i64) -> Statement {
    Statement::update(ORGS)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .filter("instance_id", &event.instance_id)
        .filter("id", &event.aggregate_id)
}

/// The event's payload as `T`, or `"<type> at sequence <n>: <reason>"`.
fn decode<T: EventPayload>(event: &Event) -> Result<T, String> {
    serde_json::from_str(&event.payload).map_err(|error| {
        format!(
            "{} at sequence {}: {error}",
            event.event_type, event.sequence
        )
    })
}

/// The event's sequence as an `integer` column value.
fn sequence(event: &Event) -> Result<i64, String> {
    i64::try_from(event.sequence).map_err(|_| {
        format!(
            "{} at sequence {}: the sequence exceeds an integer column",
            event.event_type, event.sequence
        )
    })
}

#[cfg(test)]
mod tests;
