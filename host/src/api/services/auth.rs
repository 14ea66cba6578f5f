//! `rampart.auth.v1.AuthService`: what the caller is and may do.

use tonic::{Request, Response, Status};

use super::user::user;
use crate::api::gate::caller;
use crate::api::proto::rampart::auth::v1::auth_service_server::{AuthService, AuthServiceServer};
use crate::api::proto::rampart::auth::v1::{
    GetMyUserRequest, GetMyUserResponse, ListMyPermissionsRequest, ListMyPermissionsResponse,
    OrgPermissions, ProjectPermissions,
};
use crate::api::status::not_found;
use crate::auth::RoleLevel;
use crate::query::USERS;
use crate::server::AppState;

/// The auth service.
#[derive(Clone)]
pub struct Auth {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> AuthServiceServer<Auth> {
    AuthServiceServer::new(Auth {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl AuthService for Auth {
    async fn get_my_user(
        &self,
        request: Request<GetMyUserRequest>,
    ) -> Result<Response<GetMyUserResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let id = &caller.principal.user_id;
        let row = queries
            .get(&USERS, &caller.instance_id, id)
            .await?
            .ok_or_else(|| not_found("user", id))?;
        Ok(Response::new(GetMyUserResponse {
            user: Some(user(&row)),
            instance_id: caller.instance_id,
        }))
    }

    async fn list_my_permissions(
        &self,
        request: Request<ListMyPermissionsRequest>,
    ) -> Result<Response<ListMyPermissionsResponse>, Status> {
        let caller = caller(&request)?;
        let principal = &caller.principal;
        let table = self.state.cqrs()?.auth.roles();
        let (system_roles, instance_roles): (Vec<String>, Vec<String>) = principal
            .instance_roles
            .iter()
            .cloned()
            .partition(|role| RoleLevel::of(role) == Some(RoleLevel::System));
        let system_permissions = table.permissions(&system_roles);
        let instance_permissions = table.permissions(&instance_roles);
        let org_permissions = principal
            .org_roles
            .iter()
            .map(|(org_id, roles)| OrgPermissions {
                org_id: org_id.clone(),
                roles: roles.clone(),
                permissions: table.permissions(roles).into_iter().collect(),
            })
            .collect();
        let project_permissions = principal
            .project_roles
            .iter()
            .map(|(project_id, roles)| ProjectPermissions {
                project_id: project_id.clone(),
                roles: roles.clone(),
                permissions: table.permissions(roles).into_iter().collect(),
            })
            .collect();
        Ok(Response::new(ListMyPermissionsResponse {
            instance_roles,
            instance_permissions: instance_permissions.into_iter().collect(),
            org_permissions,
            system_roles,
            system_permissions: system_permissions.into_iter().collect(),
            project_permissions,
        }))
    }
}
