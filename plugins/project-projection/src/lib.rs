//! # projects
//!
//! Projection plugin keeping the read model of projects, their roles and
//! the grants of their roles to other organizations, from the `project.*`
//! events (the aggregate id is the project's id). The host's query side
//! reads these tables and columns; a replacement plugin must keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `projects` | `instance_id`, `id` | `org_id`, `name`, `state` (`active` \| `inactive`), `role_assertion`, `authorization_required`, `creator`, `created_at`, `changed_at`, `sequence`; index `projects_org_name` on `instance_id, org_id, name` |
//! | `project_roles` | `instance_id`, `project_id`, `key` | `display_name`, `role_group`, `created_at`, `changed_at`, `sequence` |
//! | `project_grants` | `instance_id`, `project_id`, `grant_id` | `granted_org_id`, `role_keys` (JSON array), `state`, `created_at`, `changed_at`, `sequence`; index `project_grants_granted_org` on `instance_id, granted_org_id` |
//! | `project_apps` | `instance_id`, `project_id`, `app_id` | `name`, `client_id`, `kind` (`oidc` \| `api`), `state`, `auth_method`, `config` (JSON: the OIDC or API settings), `created_at`, `changed_at`, `sequence`; index `project_apps_client_id` on `instance_id, client_id` |
//!
//! | event | effect |
//! |---|---|
//! | `project.added` | upserts the project, active |
//! | `project.changed` | sets the fields the event carries |
//! | `project.deactivated` / `project.reactivated` | sets `state` |
//! | `project.removed` | deletes the project, its roles and its grants |
//! | `project.role.added` / `project.role.changed` | upserts the role |
//! | `project.role.removed` | deletes the role |
//! | `project.grant.added` | upserts the grant, active |
//! | `project.grant.changed` | sets its `role_keys` |
//! | `project.grant.deactivated` / `project.grant.reactivated` | sets its `state` |
//! | `project.grant.removed` | deletes the grant |
//! | `project.application.added` | upserts the application, active |
//! | `project.application.changed` | sets its `name` |
//! | `project.application.config.changed` | sets its `config` and `auth_method` |
//! | `project.application.deactivated` / `.reactivated` | sets its `state` |
//! | `project.application.removed` | deletes the application |
//!
//! Client secrets (`project.application.secret.changed`) never reach the
//! read model.
//!
//! Every event that keeps the project sets its `changed_at` (the event's
//! time) and `sequence`; other `project.*` events are ignored.
//! Deterministic: no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    ApiConfig, AppAdded, AppChanged, AppConfigChanged, AppDeactivated, AppReactivated, AppRef,
    AppRemoved, OidcConfig, ProjectAdded, ProjectChanged, ProjectDeactivated, ProjectGrantAdded,
    ProjectGrantChanged, ProjectGrantDeactivated, ProjectGrantReactivated, ProjectGrantRemoved,
    ProjectReactivated, ProjectRemoved, ProjectRoleAdded, ProjectRoleChanged, ProjectRoleRemoved,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The projects, one row each.
const PROJECTS: &str = "projects";
/// The roles of the projects.
const ROLES: &str = "project_roles";
/// The grants of the projects' roles to other organizations.
const GRANTS: &str = "project_grants";
/// The applications of the projects.
const APPS: &str = "project_apps";

/// The `projects` projection.
pub struct ProjectProjection;

impl Projection for ProjectProjection {
    fn manifest() -> Manifest {
        Manifest::new("projects", env!("CARGO_PKG_VERSION"))
            .description("Read model of projects, their roles and grants")
            .handles(["project.*"])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(PROJECTS)
                .column(Column::text("instance_id"))
                .column(Column::text("id"))
                .column(Column::text("org_id"))
                .column(Column::text("name"))
                .column(Column::text("state"))
                .column(Column::boolean("role_assertion"))
                .column(Column::boolean("authorization_required"))
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new(
                    "projects_org_name",
                    ["instance_id", "org_id", "name"],
                )),
            Table::new(ROLES)
                .column(Column::text("instance_id"))
                .column(Column::text("project_id"))
                .column(Column::text("key"))
                .column(Column::text("display_name"))
                .column(Column::text("role_group"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "project_id", "key"]),
            Table::new(GRANTS)
                .column(Column::text("instance_id"))
                .column(Column::text("project_id"))
                .column(Column::text("grant_id"))
                .column(Column::text("granted_org_id"))
                .column(Column::json("role_keys"))
                .column(Column::text("state"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "project_id", "grant_id"])
                .index(Index::new(
                    "project_grants_granted_org",
                    ["instance_id", "granted_org_id"],
                )),
            Table::new(APPS)
                .column(Column::text("instance_id"))
                .column(Column::text("project_id"))
                .column(Column::text("app_id"))
                .column(Column::text("name"))
                .column(Column::text("client_id"))
                .column(Column::text("kind"))
                .column(Column::text("state"))
                .column(Column::text("auth_method"))
                .column(Column::json("config"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "project_id", "app_id"])
                .index(Index::new(
                    "project_apps_client_id",
                    ["instance_id", "client_id"],
                )),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = event.sequence_value()?;
        let touched = || of(event, Statement::update(PROJECTS), "id").stamp(event, sequence);
        Ok(match event.event_type.as_str() {
            ProjectAdded::TYPE => vec![added(event, event.payload()?, sequence)],
            ProjectChanged::TYPE => {
                let changed: ProjectChanged = event.payload()?;
                let mut update = touched();
                if let Some(name) = changed.name {
                    update = update.set("name", name);
                }
                if let Some(flag) = changed.role_assertion {
                    update = update.set("role_assertion", flag);
                }
                if let Some(flag) = changed.authorization_required {
                    update = update.set("authorization_required", flag);
                }
                vec![update]
            }
            ProjectDeactivated::TYPE => vec![touched().set("state", "inactive")],
            ProjectReactivated::TYPE => vec![touched().set("state", "active")],
            ProjectRemoved::TYPE => vec![
                of(event, Statement::delete(ROLES), "project_id"),
                of(event, Statement::delete(GRANTS), "project_id"),
                of(event, Statement::delete(APPS), "project_id"),
                of(event, Statement::delete(PROJECTS), "id"),
            ],
            ProjectRoleAdded::TYPE | ProjectRoleChanged::TYPE => {
                let role: ProjectRoleAdded = event.payload()?;
                vec![role_upserted(event, role, sequence), touched()]
            }
            ProjectRoleRemoved::TYPE => {
                let removed: ProjectRoleRemoved = event.payload()?;
                vec![
                    of(event, Statement::delete(ROLES), "project_id").filter("key", removed.key),
                    touched(),
                ]
            }
            ProjectGrantAdded::TYPE => {
                let grant: ProjectGrantAdded = event.payload()?;
                vec![grant_added(event, grant, sequence), touched()]
            }
            ProjectGrantChanged::TYPE => {
                let changed: ProjectGrantChanged = event.payload()?;
                vec![
                    grant(event, &changed.grant_id, sequence)
                        .set("role_keys", role_keys(&changed.role_keys)),
                    touched(),
                ]
            }
            ProjectGrantDeactivated::TYPE | ProjectGrantReactivated::TYPE => {
                let changed: ProjectGrantDeactivated = event.payload()?;
                let state = if event.is::<ProjectGrantReactivated>() {
                    "active"
                } else {
                    "inactive"
                };
                vec![
                    grant(event, &changed.grant_id, sequence).set("state", state),
                    touched(),
                ]
            }
            ProjectGrantRemoved::TYPE => {
                let removed: ProjectGrantRemoved = event.payload()?;
                vec![
                    of(event, Statement::delete(GRANTS), "project_id")
                        .filter("grant_id", removed.grant_id),
                    touched(),
                ]
            }
            AppAdded::TYPE => vec![app_added(event, event.payload()?, sequence)?, touched()],
            AppChanged::TYPE => {
                let changed: AppChanged = event.payload()?;
                vec![
                    app(event, &changed.app_id, sequence).set("name", changed.name),
                    touched(),
                ]
            }
            AppConfigChanged::TYPE => {
                let changed: AppConfigChanged = event.payload()?;
                let (_, auth_method, config) = settings(&changed.oidc, &changed.api)?;
                vec![
                    app(event, &changed.app_id, sequence)
                        .set("auth_method", auth_method)
                        .set("config", config),
                    touched(),
                ]
            }
            AppDeactivated::TYPE | AppReactivated::TYPE => {
                let changed: AppRef = event.payload()?;
                let state = if event.is::<AppReactivated>() {
                    "active"
                } else {
                    "inactive"
                };
                vec![
                    app(event, &changed.app_id, sequence).set("state", state),
                    touched(),
                ]
            }
            AppRemoved::TYPE => {
                let removed: AppRemoved = event.payload()?;
                vec![
                    of(event, Statement::delete(APPS), "project_id")
                        .filter("app_id", removed.app_id),
                    touched(),
                ]
            }
            _ => Vec::new(),
        })
    }
}

export_projection!(ProjectProjection);

/// Stamps a statement with the event's time and sequence.
trait Stamp {
    /// Sets `changed_at` and `sequence` to the event's.
    fn stamp(self, event: &Event, sequence: i64) -> Self;
}

impl Stamp for Statement {
    fn stamp(self, event: &Event, sequence: i64) -> Self {
        self.set("changed_at", event.created_at)
            .set("sequence", sequence)
    }
}

/// `statement` limited to the event's project: its instance, and the
/// project id in `column`.
fn of(event: &Event, statement: Statement, column: &str) -> Statement {
    statement
        .filter("instance_id", &event.instance_id)
        .filter(column, &event.aggregate_id)
}

/// `project.added`: the project's row, active.
fn added(event: &Event, added: ProjectAdded, sequence: i64) -> Statement {
    Statement::upsert(PROJECTS)
        .set("instance_id", &event.instance_id)
        .set("id", &event.aggregate_id)
        .set("org_id", added.org_id)
        .set("name", added.name)
        .set("state", "active")
        .set("role_assertion", added.role_assertion)
        .set("authorization_required", added.authorization_required)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .stamp(event, sequence)
        .conflict(["instance_id", "id"])
}

/// `project.role.added` and `.changed`: the role's row (a change keeps its
/// `created_at`).
fn role_upserted(event: &Event, role: ProjectRoleAdded, sequence: i64) -> Statement {
    let mut row = Statement::upsert(ROLES)
        .set("instance_id", &event.instance_id)
        .set("project_id", &event.aggregate_id)
        .set("key", role.key)
        .set("display_name", role.display_name)
        .set("role_group", role.group);
    if event.is::<ProjectRoleAdded>() {
        row = row.set("created_at", event.created_at);
    }
    row.stamp(event, sequence)
        .conflict(["instance_id", "project_id", "key"])
}

/// `project.grant.added`: the grant's row, active.
fn grant_added(event: &Event, grant: ProjectGrantAdded, sequence: i64) -> Statement {
    Statement::upsert(GRANTS)
        .set("instance_id", &event.instance_id)
        .set("project_id", &event.aggregate_id)
        .set("grant_id", grant.grant_id)
        .set("granted_org_id", grant.granted_org_id)
        .set("role_keys", role_keys(&grant.role_keys))
        .set("state", "active")
        .set("created_at", event.created_at)
        .stamp(event, sequence)
        .conflict(["instance_id", "project_id", "grant_id"])
}

/// An update of grant `grant_id` of the project, stamped with the event.
fn grant(event: &Event, grant_id: &str, sequence: i64) -> Statement {
    of(event, Statement::update(GRANTS), "project_id")
        .filter("grant_id", grant_id)
        .stamp(event, sequence)
}

/// `project.application.added`: the application's row, active.
fn app_added(event: &Event, added: AppAdded, sequence: i64) -> Result<Statement, String> {
    let (kind, auth_method, config) = settings(&added.oidc, &added.api)?;
    Ok(Statement::upsert(APPS)
        .set("instance_id", &event.instance_id)
        .set("project_id", &event.aggregate_id)
        .set("app_id", added.app_id)
        .set("name", added.name)
        .set("client_id", added.client_id)
        .set("kind", kind)
        .set("state", "active")
        .set("auth_method", auth_method)
        .set("config", config)
        .set("created_at", event.created_at)
        .stamp(event, sequence)
        .conflict(["instance_id", "project_id", "app_id"]))
}

/// An update of application `app_id` of the project, stamped with the
/// event.
fn app(event: &Event, app_id: &str, sequence: i64) -> Statement {
    of(event, Statement::update(APPS), "project_id")
        .filter("app_id", app_id)
        .stamp(event, sequence)
}

/// An application's kind, auth method and settings as column values, from
/// whichever of `oidc` and `api` is set.
fn settings(
    oidc: &Option<OidcConfig>,
    api: &Option<ApiConfig>,
) -> Result<(&'static str, Value, Value), String> {
    let (kind, auth_method, config) = match (oidc, api) {
        (Some(oidc), None) => ("oidc", oidc.auth_method, serde_json::to_value(oidc)),
        (None, Some(api)) => ("api", api.auth_method, serde_json::to_value(api)),
        _ => return Err("an application event carries exactly one of oidc and api".into()),
    };
    let config = config.map_err(|e| e.to_string())?;
    let auth_method = serde_json::to_value(auth_method).map_err(|e| e.to_string())?;
    let auth_method = auth_method.as_str().unwrap_or_default().to_owned();
    Ok((kind, Value::from(auth_method), Value::json(&config)))
}

/// Role keys as a `json` column value.
fn role_keys(keys: &[String]) -> Value {
    Value::json(&serde_json::json!(keys))
}

#[cfg(test)]
mod tests;
