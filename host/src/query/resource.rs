//! The read-model tables the query side reads, and the aggregates whose
//! events fill them.

/// One queryable table of a projection.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// The projection plugin that owns the table.
    pub projection: &'static str,
    /// The table, as the plugin declares it.
    pub table: &'static str,
    /// The aggregate type whose events fill it.
    pub aggregate_type: &'static str,
    /// The column holding the aggregate's id.
    pub id_column: &'static str,
    /// Other aggregate types whose events change the table's rows (a
    /// project deactivated makes its authorizations unusable): reads wait
    /// for their newest events too.
    pub also_follows: &'static [&'static str],
}

/// Instances (`instances` plugin).
pub const INSTANCES: Resource = Resource {
    projection: "instances",
    table: "instances",
    aggregate_type: "instance",
    id_column: "instance_id",
    also_follows: &[],
};

/// Host names of instances (`instances` plugin).
pub const INSTANCE_DOMAINS: Resource = Resource {
    projection: "instances",
    table: "instance_domains",
    aggregate_type: "instance",
    id_column: "instance_id",
    also_follows: &[],
};

/// Organizations (`orgs` plugin).
pub const ORGS: Resource = Resource {
    projection: "orgs",
    table: "orgs",
    aggregate_type: "org",
    id_column: "id",
    also_follows: &[],
};

/// Domains of organizations (`orgs` plugin).
pub const ORG_DOMAINS: Resource = Resource {
    projection: "orgs",
    table: "org_domains",
    aggregate_type: "org",
    id_column: "org_id",
    also_follows: &[],
};

/// Users (`users` plugin).
pub const USERS: Resource = Resource {
    projection: "users",
    table: "users",
    aggregate_type: "user",
    id_column: "id",
    also_follows: &[],
};

/// Metadata of users, one row per user and key (`users` plugin). Filled by
/// the user's own events only (a removed user's rows leave with it), so it
/// follows no other aggregate.
pub const USER_METADATA: Resource = Resource {
    projection: "users",
    table: "user_metadata",
    aggregate_type: "user",
    id_column: "user_id",
    also_follows: &[],
};

/// Projects (`projects` plugin).
pub const PROJECTS: Resource = Resource {
    projection: "projects",
    table: "projects",
    aggregate_type: "project",
    id_column: "id",
    also_follows: &[],
};

/// Roles of projects (`projects` plugin).
pub const PROJECT_ROLES: Resource = Resource {
    projection: "projects",
    table: "project_roles",
    aggregate_type: "project",
    id_column: "project_id",
    also_follows: &[],
};

/// Grants of projects' roles to other organizations (`projects` plugin).
pub const PROJECT_GRANTS: Resource = Resource {
    projection: "projects",
    table: "project_grants",
    aggregate_type: "project",
    id_column: "project_id",
    also_follows: &[],
};

/// Applications of projects (`projects` plugin).
pub const PROJECT_APPS: Resource = Resource {
    projection: "projects",
    table: "project_apps",
    aggregate_type: "project",
    id_column: "project_id",
    also_follows: &[],
};

/// Authorizations (user grants) (`authorizations` plugin).
pub const AUTHORIZATIONS: Resource = Resource {
    projection: "authorizations",
    table: "authorizations",
    aggregate_type: "authorization",
    id_column: "id",
    also_follows: &["project", "user"],
};

/// Sessions (`sessions` plugin). Filled by the session's own events only;
/// whether its user is still active is read from [`USERS`] at read time.
pub const SESSIONS: Resource = Resource {
    projection: "sessions",
    table: "sessions",
    aggregate_type: "session",
    id_column: "id",
    also_follows: &[],
};
