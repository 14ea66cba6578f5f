//! # authorizations
//!
//! Projection plugin keeping the read model of authorizations (user
//! grants): which user may use which project, with which roles. Besides
//! the `authorization.*` events it follows what makes an authorization
//! unusable without an event of its own: a project or project grant
//! deactivated (the flags below), a project or user removed (the rows go).
//! The host's query side reads these columns; a replacement plugin must
//! keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `authorizations` | `instance_id`, `id` | `user_id`, `project_id`, `project_grant_id` (`""` when direct), `org_id`, `role_keys` (JSON array), `state` (`active` \| `inactive`), `project_active`, `grant_active`, `creator`, `created_at`, `changed_at`, `sequence`; indexes on `instance_id, user_id, project_id`, `instance_id, project_id` and `instance_id, org_id` |
//!
//! | event | effect |
//! |---|---|
//! | `authorization.added` | upserts the row, active, project and grant active |
//! | `authorization.changed` | sets `role_keys` |
//! | `authorization.deactivated` / `.reactivated` | sets `state` |
//! | `authorization.removed` | deletes the row |
//! | `project.deactivated` / `.reactivated` | sets `project_active` on the project's rows |
//! | `project.grant.deactivated` / `.reactivated` | sets `grant_active` on the grant's rows |
//! | `project.removed` | deletes the project's rows |
//! | `user.removed` | deletes the user's rows |
//!
//! `changed_at` and `sequence` follow the authorization's own events only.
//! Deterministic: no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    AuthorizationAdded, AuthorizationChanged, AuthorizationDeactivated, AuthorizationReactivated,
    AuthorizationRemoved, ProjectDeactivated, ProjectGrantDeactivated, ProjectGrantReactivated,
    ProjectReactivated, ProjectRemoved, UserRemoved,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The authorizations, one row each.
const AUTHORIZATIONS: &str = "authorizations";

/// The `authorizations` projection.
pub struct AuthorizationProjection;

impl Projection for AuthorizationProjection {
    fn manifest() -> Manifest {
        Manifest::new("authorizations", env!("CARGO_PKG_VERSION"))
            .description("Read model of authorizations (user grants)")
            .handles([
                "authorization.*",
                ProjectDeactivated::TYPE,
                ProjectReactivated::TYPE,
                ProjectGrantDeactivated::TYPE,
                ProjectGrantReactivated::TYPE,
                ProjectRemoved::TYPE,
                UserRemoved::TYPE,
            ])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(AUTHORIZATIONS)
                .column(Column::text("instance_id"))
                .column(Column::text("id"))
                .column(Column::text("user_id"))
                .column(Column::text("project_id"))
                .column(Column::text("project_grant_id"))
                .column(Column::text("org_id"))
                .column(Column::json("role_keys"))
                .column(Column::text("state"))
                .column(Column::boolean("project_active"))
                .column(Column::boolean("grant_active"))
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new(
                    "authorizations_user_project",
                    ["instance_id", "user_id", "project_id"],
                ))
                .index(Index::new(
                    "authorizations_project",
                    ["instance_id", "project_id"],
                ))
                .index(Index::new("authorizations_org", ["instance_id", "org_id"])),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = event.sequence_value()?;
        let own = || {
            Statement::update(AUTHORIZATIONS)
                .filter("instance_id", &event.instance_id)
                .filter("id", &event.aggregate_id)
                .set("changed_at", event.created_at)
                .set("sequence", sequence)
        };
        let rows_of = |statement: Statement, column: &str| {
            statement
                .filter("instance_id", &event.instance_id)
                .filter(column, &event.aggregate_id)
        };
        Ok(match event.event_type.as_str() {
            AuthorizationAdded::TYPE => vec![added(event, event.payload()?, sequence)],
            AuthorizationChanged::TYPE => {
                let changed: AuthorizationChanged = event.payload()?;
                vec![own().set("role_keys", role_keys(&changed.role_keys))]
            }
            AuthorizationDeactivated::TYPE => vec![own().set("state", "inactive")],
            AuthorizationReactivated::TYPE => vec![own().set("state", "active")],
            AuthorizationRemoved::TYPE => vec![
                Statement::delete(AUTHORIZATIONS)
                    .filter("instance_id", &event.instance_id)
                    .filter("id", &event.aggregate_id),
            ],
            ProjectDeactivated::TYPE | ProjectReactivated::TYPE => {
                let active = event.is::<ProjectReactivated>();
                let update = Statement::update(AUTHORIZATIONS).set("project_active", active);
                vec![rows_of(update, "project_id")]
            }
            ProjectGrantDeactivated::TYPE | ProjectGrantReactivated::TYPE => {
                let grant: ProjectGrantDeactivated = event.payload()?;
                let active = event.is::<ProjectGrantReactivated>();
                let update = Statement::update(AUTHORIZATIONS).set("grant_active", active);
                vec![rows_of(update, "project_id").filter("project_grant_id", grant.grant_id)]
            }
            ProjectRemoved::TYPE => {
                vec![rows_of(Statement::delete(AUTHORIZATIONS), "project_id")]
            }
            UserRemoved::TYPE => vec![rows_of(Statement::delete(AUTHORIZATIONS), "user_id")],
            _ => Vec::new(),
        })
    }
}

export_projection!(AuthorizationProjection);

/// `authorization.added`: the row, active.
fn added(event: &Event, added: AuthorizationAdded, sequence: i64) -> Statement {
    Statement::upsert(AUTHORIZATIONS)
        .set("instance_id", &event.instance_id)
        .set("id", &event.aggregate_id)
        .set("user_id", added.user_id)
        .set("project_id", added.project_id)
        .set(
            "project_grant_id",
            added.project_grant_id.unwrap_or_default(),
        )
        .set("org_id", added.org_id)
        .set("role_keys", role_keys(&added.role_keys))
        .set("state", "active")
        .set("project_active", true)
        .set("grant_active", true)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "id"])
}

/// Role keys as a `json` column value.
fn role_keys(keys: &[String]) -> Value {
    Value::json(&serde_json::json!(keys))
}

#[cfg(test)]
mod tests;
