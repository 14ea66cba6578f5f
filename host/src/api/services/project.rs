//! `rampart.project.v1.ProjectService`: projects, their roles, and the
//! grants of their roles to other organizations; applications, and their
//! keys in `keys`.

mod keys;

use rampart_plugin_sdk::catalogue::{
    AddApiApp, AddOidcApp, AddProject, AddProjectGrant, AddProjectRole, ApiConfig, AppRef,
    ChangeApiApp, ChangeApp, ChangeOidcApp, ChangeProject, ChangeProjectGrant, ChangeProjectRole,
    OidcConfig, ProjectGrantRef, RemoveProjectRole,
};
use tonic::{Request, Response, Status};

use super::app_settings::{api_in, api_out, oidc_in, oidc_out};
use super::convert::{details, flag, list_details, list_params, number, strings, text, time};
use super::{authorize_owned, owned_row};
use crate::api::gate::{Caller, caller};
use crate::api::proto::rampart::api::v1::Details;
use crate::api::proto::rampart::project::v1::project_service_server::{
    ProjectService, ProjectServiceServer,
};
use crate::api::proto::rampart::project::v1::*;
use crate::api::status::not_found;
use crate::command::{AppAction, AppWritten, GrantAction, RoleAction, Written};
use crate::query::{PROJECT_APPS, PROJECT_GRANTS, PROJECT_ROLES, PROJECTS};
use crate::readmodel::Row;
use crate::server::AppState;

/// The project service.
#[derive(Clone)]
pub struct Projects {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> ProjectServiceServer<Projects> {
    ProjectServiceServer::new(Projects {
        state: state.clone(),
    })
}

impl Projects {
    /// The project `id` as the caller may see it: NOT_FOUND when it does
    /// not exist, PERMISSION_DENIED when the caller lacks the method's
    /// permission in the project's organization.
    async fn load(&self, caller: &Caller, id: &str) -> Result<Row, Status> {
        owned_row(&self.state, caller, &PROJECTS, "project", id).await
    }

    /// Checks the caller may act on project `id` (its organization), for a
    /// command: the write model decides whether it exists.
    async fn authorize(&self, caller: &Caller, id: &str) -> Result<(), Status> {
        authorize_owned(&self.state, caller, &PROJECTS, "project", id).await
    }

    /// Runs a role command on project `project_id` once the caller is
    /// authorized.
    async fn role(
        &self,
        caller: &Caller,
        project_id: &str,
        action: RoleAction,
    ) -> Result<Option<Details>, Status> {
        self.authorize(caller, project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .project_role(&caller.ctx(), project_id, action)
            .await?;
        Ok(details(&written))
    }

    /// Runs a grant command on project `project_id` once the caller is
    /// authorized.
    async fn grant(
        &self,
        caller: &Caller,
        project_id: &str,
        action: GrantAction,
    ) -> Result<Option<Details>, Status> {
        self.authorize(caller, project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .project_grant(&caller.ctx(), project_id, action)
            .await?;
        Ok(details(&written))
    }

    /// Runs an application command on project `project_id` once the caller
    /// is authorized.
    async fn app(
        &self,
        caller: &Caller,
        project_id: &str,
        action: AppAction,
    ) -> Result<AppWritten, Status> {
        self.authorize(caller, project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        Ok(commands
            .project_app(&caller.ctx(), project_id, action)
            .await?)
    }

    /// Deactivates (`active == false`) or reactivates project `project_id`
    /// once the caller is authorized.
    async fn set_active(
        &self,
        caller: &Caller,
        project_id: &str,
        active: bool,
    ) -> Result<Written, Status> {
        self.authorize(caller, project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        Ok(commands
            .set_project_active(&caller.ctx(), project_id, active)
            .await?)
    }
}

/// A project or grant state as its read-model value (`""`: any).
fn state_filter(state: ProjectState) -> &'static str {
    match state {
        ProjectState::Unspecified => "",
        ProjectState::Active => "active",
        ProjectState::Inactive => "inactive",
    }
}

/// A read-model state as the API's.
fn state(row: &Row) -> i32 {
    match text(row, "state").as_str() {
        "active" => ProjectState::Active,
        "inactive" => ProjectState::Inactive,
        _ => ProjectState::Unspecified,
    }
    .into()
}

/// A project row as the API shows it.
fn project(row: &Row) -> Project {
    Project {
        id: text(row, "id"),
        org_id: text(row, "orgId"),
        name: text(row, "name"),
        state: state(row),
        role_assertion: flag(row, "roleAssertion"),
        authorization_required: flag(row, "authorizationRequired"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: number(row, "sequence"),
        creator: text(row, "creator"),
    }
}

/// A role row as the API shows it.
fn role(row: &Row) -> ProjectRole {
    ProjectRole {
        project_id: text(row, "projectId"),
        key: text(row, "key"),
        display_name: text(row, "displayName"),
        group: text(row, "roleGroup"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
    }
}

/// A grant row as the API shows it.
fn grant(row: &Row) -> ProjectGrant {
    ProjectGrant {
        grant_id: text(row, "grantId"),
        project_id: text(row, "projectId"),
        granted_org_id: text(row, "grantedOrgId"),
        role_keys: strings(row, "roleKeys"),
        state: state(row),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
    }
}

/// An application row as the API shows it.
fn app(row: &Row) -> App {
    let settings = row.get("config").cloned().unwrap_or_default();
    let config = match text(row, "kind").as_str() {
        "oidc" => serde_json::from_value::<OidcConfig>(settings)
            .ok()
            .map(|c| app::Config::Oidc(oidc_out(c))),
        "api" => serde_json::from_value::<ApiConfig>(settings)
            .ok()
            .map(|c| app::Config::Api(api_out(c))),
        _ => None,
    };
    App {
        app_id: text(row, "appId"),
        project_id: text(row, "projectId"),
        name: text(row, "name"),
        client_id: text(row, "clientId"),
        state: state(row),
        config,
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
    }
}

/// The application a request names.
fn app_ref(app_id: String) -> AppRef {
    AppRef { app_id }
}

/// The answer to an application's addition.
fn added(written: AppWritten) -> Response<AddAppResponse> {
    Response::new(AddAppResponse {
        details: details(&written.written),
        app_id: written.app_id,
        client_id: written.client_id,
        client_secret: written.client_secret.unwrap_or_default(),
    })
}

/// The answer to a change of an application's settings.
fn config_changed(written: AppWritten) -> Response<UpdateAppConfigResponse> {
    Response::new(UpdateAppConfigResponse {
        details: details(&written.written),
        client_secret: written.client_secret.unwrap_or_default(),
    })
}

/// The grant a request names.
fn grant_ref(grant_id: String) -> ProjectGrantRef {
    ProjectGrantRef { grant_id }
}

#[tonic::async_trait]
impl ProjectService for Projects {
    async fn add_project(
        &self,
        request: Request<AddProjectRequest>,
    ) -> Result<Response<AddProjectResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = AddProject {
            name: req.name,
            role_assertion: req.role_assertion,
            authorization_required: req.authorization_required,
        };
        let written = commands
            .add_project(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(AddProjectResponse {
            project_id: written.aggregate.aggregate_id.clone(),
            details: details(&written),
        }))
    }

    async fn get_project(
        &self,
        request: Request<GetProjectRequest>,
    ) -> Result<Response<GetProjectResponse>, Status> {
        let caller = caller(&request)?;
        let row = self.load(&caller, &request.into_inner().project_id).await?;
        Ok(Response::new(GetProjectResponse {
            project: Some(project(&row)),
        }))
    }

    async fn list_projects(
        &self,
        request: Request<ListProjectsRequest>,
    ) -> Result<Response<ListProjectsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let params = list_params(
            req.query.as_ref(),
            &[
                ("orgId", &req.org_id),
                ("namePrefix", &req.name_prefix),
                ("state", state_filter(req.state())),
            ],
        );
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&PROJECTS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListProjectsResponse {
            details: list_details(&page),
            result: page.result.iter().map(project).collect(),
        }))
    }

    async fn update_project(
        &self,
        request: Request<UpdateProjectRequest>,
    ) -> Result<Response<UpdateProjectResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let cmd = ChangeProject {
            name: req.name,
            role_assertion: req.role_assertion,
            authorization_required: req.authorization_required,
        };
        let written = commands
            .change_project(&caller.ctx(), &req.project_id, cmd)
            .await?;
        Ok(Response::new(UpdateProjectResponse {
            details: details(&written),
        }))
    }

    async fn deactivate_project(
        &self,
        request: Request<DeactivateProjectRequest>,
    ) -> Result<Response<DeactivateProjectResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().project_id;
        let written = self.set_active(&caller, &id, false).await?;
        Ok(Response::new(DeactivateProjectResponse {
            details: details(&written),
        }))
    }

    async fn reactivate_project(
        &self,
        request: Request<ReactivateProjectRequest>,
    ) -> Result<Response<ReactivateProjectResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().project_id;
        let written = self.set_active(&caller, &id, true).await?;
        Ok(Response::new(ReactivateProjectResponse {
            details: details(&written),
        }))
    }

    async fn remove_project(
        &self,
        request: Request<RemoveProjectRequest>,
    ) -> Result<Response<RemoveProjectResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().project_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.remove_project(&caller.ctx(), &id).await?;
        Ok(Response::new(RemoveProjectResponse {
            details: details(&written),
        }))
    }

    async fn add_project_role(
        &self,
        request: Request<AddProjectRoleRequest>,
    ) -> Result<Response<AddProjectRoleResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = RoleAction::Add(AddProjectRole {
            key: req.key,
            display_name: req.display_name,
            group: req.group,
        });
        let details = self.role(&caller, &req.project_id, action).await?;
        Ok(Response::new(AddProjectRoleResponse { details }))
    }

    async fn update_project_role(
        &self,
        request: Request<UpdateProjectRoleRequest>,
    ) -> Result<Response<UpdateProjectRoleResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = RoleAction::Change(ChangeProjectRole {
            key: req.key,
            display_name: req.display_name,
            group: req.group,
        });
        let details = self.role(&caller, &req.project_id, action).await?;
        Ok(Response::new(UpdateProjectRoleResponse { details }))
    }

    async fn remove_project_role(
        &self,
        request: Request<RemoveProjectRoleRequest>,
    ) -> Result<Response<RemoveProjectRoleResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = RoleAction::Remove(RemoveProjectRole { key: req.key });
        let details = self.role(&caller, &req.project_id, action).await?;
        Ok(Response::new(RemoveProjectRoleResponse { details }))
    }

    async fn list_project_roles(
        &self,
        request: Request<ListProjectRolesRequest>,
    ) -> Result<Response<ListProjectRolesResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.load(&caller, &req.project_id).await?;
        let params = list_params(
            req.query.as_ref(),
            &[
                ("projectId", &req.project_id),
                ("keyPrefix", &req.key_prefix),
                ("roleGroup", &req.group),
            ],
        );
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&PROJECT_ROLES, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListProjectRolesResponse {
            details: list_details(&page),
            result: page.result.iter().map(role).collect(),
        }))
    }

    async fn add_project_grant(
        &self,
        request: Request<AddProjectGrantRequest>,
    ) -> Result<Response<AddProjectGrantResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.project_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let cmd = AddProjectGrant {
            granted_org_id: req.granted_org_id,
            role_keys: req.role_keys,
        };
        let (grant_id, written) = commands
            .add_project_grant(&caller.ctx(), &req.project_id, cmd)
            .await?;
        Ok(Response::new(AddProjectGrantResponse {
            grant_id,
            details: details(&written),
        }))
    }

    async fn update_project_grant(
        &self,
        request: Request<UpdateProjectGrantRequest>,
    ) -> Result<Response<UpdateProjectGrantResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = GrantAction::Change(ChangeProjectGrant {
            grant_id: req.grant_id,
            role_keys: req.role_keys,
        });
        let details = self.grant(&caller, &req.project_id, action).await?;
        Ok(Response::new(UpdateProjectGrantResponse { details }))
    }

    async fn deactivate_project_grant(
        &self,
        request: Request<DeactivateProjectGrantRequest>,
    ) -> Result<Response<DeactivateProjectGrantResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = GrantAction::Deactivate(grant_ref(req.grant_id));
        let details = self.grant(&caller, &req.project_id, action).await?;
        Ok(Response::new(DeactivateProjectGrantResponse { details }))
    }

    async fn reactivate_project_grant(
        &self,
        request: Request<ReactivateProjectGrantRequest>,
    ) -> Result<Response<ReactivateProjectGrantResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = GrantAction::Reactivate(grant_ref(req.grant_id));
        let details = self.grant(&caller, &req.project_id, action).await?;
        Ok(Response::new(ReactivateProjectGrantResponse { details }))
    }

    async fn remove_project_grant(
        &self,
        request: Request<RemoveProjectGrantRequest>,
    ) -> Result<Response<RemoveProjectGrantResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = GrantAction::Remove(grant_ref(req.grant_id));
        let details = self.grant(&caller, &req.project_id, action).await?;
        Ok(Response::new(RemoveProjectGrantResponse { details }))
    }

    async fn list_project_grants(
        &self,
        request: Request<ListProjectGrantsRequest>,
    ) -> Result<Response<ListProjectGrantsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.load(&caller, &req.project_id).await?;
        let params = list_params(req.query.as_ref(), &[("projectId", &req.project_id)]);
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&PROJECT_GRANTS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListProjectGrantsResponse {
            details: list_details(&page),
            result: page.result.iter().map(grant).collect(),
        }))
    }

    async fn list_granted_projects(
        &self,
        request: Request<ListGrantedProjectsRequest>,
    ) -> Result<Response<ListGrantedProjectsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let params = list_params(req.query.as_ref(), &[("grantedOrgId", &req.org_id)]);
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&PROJECT_GRANTS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListGrantedProjectsResponse {
            details: list_details(&page),
            result: page.result.iter().map(grant).collect(),
        }))
    }
    async fn add_oidc_app(
        &self,
        request: Request<AddOidcAppRequest>,
    ) -> Result<Response<AddAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let config = oidc_in(req.config.unwrap_or_default())?;
        let action = AppAction::AddOidc(AddOidcApp {
            name: req.name,
            config,
        });
        Ok(added(self.app(&caller, &req.project_id, action).await?))
    }

    async fn add_api_app(
        &self,
        request: Request<AddApiAppRequest>,
    ) -> Result<Response<AddAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::AddApi(AddApiApp {
            name: req.name,
            config: api_in(req.config),
        });
        Ok(added(self.app(&caller, &req.project_id, action).await?))
    }

    async fn get_app(
        &self,
        request: Request<GetAppRequest>,
    ) -> Result<Response<GetAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.load(&caller, &req.project_id).await?;
        let queries = &self.state.cqrs()?.queries;
        let params = list_params(
            None,
            &[("projectId", &req.project_id), ("appId", &req.app_id)],
        );
        let page = queries
            .list(&PROJECT_APPS, Some(&caller.instance_id), &params)
            .await?;
        let found = page
            .result
            .first()
            .ok_or_else(|| not_found("application", &req.app_id))?;
        Ok(Response::new(GetAppResponse {
            app: Some(app(found)),
        }))
    }

    async fn list_apps(
        &self,
        request: Request<ListAppsRequest>,
    ) -> Result<Response<ListAppsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.load(&caller, &req.project_id).await?;
        let params = list_params(
            req.query.as_ref(),
            &[
                ("projectId", &req.project_id),
                ("namePrefix", &req.name_prefix),
            ],
        );
        let queries = &self.state.cqrs()?.queries;
        let page = queries
            .list(&PROJECT_APPS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListAppsResponse {
            details: list_details(&page),
            result: page.result.iter().map(app).collect(),
        }))
    }

    async fn rename_app(
        &self,
        request: Request<RenameAppRequest>,
    ) -> Result<Response<RenameAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::Rename(ChangeApp {
            app_id: req.app_id,
            name: req.name,
        });
        let written = self.app(&caller, &req.project_id, action).await?;
        Ok(Response::new(RenameAppResponse {
            details: details(&written.written),
        }))
    }

    async fn update_oidc_app_config(
        &self,
        request: Request<UpdateOidcAppConfigRequest>,
    ) -> Result<Response<UpdateAppConfigResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let config = oidc_in(req.config.unwrap_or_default())?;
        let action = AppAction::ChangeOidc(ChangeOidcApp {
            app_id: req.app_id,
            config,
        });
        Ok(config_changed(
            self.app(&caller, &req.project_id, action).await?,
        ))
    }

    async fn update_api_app_config(
        &self,
        request: Request<UpdateApiAppConfigRequest>,
    ) -> Result<Response<UpdateAppConfigResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::ChangeApi(ChangeApiApp {
            app_id: req.app_id,
            config: api_in(req.config),
        });
        Ok(config_changed(
            self.app(&caller, &req.project_id, action).await?,
        ))
    }

    async fn deactivate_app(
        &self,
        request: Request<DeactivateAppRequest>,
    ) -> Result<Response<DeactivateAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::Deactivate(app_ref(req.app_id));
        let written = self.app(&caller, &req.project_id, action).await?;
        Ok(Response::new(DeactivateAppResponse {
            details: details(&written.written),
        }))
    }

    async fn reactivate_app(
        &self,
        request: Request<ReactivateAppRequest>,
    ) -> Result<Response<ReactivateAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::Reactivate(app_ref(req.app_id));
        let written = self.app(&caller, &req.project_id, action).await?;
        Ok(Response::new(ReactivateAppResponse {
            details: details(&written.written),
        }))
    }

    async fn remove_app(
        &self,
        request: Request<RemoveAppRequest>,
    ) -> Result<Response<RemoveAppResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::Remove(app_ref(req.app_id));
        let written = self.app(&caller, &req.project_id, action).await?;
        Ok(Response::new(RemoveAppResponse {
            details: details(&written.written),
        }))
    }

    async fn add_app_key(
        &self,
        request: Request<AddAppKeyRequest>,
    ) -> Result<Response<AddAppKeyResponse>, Status> {
        keys::add_key(self, request).await
    }

    async fn list_app_keys(
        &self,
        request: Request<ListAppKeysRequest>,
    ) -> Result<Response<ListAppKeysResponse>, Status> {
        keys::list_keys(self, request).await
    }

    async fn remove_app_key(
        &self,
        request: Request<RemoveAppKeyRequest>,
    ) -> Result<Response<RemoveAppKeyResponse>, Status> {
        keys::remove_key(self, request).await
    }

    async fn regenerate_app_secret(
        &self,
        request: Request<RegenerateAppSecretRequest>,
    ) -> Result<Response<RegenerateAppSecretResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let action = AppAction::RegenerateSecret(app_ref(req.app_id));
        let written = self.app(&caller, &req.project_id, action).await?;
        Ok(Response::new(RegenerateAppSecretResponse {
            details: details(&written.written),
            client_secret: written.client_secret.unwrap_or_default(),
        }))
    }
}
