//! Milestones (seed 004): the first time an instance reached a step of its
//! set-up, each recorded once on the instance's `milestone` aggregate (id =
//! the instance id); and the login event that reaches the authentication
//! milestones.

use serde::{Deserialize, Serialize};

use super::event_types;

/// `milestone.reached`: the instance reached `milestone` for the first time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MilestoneReached {
    /// `instance_created`, `authentication_succeeded_on_instance`,
    /// `project_created`, `application_created`,
    /// `authentication_succeeded_on_application` or `instance_deleted`.
    pub milestone: String,
}

/// `user.authentication.succeeded`, on the user aggregate: a user logged in.
/// Pushed by the login; reaches the authentication milestones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAuthenticationSucceeded {
    /// The application the user logged in to, if the login was for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

event_types! {
    MilestoneReached => "milestone.reached",
    UserAuthenticationSucceeded => "user.authentication.succeeded",
}
