//! # Organization commands
//!
//! An organization groups users inside an instance. It has a name, an
//! active/inactive state, and domains (unique per instance, claimed under
//! [`DOMAIN_KIND`] as soon as they are added), one of them primary.
//!
//! - `model`: the write model.
//! - `add`: `org.add` (with a first, verified, primary domain).
//! - `change`: `org.rename`, `org.deactivate`, `org.reactivate`.
//! - `domain`: adding, verifying, making primary and removing domains.
//! - `remove`: `org.remove`, which removes the org's users with it.
//! - members (`org.member.*`): `command::member`, folded into the model.

use crate::command::CommandError;
use crate::command::pipeline::Env;

pub(crate) mod add;
mod change;
pub(crate) mod domain;
pub(crate) mod model;
pub(crate) mod remove;

#[cfg(test)]
mod member_tests;
#[cfg(test)]
mod tests;

/// The aggregate type of organizations.
pub(crate) const AGGREGATE_TYPE: &str = "org";

/// Unique-value kind of organization domains (per instance).
pub(crate) const DOMAIN_KIND: &str = "org_domain";

/// [`CommandError::NotFound`] unless organization `org_id` exists,
/// [`CommandError::FailedPrecondition`] unless it is active: what adding
/// users and projects to it, or granting it roles, requires.
pub(crate) async fn require_active_org(env: &Env<'_>, org_id: &str) -> Result<(), CommandError> {
    let Some(org) = env.org(org_id).await? else {
        return Err(CommandError::NotFound {
            kind: "org",
            id: org_id.to_owned(),
        });
    };
    if !org.is_active() {
        return Err(CommandError::precondition(format!(
            "the organization {org_id} is inactive"
        )));
    }
    Ok(())
}
