//! `rampart.instance.v1.InstanceService`: the caller's instance (the one
//! the host name resolves to) and its domains; for system administrators,
//! creating and reading every instance of the server.

use tonic::{Request, Response, Status};

use super::convert::{
    details, flag, from_timestamp, list_details, list_params, number, text, time, timestamp,
};
use crate::api::gate::caller;
use crate::api::proto::rampart::instance::v1::instance_service_server::{
    InstanceService, InstanceServiceServer,
};
use crate::api::proto::rampart::instance::v1::{
    AddInstanceRequest, AddInstanceResponse, AddMyInstanceDomainRequest,
    AddMyInstanceDomainResponse, GetInstanceRequest, GetInstanceResponse, GetMyInstanceRequest,
    GetMyInstanceResponse, Instance, InstanceDomain, InstanceState, ListInstanceMilestonesRequest,
    ListInstancesRequest, ListInstancesResponse, ListMilestonesResponse,
    ListMyInstanceDomainsRequest, ListMyInstanceDomainsResponse, ListMyMilestonesRequest,
    Milestone as MilestoneMessage, MilestoneType, RemoveInstanceRequest, RemoveInstanceResponse,
    RemoveMyInstanceDomainRequest, RemoveMyInstanceDomainResponse, RenameMyInstanceRequest,
    RenameMyInstanceResponse, SetMyPrimaryInstanceDomainRequest,
    SetMyPrimaryInstanceDomainResponse,
};
use crate::api::status::{self, not_found};
use crate::api::validate::Violation;
use crate::bootstrap::{InstanceSetup, setup_instance};
use crate::milestone::{Milestone, MilestoneState};
use crate::query::{INSTANCE_DOMAINS, INSTANCES};
use crate::readmodel::Row;
use crate::server::AppState;

/// The role a new instance's first administrator holds.
const INSTANCE_OWNER: &str = "IAM_OWNER";

/// The instance service.
#[derive(Clone)]
pub(crate) struct Instances {
    state: AppState,
}

/// The instance service, ready to be routed.
pub(crate) fn server(state: &AppState) -> InstanceServiceServer<Instances> {
    InstanceServiceServer::new(Instances {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl InstanceService for Instances {
    async fn get_my_instance(
        &self,
        request: Request<GetMyInstanceRequest>,
    ) -> Result<Response<GetMyInstanceResponse>, Status> {
        let caller = caller(&request)?;
        let id = &caller.instance_id;
        let row = self.state.cqrs()?.queries.get(&INSTANCES, id, id).await?;
        let row = row.ok_or_else(|| not_found("instance", id))?;
        Ok(Response::new(GetMyInstanceResponse {
            instance: Some(instance(&row)),
        }))
    }

    async fn rename_my_instance(
        &self,
        request: Request<RenameMyInstanceRequest>,
    ) -> Result<Response<RenameMyInstanceResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let written = commands.rename_instance(&caller.ctx(), &req.name).await?;
        Ok(Response::new(RenameMyInstanceResponse {
            details: details(&written),
        }))
    }

    async fn list_my_instance_domains(
        &self,
        request: Request<ListMyInstanceDomainsRequest>,
    ) -> Result<Response<ListMyInstanceDomainsResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let req = request.into_inner();
        let params = list_params(req.query.as_ref(), &[]);
        let page = queries
            .list(&INSTANCE_DOMAINS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListMyInstanceDomainsResponse {
            details: list_details(&page),
            result: page.result.iter().map(domain).collect(),
        }))
    }

    async fn add_my_instance_domain(
        &self,
        request: Request<AddMyInstanceDomainRequest>,
    ) -> Result<Response<AddMyInstanceDomainResponse>, Status> {
        let caller = caller(&request)?;
        let cqrs = self.state.cqrs()?;
        let req = request.into_inner();
        let written = cqrs
            .commands
            .add_instance_domain(&caller.ctx(), &req.domain)
            .await?;
        Ok(Response::new(AddMyInstanceDomainResponse {
            details: details(&written),
        }))
    }

    async fn remove_my_instance_domain(
        &self,
        request: Request<RemoveMyInstanceDomainRequest>,
    ) -> Result<Response<RemoveMyInstanceDomainResponse>, Status> {
        let caller = caller(&request)?;
        let cqrs = self.state.cqrs()?;
        let req = request.into_inner();
        let written = cqrs
            .commands
            .remove_instance_domain(&caller.ctx(), &req.domain)
            .await?;
        Ok(Response::new(RemoveMyInstanceDomainResponse {
            details: details(&written),
        }))
    }

    async fn set_my_primary_instance_domain(
        &self,
        request: Request<SetMyPrimaryInstanceDomainRequest>,
    ) -> Result<Response<SetMyPrimaryInstanceDomainResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let written = commands
            .set_primary_instance_domain(&caller.ctx(), &req.domain)
            .await?;
        Ok(Response::new(SetMyPrimaryInstanceDomainResponse {
            details: details(&written),
        }))
    }

    async fn add_instance(
        &self,
        request: Request<AddInstanceRequest>,
    ) -> Result<Response<AddInstanceResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let admin = req.admin.unwrap_or_default();
        let expires_at = admin
            .token_expiration_date
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| {
                status::invalid_field(&Violation {
                    field: "admin.token_expiration_date".into(),
                    description: "is not a valid time".into(),
                })
            })?;
        let setup = InstanceSetup {
            org_name: if req.org_name.trim().is_empty() {
                req.name.clone()
            } else {
                req.org_name
            },
            name: req.name,
            domains: req.domains,
            admin_username: admin.username,
            admin_name: admin.name,
            admin_roles: vec![INSTANCE_OWNER.to_owned()],
            token_expires_at: expires_at,
        };
        let created = setup_instance(
            commands,
            &caller.principal.user_id,
            &setup,
            None,
            |_| Ok(()),
        )
        .await?;
        Ok(Response::new(AddInstanceResponse {
            instance_id: created.instance.aggregate.aggregate_id.clone(),
            details: details(&created.instance),
            org_id: created.org_id,
            admin_user_id: created.admin_id,
            admin_token: created.token.token,
        }))
    }

    async fn remove_instance(
        &self,
        request: Request<RemoveInstanceRequest>,
    ) -> Result<Response<RemoveInstanceResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let id = request.into_inner().instance_id;
        let written = commands
            .remove_instance(&caller.principal.user_id, &id)
            .await?;
        Ok(Response::new(RemoveInstanceResponse {
            details: details(&written),
        }))
    }

    async fn list_my_milestones(
        &self,
        request: Request<ListMyMilestonesRequest>,
    ) -> Result<Response<ListMilestonesResponse>, Status> {
        let caller = caller(&request)?;
        let state = self
            .state
            .cqrs()?
            .queries
            .milestones(&caller.instance_id)
            .await?;
        Ok(Response::new(milestones(&state)))
    }

    async fn list_instance_milestones(
        &self,
        request: Request<ListInstanceMilestonesRequest>,
    ) -> Result<Response<ListMilestonesResponse>, Status> {
        caller(&request)?;
        let id = request.into_inner().instance_id;
        let state = self.state.cqrs()?.queries.milestones(&id).await?;
        Ok(Response::new(milestones(&state)))
    }

    async fn get_instance(
        &self,
        request: Request<GetInstanceRequest>,
    ) -> Result<Response<GetInstanceResponse>, Status> {
        caller(&request)?;
        let id = request.into_inner().instance_id;
        let row = self.state.cqrs()?.queries.get(&INSTANCES, &id, &id).await?;
        let row = row.ok_or_else(|| not_found("instance", &id))?;
        Ok(Response::new(GetInstanceResponse {
            instance: Some(instance(&row)),
        }))
    }

    async fn list_instances(
        &self,
        request: Request<ListInstancesRequest>,
    ) -> Result<Response<ListInstancesResponse>, Status> {
        caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let req = request.into_inner();
        let params = list_params(req.query.as_ref(), &[]);
        let page = queries.list(&INSTANCES, None, &params).await?;
        Ok(Response::new(ListInstancesResponse {
            details: list_details(&page),
            result: page.result.iter().map(instance).collect(),
        }))
    }
}

/// An `instances` row as a message.
fn instance(row: &Row) -> Instance {
    let state = match text(row, "state").as_str() {
        "active" => InstanceState::Active,
        "removed" => InstanceState::Removed,
        _ => InstanceState::Unspecified,
    };
    Instance {
        id: text(row, "instanceId"),
        name: text(row, "name"),
        state: state.into(),
        primary_domain: text(row, "primaryDomain"),
        creator: text(row, "creator"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: number(row, "sequence"),
    }
}

/// An `instance_domains` row as a message.
fn domain(row: &Row) -> InstanceDomain {
    InstanceDomain {
        domain: text(row, "domain"),
        primary: flag(row, "isPrimary"),
        generated: flag(row, "isGenerated"),
        created_at: time(row, "createdAt"),
    }
}

/// Every milestone, reached or not, in set-up order.
fn milestones(state: &MilestoneState) -> ListMilestonesResponse {
    let result = Milestone::ALL
        .iter()
        .map(|m| {
            let reached = state.reached.iter().find(|r| r.milestone == *m);
            MilestoneMessage {
                r#type: milestone_type(*m).into(),
                reached: reached.is_some(),
                reached_at: reached.map(|r| timestamp(r.reached_at)),
            }
        })
        .collect();
    ListMilestonesResponse {
        instance_id: state.instance_id.clone(),
        result,
    }
}

/// A milestone as the API names it.
fn milestone_type(m: Milestone) -> MilestoneType {
    match m {
        Milestone::InstanceCreated => MilestoneType::InstanceCreated,
        Milestone::AuthenticationSucceededOnInstance => {
            MilestoneType::AuthenticationSucceededOnInstance
        }
        Milestone::ProjectCreated => MilestoneType::ProjectCreated,
        Milestone::ApplicationCreated => MilestoneType::ApplicationCreated,
        Milestone::AuthenticationSucceededOnApplication => {
            MilestoneType::AuthenticationSucceededOnApplication
        }
        Milestone::InstanceDeleted => MilestoneType::InstanceDeleted,
    }
}
