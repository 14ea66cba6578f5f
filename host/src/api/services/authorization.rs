//! `rampart.authorization.v1.AuthorizationService`: which user may use
//! which project, with which roles.

use rampart_plugin_sdk::catalogue::{AddAuthorization, ChangeAuthorization};
use tonic::{Request, Response, Status};

use super::convert::{details, flag, list_details, list_params, number, strings, text, time};
use super::{authorize_owned, owned_row};
use crate::api::gate::{Caller, caller};
use crate::api::proto::rampart::api::v1::Details;
use crate::api::proto::rampart::authorization::v1::authorization_service_server::{
    AuthorizationService, AuthorizationServiceServer,
};
use crate::api::proto::rampart::authorization::v1::*;
use crate::command::AuthorizationAction;
use crate::query::{AUTHORIZATIONS, PROJECTS};
use crate::readmodel::Row;
use crate::server::AppState;

/// The authorization service.
#[derive(Clone)]
pub struct Authorizations {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> AuthorizationServiceServer<Authorizations> {
    AuthorizationServiceServer::new(Authorizations {
        state: state.clone(),
    })
}

impl Authorizations {
    /// Authorization `id` as the caller may see it: NOT_FOUND when it does
    /// not exist, PERMISSION_DENIED when the caller lacks the method's
    /// permission in the organization owning it.
    async fn load(&self, caller: &Caller, id: &str) -> Result<Row, Status> {
        owned_row(&self.state, caller, &AUTHORIZATIONS, "authorization", id).await
    }

    /// Runs `action` on authorization `id` once the caller may.
    async fn act(
        &self,
        caller: &Caller,
        id: &str,
        action: AuthorizationAction,
    ) -> Result<Option<Details>, Status> {
        authorize_owned(&self.state, caller, &AUTHORIZATIONS, "authorization", id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.authorization(&caller.ctx(), id, action).await?;
        Ok(details(&written))
    }
}

/// An authorization row as the API shows it.
fn authorization(row: &Row) -> Authorization {
    let state = match text(row, "state").as_str() {
        "active" => AuthorizationState::Active,
        "inactive" => AuthorizationState::Inactive,
        _ => AuthorizationState::Unspecified,
    };
    Authorization {
        id: text(row, "id"),
        user_id: text(row, "userId"),
        project_id: text(row, "projectId"),
        project_grant_id: text(row, "projectGrantId"),
        org_id: text(row, "orgId"),
        role_keys: strings(row, "roleKeys"),
        state: state.into(),
        usable: flag(row, "projectActive") && flag(row, "grantActive"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: number(row, "sequence"),
    }
}

#[tonic::async_trait]
impl AuthorizationService for Authorizations {
    async fn add_authorization(
        &self,
        request: Request<AddAuthorizationRequest>,
    ) -> Result<Response<AddAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = AddAuthorization {
            user_id: req.user_id,
            project_id: req.project_id,
            project_grant_id: Some(req.project_grant_id),
            role_keys: req.role_keys,
        };
        let written = commands
            .add_authorization(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(AddAuthorizationResponse {
            authorization_id: written.aggregate.aggregate_id.clone(),
            details: details(&written),
        }))
    }

    async fn get_authorization(
        &self,
        request: Request<GetAuthorizationRequest>,
    ) -> Result<Response<GetAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let row = self
            .load(&caller, &request.into_inner().authorization_id)
            .await?;
        Ok(Response::new(GetAuthorizationResponse {
            authorization: Some(authorization(&row)),
        }))
    }

    async fn list_authorizations(
        &self,
        request: Request<ListAuthorizationsRequest>,
    ) -> Result<Response<ListAuthorizationsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let state = match req.state() {
            AuthorizationState::Unspecified => "",
            AuthorizationState::Active => "active",
            AuthorizationState::Inactive => "inactive",
        };
        let params = list_params(
            req.query.as_ref(),
            &[
                ("orgId", &req.org_id),
                ("userId", &req.user_id),
                ("projectId", &req.project_id),
                ("projectGrantId", &req.project_grant_id),
                ("state", state),
            ],
        );
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&AUTHORIZATIONS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListAuthorizationsResponse {
            details: list_details(&page),
            result: page.result.iter().map(authorization).collect(),
        }))
    }

    async fn update_authorization(
        &self,
        request: Request<UpdateAuthorizationRequest>,
    ) -> Result<Response<UpdateAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AuthorizationAction::Change(ChangeAuthorization {
            role_keys: req.role_keys,
        });
        let details = self.act(&caller, &req.authorization_id, action).await?;
        Ok(Response::new(UpdateAuthorizationResponse { details }))
    }

    async fn deactivate_authorization(
        &self,
        request: Request<DeactivateAuthorizationRequest>,
    ) -> Result<Response<DeactivateAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().authorization_id;
        let details = self
            .act(&caller, &id, AuthorizationAction::Deactivate)
            .await?;
        Ok(Response::new(DeactivateAuthorizationResponse { details }))
    }

    async fn reactivate_authorization(
        &self,
        request: Request<ReactivateAuthorizationRequest>,
    ) -> Result<Response<ReactivateAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().authorization_id;
        let details = self
            .act(&caller, &id, AuthorizationAction::Reactivate)
            .await?;
        Ok(Response::new(ReactivateAuthorizationResponse { details }))
    }

    async fn remove_authorization(
        &self,
        request: Request<RemoveAuthorizationRequest>,
    ) -> Result<Response<RemoveAuthorizationResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().authorization_id;
        let details = self.act(&caller, &id, AuthorizationAction::Remove).await?;
        Ok(Response::new(RemoveAuthorizationResponse { details }))
    }

    async fn get_user_project_roles(
        &self,
        request: Request<GetUserProjectRolesRequest>,
    ) -> Result<Response<GetUserProjectRolesResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        authorize_owned(&self.state, &caller, &PROJECTS, "project", &req.project_id).await?;
        let queries = &self.state.cqrs()?.queries;
        let roles = queries
            .project_roles(&caller.instance_id, &req.user_id, &req.project_id)
            .await?;
        Ok(Response::new(GetUserProjectRolesResponse {
            authorized: roles.is_some(),
            role_keys: roles.unwrap_or_default(),
        }))
    }
}
