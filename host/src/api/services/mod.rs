//! The methods of the public API, one file per service. Each method is
//! thin: the [`Caller`](super::Caller) the gate admitted, the request
//! mapped to a command or query, the result mapped to the response.

pub mod app_settings;
pub mod auth;
pub mod authorization;
pub mod convert;
pub mod event;
pub mod instance;
pub mod member;
pub mod org;
pub mod plugin;
pub mod project;
pub mod projection;
pub mod user;

use tonic::Status;
use tonic::service::Routes;

use super::Caller;
use crate::server::AppState;

/// Drops this node's cached principals of `user_id` after a change that may
/// take access away (other nodes follow from the change's event).
pub(crate) fn forget_principals(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
) -> Result<(), Status> {
    state.cqrs()?.auth.forget_user(&caller.instance_id, user_id);
    Ok(())
}

/// `routes` with every `rampart.*` service added.
pub fn add_all(routes: Routes, state: &AppState) -> Routes {
    routes
        .add_service(auth::server(state))
        .add_service(authorization::server(state))
        .add_service(event::server(state))
        .add_service(instance::server(state))
        .add_service(member::server(state))
        .add_service(org::server(state))
        .add_service(plugin::server(state))
        .add_service(project::server(state))
        .add_service(projection::server(state))
        .add_service(user::server(state))
}
