//! # instances
//!
//! Projection plugin keeping the read model of instances (tenants) and the
//! host names that resolve to them, from the `instance.*` events. The host's
//! query side reads these tables and columns; a replacement plugin must keep
//! them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `instances` | `instance_id` | `name`, `state` (`active`), `primary_domain` (nullable), `creator`, `created_at`, `changed_at`, `sequence` |
//! | `instance_domains` | `instance_id`, `domain` | `is_primary`, `is_generated`, `created_at`, `changed_at`, `sequence`; index `instance_domains_domain` on `domain` |
//!
//! | event | effect |
//! |---|---|
//! | `instance.added` | upserts the instance |
//! | `instance.changed` | renames it |
//! | `instance.domain.added` | upserts the domain, not primary |
//! | `instance.domain.primary.set` | makes the domain the only primary one and the instance's `primary_domain` |
//! | `instance.domain.removed` | deletes the domain (and clears `primary_domain` if it was that one) |
//! | `instance.removed` | deletes the instance and all its domains |
//!
//! Every other event also sets the instance's `changed_at` (the event's time) and
//! `sequence`; other `instance.*` events are ignored. Deterministic: no
//! capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    InstanceAdded, InstanceChanged, InstanceDomainAdded, InstanceDomainPrimarySet,
    InstanceDomainRemoved, InstanceRemoved,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The instances, one row each.
const INSTANCES: &str = "instances";
/// The host names of the instances.
const DOMAINS: &str = "instance_domains";

/// The `instances` projection.
pub struct InstanceProjection;

impl Projection for InstanceProjection {
    fn manifest() -> Manifest {
        Manifest::new("instances", env!("CARGO_PKG_VERSION"))
            .description("Read model of instances and their host names")
            .handles(["instance.*"])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(INSTANCES)
                .column(Column::text("instance_id"))
                .column(Column::text("name"))
                .column(Column::text("state"))
                .column(Column::text("primary_domain").nullable())
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id"]),
            Table::new(DOMAINS)
                .column(Column::text("instance_id"))
                .column(Column::text("domain"))
                .column(Column::boolean("is_primary"))
                .column(Column::boolean("is_generated"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "domain"])
                .index(Index::new("instance_domains_domain", ["domain"])),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = sequence(event)?;
        let touched = || touch(event, sequence);
        Ok(match event.event_type.as_str() {
            InstanceAdded::TYPE => vec![added(event, decode(event)?, sequence)],
            InstanceChanged::TYPE => {
                let changed: InstanceChanged = decode(event)?;
                vec![touched().set("name", changed.name)]
            }
            InstanceDomainAdded::TYPE => {
                vec![domain_added(event, decode(event)?, sequence), touched()]
            }
            InstanceDomainPrimarySet::TYPE => {
                let set: InstanceDomainPrimarySet = decode(event)?;
                let mut statements = primary_set(event, &set.domain, sequence);
                statements.push(touched().set("primary_domain", set.domain));
                statements
            }
            InstanceDomainRemoved::TYPE => {
                let removed: InstanceDomainRemoved = decode(event)?;
                let mut statements = domain_removed(event, removed.domain);
                statements.push(touched());
                statements
            }
            InstanceRemoved::TYPE => vec![
                Statement::delete(DOMAINS).filter("instance_id", &event.instance_id),
                Statement::delete(INSTANCES).filter("instance_id", &event.instance_id),
            ],
            _ => Vec::new(),
        })
    }
}

export_projection!(InstanceProjection);

/// `instance.added`: the instance's row, active and without a primary domain.
fn added(event: &Event, added: InstanceAdded, sequence: i64) -> Statement {
    Statement::upsert(INSTANCES)
        .set("instance_id", &event.instance_id)
        .set("name", added.name)
        .set("state", "active")
        .set("primary_domain", None::<String>)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id"])
}

/// `instance.domain.added`: the domain's row, not primary.
fn domain_added(event: &Event, added: InstanceDomainAdded, sequence: i64) -> Statement {
    Statement::upsert(DOMAINS)
        .set("instance_id", &event.instance_id)
        .set("domain", added.domain)
        .set("is_primary", false)
        .set("is_generated", added.generated)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "domain"])
}

/// `instance.domain.primary.set`: every domain of the instance loses the
/// flag, then `domain` gets it.
fn primary_set(event: &Event, domain: &str, sequence: i64) -> Vec<Statement> {
    let domains = || {
        Statement::update(DOMAINS)
            .set("changed_at", event.created_at)
            .set("sequence", sequence)
            .filter("instance_id", &event.instance_id)
    };
    vec![
        domains().set("is_primary", false),
        domains().set("is_primary", true).filter("domain", domain),
    ]
}

/// `instance.domain.removed`: deletes the domain's row, and the instance's
/// `primary_domain` if it was that one.
fn domain_removed(event: &Event, domain: String) -> Vec<Statement> {
    vec![
        Statement::delete(DOMAINS)
            .filter("instance_id", &event.instance_id)
            .filter("domain", &domain),
        Statement::update(INSTANCES)
            .set("primary_domain", None::<String>)
            .filter("instance_id", &event.instance_id)
            .filter("primary_domain", domain),
    ]
}

/// Sets the instance's `changed_at` and `sequence` to the event's.
fn touch(event: &Event, sequence: i64) -> Statement {
    Statement::update(INSTANCES)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .filter("instance_id", &event.instance_id)
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
