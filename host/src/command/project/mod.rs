//! # Project commands
//!
//! A project groups the applications users log in to and the roles they
//! can be authorized with. It belongs to one organization; its name is
//! unique in that organization (claimed under [`NAME_KIND`]). Its roles and
//! the grants of its roles to other organizations live on the project
//! aggregate, so a grant never holds a role the project lacks: removing a
//! role takes it out of every grant in the same push.
//!
//! - `model`: the write model.
//! - `add`: `project.add`.
//! - `change`: `project.change`, `project.deactivate`, `project.reactivate`.
//! - `remove`: `project.remove`, and the projects an org removal takes along.
//! - `role`: adding, changing and removing roles.
//! - `grant`: granting roles to another organization, changing,
//!   deactivating, reactivating and removing grants.
//! - `app`: OIDC and API applications and their client secrets;
//!   `app_config`: the host's rules for their settings; `app_key`: keys of
//!   applications that authenticate with `private_key_jwt`.
//! - `member`: users holding `PROJECT_*` roles on the project.

mod add;
mod app;
mod app_config;
pub(crate) mod app_key;
mod change;
mod grant;
pub(crate) mod member;
pub(crate) mod model;
pub(crate) mod remove;
mod role;

pub use app::{AppAction, AppWritten};
pub use grant::GrantAction;
pub use role::RoleAction;

#[cfg(test)]
mod app_key_tests;
#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod member_tests;
#[cfg(test)]
mod tests;

use crate::command::CommandError;
use model::ProjectModel;

/// The aggregate type of projects.
pub(crate) const AGGREGATE_TYPE: &str = "project";

/// Unique-value kind of project names (per organization: the value is
/// `<org id>/<lowercase name>`).
pub(crate) const NAME_KIND: &str = "project_name";

/// Longest role key.
const MAX_KEY: usize = 200;

/// The unique value of project `name` in organization `org_id`.
pub(crate) fn name_value(org_id: &str, name: &str) -> String {
    format!("{org_id}/{}", name.to_lowercase())
}

/// A role key trimmed and checked: 1–200 characters of letters, digits and
/// `.`, `_`, `-`, `:`.
///
/// # Errors
/// [`CommandError::InvalidArgument`] naming what is wrong.
pub(crate) fn role_key(key: &str) -> Result<String, CommandError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(CommandError::invalid("the role key must not be empty"));
    }
    if key.chars().count() > MAX_KEY {
        return Err(CommandError::invalid(format!(
            "the role key must have at most {MAX_KEY} characters"
        )));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
    {
        return Err(CommandError::invalid(format!(
            "the role key {key:?} contains {bad:?}; use letters, digits, '.', '_', '-' and ':'"
        )));
    }
    Ok(key.to_owned())
}

/// Role keys trimmed, checked, distinct and sorted.
///
/// # Errors
/// As [`role_key`].
pub(crate) fn role_keys(keys: &[String]) -> Result<Vec<String>, CommandError> {
    let mut keys = keys
        .iter()
        .map(|k| role_key(k))
        .collect::<Result<Vec<_>, _>>()?;
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// [`CommandError::FailedPrecondition`] naming the first of `keys` the
/// project has no role for.
pub(crate) fn require_roles(model: &ProjectModel, keys: &[String]) -> Result<(), CommandError> {
    match keys.iter().find(|k| !model.roles.contains_key(*k)) {
        Some(key) => Err(CommandError::precondition(format!(
            "the project has no role {key:?}"
        ))),
        None => Ok(()),
    }
}

/// [`CommandError::FailedPrecondition`] naming the first of `keys` that
/// grant `grant_id` of the project does not give (the first of all when
/// the grant is gone).
pub(crate) fn require_granted(
    model: &ProjectModel,
    grant_id: &str,
    keys: &[String],
) -> Result<(), CommandError> {
    let granted = model.grants.get(grant_id).map(|g| &g.role_keys);
    match keys
        .iter()
        .find(|k| !granted.is_some_and(|g| g.contains(k)))
    {
        Some(key) => Err(CommandError::precondition(format!(
            "the project grant {grant_id} does not grant the role {key:?}"
        ))),
        None => Ok(()),
    }
}

/// `action` on a role of `project_id`, as the authorization tests decide it.
#[cfg(test)]
pub(crate) fn role_command_for_tests(
    project_id: &str,
    action: RoleAction,
) -> role::ProjectRoleCommand {
    role::ProjectRoleCommand::new(project_id, action).expect("valid input")
}

/// `action` on a grant of `project_id`, as the authorization tests decide it.
#[cfg(test)]
pub(crate) fn grant_command_for_tests(
    project_id: &str,
    action: GrantAction,
) -> grant::ProjectGrantCommand {
    grant::ProjectGrantCommand::new(project_id, "g-new".into(), action).expect("valid input")
}

/// The removal of `project_id`, as the authorization tests decide it.
#[cfg(test)]
pub(crate) fn remove_command_for_tests(project_id: &str) -> remove::RemoveProjectCommand {
    remove::RemoveProjectCommand::new(project_id)
}
