//! `rampart.org.v1.OrgService`: the organizations of the caller's instance
//! and their domains.

use rampart_plugin_sdk::catalogue::{
    AddOrg, AddOrgDomain, RemoveOrgDomain, RenameOrg, SetPrimaryOrgDomain, VerifyOrgDomain,
};
use tonic::{Request, Response, Status};

use super::convert::{details, flag, list_details, list_params, number, text, time, timestamp};
use crate::api::gate::caller;
use crate::api::proto::rampart::org::v1::org_service_server::{OrgService, OrgServiceServer};
use crate::api::proto::rampart::org::v1::{
    AddOrgDomainRequest, AddOrgDomainResponse, AddOrgRequest, AddOrgResponse, DeactivateOrgRequest,
    DeactivateOrgResponse, GetOrgByDomainRequest, GetOrgByDomainResponse, GetOrgRequest,
    GetOrgResponse, ListOrgDomainsRequest, ListOrgDomainsResponse, ListOrgsRequest,
    ListOrgsResponse, Org, OrgDomain, OrgState, ReactivateOrgRequest, ReactivateOrgResponse,
    RemoveOrgDomainRequest, RemoveOrgDomainResponse, RemoveOrgRequest, RemoveOrgResponse,
    RenameOrgRequest, RenameOrgResponse, SetPrimaryOrgDomainRequest, SetPrimaryOrgDomainResponse,
    VerifyOrgDomainRequest, VerifyOrgDomainResponse,
};
use crate::api::status::{from_api, not_found, permission_denied};
use crate::cache::objects::CachedOrg;
use crate::query::{ORG_DOMAINS, ORGS};
use crate::readmodel::Row;
use crate::server::{ApiError, AppState};

/// The organization service.
#[derive(Clone)]
pub(crate) struct Orgs {
    state: AppState,
}

/// The organization service, ready to be routed.
pub(crate) fn server(state: &AppState) -> OrgServiceServer<Orgs> {
    OrgServiceServer::new(Orgs {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl OrgService for Orgs {
    async fn add_org(
        &self,
        request: Request<AddOrgRequest>,
    ) -> Result<Response<AddOrgResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = AddOrg {
            name: req.name,
            domain: (!req.domain.is_empty()).then_some(req.domain),
        };
        let written = commands.add_org(&caller.ctx(), cmd).await?;
        Ok(Response::new(AddOrgResponse {
            org_id: written.aggregate.aggregate_id.clone(),
            details: details(&written),
        }))
    }

    async fn get_org(
        &self,
        request: Request<GetOrgRequest>,
    ) -> Result<Response<GetOrgResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let id = request.into_inner().org_id;
        let found = queries.org(&caller.instance_id, &id).await?;
        let found = found.ok_or_else(|| not_found("organization", &id))?;
        Ok(Response::new(GetOrgResponse {
            org: Some(cached_org(&found)),
        }))
    }

    /// `SCOPE_RESOURCE`: the gate let in callers holding `org.read`
    /// somewhere; here the organization found must be one they may read.
    /// Whether a domain is taken is told only to callers who may read every
    /// organization of the instance: others are denied alike whether it is
    /// free or held by an organization they may not read.
    async fn get_org_by_domain(
        &self,
        request: Request<GetOrgByDomainRequest>,
    ) -> Result<Response<GetOrgByDomainResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let domain = request.into_inner().domain;
        let found = queries.org_by_domain(&caller.instance_id, &domain).await?;
        let Some(found) = found else {
            if caller.principal.may_in_instance(&caller.permission) {
                return Err(from_api(ApiError::not_found(format!(
                    "no organization has the domain {domain:?}"
                ))));
            }
            return Err(permission_denied(
                &caller.permission,
                "in the organization holding the domain",
            ));
        };
        caller.require_org(&found.id)?;
        Ok(Response::new(GetOrgByDomainResponse {
            org: Some(cached_org(&found)),
        }))
    }

    async fn list_orgs(
        &self,
        request: Request<ListOrgsRequest>,
    ) -> Result<Response<ListOrgsResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let req = request.into_inner();
        let state = match req.state() {
            OrgState::Unspecified => "",
            OrgState::Active => "active",
            OrgState::Inactive => "inactive",
            OrgState::Removed => "removed",
        };
        let params = list_params(
            req.query.as_ref(),
            &[("namePrefix", &req.name_prefix), ("state", state)],
        );
        let page = queries
            .list(&ORGS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListOrgsResponse {
            details: list_details(&page),
            result: page.result.iter().map(org).collect(),
        }))
    }

    async fn rename_org(
        &self,
        request: Request<RenameOrgRequest>,
    ) -> Result<Response<RenameOrgResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = RenameOrg { name: req.name };
        let written = commands.rename_org(&caller.ctx(), &req.org_id, cmd).await?;
        Ok(Response::new(RenameOrgResponse {
            details: details(&written),
        }))
    }

    async fn deactivate_org(
        &self,
        request: Request<DeactivateOrgRequest>,
    ) -> Result<Response<DeactivateOrgResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let written = commands.deactivate_org(&caller.ctx(), &req.org_id).await?;
        Ok(Response::new(DeactivateOrgResponse {
            details: details(&written),
        }))
    }

    async fn reactivate_org(
        &self,
        request: Request<ReactivateOrgRequest>,
    ) -> Result<Response<ReactivateOrgResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let written = commands.reactivate_org(&caller.ctx(), &req.org_id).await?;
        Ok(Response::new(ReactivateOrgResponse {
            details: details(&written),
        }))
    }

    async fn remove_org(
        &self,
        request: Request<RemoveOrgRequest>,
    ) -> Result<Response<RemoveOrgResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let written = commands.remove_org(&caller.ctx(), &req.org_id).await?;
        Ok(Response::new(RemoveOrgResponse {
            details: details(&written),
        }))
    }

    async fn list_org_domains(
        &self,
        request: Request<ListOrgDomainsRequest>,
    ) -> Result<Response<ListOrgDomainsResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let req = request.into_inner();
        let params = list_params(req.query.as_ref(), &[("orgId", &req.org_id)]);
        let page = queries
            .list(&ORG_DOMAINS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListOrgDomainsResponse {
            details: list_details(&page),
            result: page.result.iter().map(domain).collect(),
        }))
    }

    async fn add_org_domain(
        &self,
        request: Request<AddOrgDomainRequest>,
    ) -> Result<Response<AddOrgDomainResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = AddOrgDomain { domain: req.domain };
        let written = commands
            .add_org_domain(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(AddOrgDomainResponse {
            details: details(&written),
        }))
    }

    async fn remove_org_domain(
        &self,
        request: Request<RemoveOrgDomainRequest>,
    ) -> Result<Response<RemoveOrgDomainResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = RemoveOrgDomain { domain: req.domain };
        let written = commands
            .remove_org_domain(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(RemoveOrgDomainResponse {
            details: details(&written),
        }))
    }

    async fn verify_org_domain(
        &self,
        request: Request<VerifyOrgDomainRequest>,
    ) -> Result<Response<VerifyOrgDomainResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = VerifyOrgDomain { domain: req.domain };
        let written = commands
            .verify_org_domain(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(VerifyOrgDomainResponse {
            details: details(&written),
        }))
    }

    async fn set_primary_org_domain(
        &self,
        request: Request<SetPrimaryOrgDomainRequest>,
    ) -> Result<Response<SetPrimaryOrgDomainResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let cmd = SetPrimaryOrgDomain { domain: req.domain };
        let written = commands
            .set_primary_org_domain(&caller.ctx(), &req.org_id, cmd)
            .await?;
        Ok(Response::new(SetPrimaryOrgDomainResponse {
            details: details(&written),
        }))
    }
}

/// An `orgs` row as a message.
fn org(row: &Row) -> Org {
    Org {
        id: text(row, "id"),
        name: text(row, "name"),
        state: org_state(&text(row, "state")).into(),
        primary_domain: text(row, "primaryDomain"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: number(row, "sequence"),
        creator: text(row, "creator"),
    }
}

/// A cached organization as a message.
fn cached_org(found: &CachedOrg) -> Org {
    Org {
        id: found.id.clone(),
        name: found.name.clone(),
        state: org_state(&found.state).into(),
        primary_domain: found.primary_domain.clone().unwrap_or_default(),
        created_at: Some(timestamp(found.created_at)),
        changed_at: Some(timestamp(found.changed_at)),
        sequence: found.sequence,
        creator: found.creator.clone(),
    }
}

/// An organization's state as the API names it.
fn org_state(state: &str) -> OrgState {
    match state {
        "active" => OrgState::Active,
        "inactive" => OrgState::Inactive,
        "removed" => OrgState::Removed,
        _ => OrgState::Unspecified,
    }
}

/// An `org_domains` row as a message.
fn domain(row: &Row) -> OrgDomain {
    OrgDomain {
        domain: text(row, "domain"),
        verified: flag(row, "verified"),
        primary: flag(row, "isPrimary"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
    }
}
