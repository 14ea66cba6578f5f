//! The authorizations a project change narrows or removes, as events in
//! the project command's own push: a role that leaves the project (or a
//! grant) leaves every authorization holding it, and a grant or project
//! that goes takes its authorizations along.

use rampart_plugin_sdk::catalogue::{AuthorizationAdded, AuthorizationChanged, EventPayload};

use super::change::removal;
use super::model::AuthorizationModel;
use crate::command::CommandError;
use crate::command::cascade::{take_along, tied_to};
use crate::command::pipeline::{Decision, Env};

/// What happens to one authorization.
pub(crate) enum Follow {
    /// Nothing.
    Keep,
    /// It keeps only these roles.
    Roles(Vec<String>),
    /// It goes.
    Remove,
}

/// Adds to `decision` what `follow` decides for each live authorization
/// of project `project_id`.
///
/// # Errors
/// [`CommandError::Store`] when the authorizations cannot be read.
pub(crate) async fn authorizations_follow(
    decision: &mut Decision,
    env: &Env<'_>,
    project_id: &str,
    follow: impl Fn(&AuthorizationModel) -> Follow,
) -> Result<(), CommandError> {
    let tied = tied_to(
        env,
        &[AuthorizationAdded::TYPE],
        "projectId",
        project_id,
        |a: &AuthorizationModel| a.project_id == project_id,
    )
    .await?;
    for (aggregate, authorization) in tied {
        let event = match follow(&authorization.model) {
            Follow::Keep => continue,
            Follow::Roles(role_keys) if role_keys == authorization.model.role_keys => continue,
            Follow::Roles(role_keys) => env.event(&AuthorizationChanged { role_keys }),
            Follow::Remove => {
                let (event, release) = removal(env, &authorization.model);
                decision.unique.push(release);
                event
            }
        };
        take_along(decision, aggregate, &authorization, vec![event]);
    }
    Ok(())
}

/// The roles of `authorization` without `key`.
pub(crate) fn without(authorization: &AuthorizationModel, key: &str) -> Follow {
    Follow::Roles(
        authorization
            .role_keys
            .iter()
            .filter(|k| *k != key)
            .cloned()
            .collect(),
    )
}
