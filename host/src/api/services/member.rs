//! `rampart.member.v1.MemberService`: who holds which roles on the instance,
//! in each organization and on each project, and the role table itself.
//!
//! Roles are checked against `InternalAuthZ`: instance members hold `IAM_*`
//! and `SYSTEM_*` roles, organization members `ORG_*` roles, project members
//! `PROJECT_*` roles. The project methods are authorized on the project
//! (its organization, or a `PROJECT_*` role on it, see
//! `services::authorize_owned`). Granting a
//! `SYSTEM_*` role needs `system.member.write` besides the method's
//! permission, so an instance owner cannot make itself a system owner.

use tonic::{Request, Response, Status};

use super::convert::{details, page, timestamp};
use super::{authorize_owned, forget_principals};
use crate::api::gate::{Caller, caller};
use crate::api::proto::rampart::member::v1::member_service_server::{
    MemberService, MemberServiceServer,
};
use crate::api::proto::rampart::member::v1::*;
use crate::api::status::{self, permission_denied};
use crate::api::validate::Violation;
use crate::auth::RoleLevel as Level;
use crate::auth::roles::SYSTEM_MEMBER_WRITE;
use crate::query::{Member as StoredMember, PROJECTS};
use crate::server::AppState;

/// The member service.
#[derive(Clone)]
pub struct Members {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> MemberServiceServer<Members> {
    MemberServiceServer::new(Members {
        state: state.clone(),
    })
}

impl Members {
    /// Checks that every role exists at one of `levels`, and that the
    /// caller may grant the `SYSTEM_*` ones.
    fn check_roles(
        &self,
        caller: &Caller,
        roles: &[String],
        levels: &[Level],
    ) -> Result<(), Status> {
        let table = self.state.cqrs()?.auth.roles();
        for (i, key) in roles.iter().enumerate() {
            let known = table.role(key.trim()).filter(|r| levels.contains(&r.level));
            let Some(role) = known else {
                let allowed: Vec<&str> = table
                    .roles()
                    .filter(|r| levels.contains(&r.level))
                    .map(|r| r.key.as_str())
                    .collect();
                return Err(status::invalid_field(&Violation {
                    field: format!("roles[{i}]"),
                    description: format!(
                        "{key:?} is not a role here; one of: {}",
                        allowed.join(", ")
                    ),
                }));
            };
            if role.level == Level::System && !caller.principal.may_in_instance(SYSTEM_MEMBER_WRITE)
            {
                return Err(permission_denied(
                    SYSTEM_MEMBER_WRITE,
                    &format!("to grant {}", role.key),
                ));
            }
        }
        Ok(())
    }
}

/// Instance members may hold these levels.
const INSTANCE_LEVELS: &[Level] = &[Level::Instance, Level::System];
/// Organization members may hold these.
const ORG_LEVELS: &[Level] = &[Level::Org];
/// Project members may hold these.
const PROJECT_LEVELS: &[Level] = &[Level::Project];

fn member(m: StoredMember) -> Member {
    Member {
        user_id: m.user_id,
        roles: m.roles,
        created_at: Some(timestamp(m.added_at)),
        changed_at: Some(timestamp(m.changed_at)),
    }
}

#[tonic::async_trait]
impl MemberService for Members {
    async fn add_instance_member(
        &self,
        request: Request<AddInstanceMemberRequest>,
    ) -> Result<Response<AddInstanceMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.check_roles(&caller, &req.roles, INSTANCE_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_instance_member(&caller.ctx(), &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(AddInstanceMemberResponse {
            details: details(&written),
        }))
    }

    async fn update_instance_member(
        &self,
        request: Request<UpdateInstanceMemberRequest>,
    ) -> Result<Response<UpdateInstanceMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.check_roles(&caller, &req.roles, INSTANCE_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .change_instance_member(&caller.ctx(), &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(UpdateInstanceMemberResponse {
            details: details(&written),
        }))
    }

    async fn remove_instance_member(
        &self,
        request: Request<RemoveInstanceMemberRequest>,
    ) -> Result<Response<RemoveInstanceMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .remove_instance_member(&caller.ctx(), &req.user_id)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(RemoveInstanceMemberResponse {
            details: details(&written),
        }))
    }

    async fn list_instance_members(
        &self,
        request: Request<ListInstanceMembersRequest>,
    ) -> Result<Response<ListInstanceMembersResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let queries = &self.state.cqrs()?.queries;
        let members = queries.instance_members(&caller.instance_id).await?;
        let (result, details) = page(
            members.into_iter().map(member).collect(),
            req.query.as_ref(),
        );
        Ok(Response::new(ListInstanceMembersResponse {
            details,
            result,
        }))
    }

    async fn add_org_member(
        &self,
        request: Request<AddOrgMemberRequest>,
    ) -> Result<Response<AddOrgMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.check_roles(&caller, &req.roles, ORG_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_org_member(&caller.ctx(), &req.org_id, &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(AddOrgMemberResponse {
            details: details(&written),
        }))
    }

    async fn update_org_member(
        &self,
        request: Request<UpdateOrgMemberRequest>,
    ) -> Result<Response<UpdateOrgMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.check_roles(&caller, &req.roles, ORG_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .change_org_member(&caller.ctx(), &req.org_id, &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(UpdateOrgMemberResponse {
            details: details(&written),
        }))
    }

    async fn remove_org_member(
        &self,
        request: Request<RemoveOrgMemberRequest>,
    ) -> Result<Response<RemoveOrgMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .remove_org_member(&caller.ctx(), &req.org_id, &req.user_id)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(RemoveOrgMemberResponse {
            details: details(&written),
        }))
    }

    async fn list_org_members(
        &self,
        request: Request<ListOrgMembersRequest>,
    ) -> Result<Response<ListOrgMembersResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let queries = &self.state.cqrs()?.queries;
        let members = queries
            .org_members(&caller.instance_id, &req.org_id)
            .await?;
        let (result, details) = page(
            members.into_iter().map(member).collect(),
            req.query.as_ref(),
        );
        Ok(Response::new(ListOrgMembersResponse { details, result }))
    }

    async fn add_project_member(
        &self,
        request: Request<AddProjectMemberRequest>,
    ) -> Result<Response<AddProjectMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        authorize_owned(&self.state, &caller, &PROJECTS, "project", &req.project_id).await?;
        self.check_roles(&caller, &req.roles, PROJECT_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_project_member(&caller.ctx(), &req.project_id, &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(AddProjectMemberResponse {
            details: details(&written),
        }))
    }

    async fn update_project_member(
        &self,
        request: Request<UpdateProjectMemberRequest>,
    ) -> Result<Response<UpdateProjectMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        authorize_owned(&self.state, &caller, &PROJECTS, "project", &req.project_id).await?;
        self.check_roles(&caller, &req.roles, PROJECT_LEVELS)?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .change_project_member(&caller.ctx(), &req.project_id, &req.user_id, req.roles)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(UpdateProjectMemberResponse {
            details: details(&written),
        }))
    }

    async fn remove_project_member(
        &self,
        request: Request<RemoveProjectMemberRequest>,
    ) -> Result<Response<RemoveProjectMemberResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        authorize_owned(&self.state, &caller, &PROJECTS, "project", &req.project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .remove_project_member(&caller.ctx(), &req.project_id, &req.user_id)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(RemoveProjectMemberResponse {
            details: details(&written),
        }))
    }

    async fn list_project_members(
        &self,
        request: Request<ListProjectMembersRequest>,
    ) -> Result<Response<ListProjectMembersResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        authorize_owned(&self.state, &caller, &PROJECTS, "project", &req.project_id).await?;
        let queries = &self.state.cqrs()?.queries;
        let members = queries
            .project_members(&caller.instance_id, &req.project_id)
            .await?;
        let (result, details) = page(
            members.into_iter().map(member).collect(),
            req.query.as_ref(),
        );
        Ok(Response::new(ListProjectMembersResponse {
            details,
            result,
        }))
    }

    async fn list_roles(
        &self,
        _request: Request<ListRolesRequest>,
    ) -> Result<Response<ListRolesResponse>, Status> {
        let table = self.state.cqrs()?.auth.roles();
        let roles = table
            .roles()
            .map(|role| Role {
                key: role.key.clone(),
                level: match role.level {
                    Level::System => RoleLevel::System,
                    Level::Instance => RoleLevel::Instance,
                    Level::Org => RoleLevel::Org,
                    Level::Project => RoleLevel::Project,
                } as i32,
                permissions: role.permissions.iter().cloned().collect(),
            })
            .collect();
        Ok(Response::new(ListRolesResponse { roles }))
    }
}
