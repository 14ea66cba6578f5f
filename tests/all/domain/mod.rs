//! The IAM domain over the real server, on SQLite and PostgreSQL: the
//! objects applications and authorizations are built on.
//!
//! - `projects`: projects, their roles and grants; read-your-writes,
//!   validators, cascades (a removed role leaves the grants, a removed
//!   organization takes its projects and grants along) and tenant
//!   isolation between organizations and instances.
//! - `apps`: OIDC and API applications: settings and their rules, the
//!   shipped redirect-URI policy, client secrets shown once and rotated.
//! - `authorizations`: user grants, direct and through project grants, with
//!   the cascades of project changes and who may hand roles out.

mod apps;
mod authorizations;
mod projects;
