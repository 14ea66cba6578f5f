//! `rampart.projection.v1.ProjectionService`: the projections' generations,
//! positions and lag, and the events they failed to apply.

use tonic::{Request, Response, Status};

use super::convert::timestamp;
use crate::api::gate::caller;
use crate::api::proto::rampart::projection::v1::projection_service_server::{
    ProjectionService, ProjectionServiceServer,
};
use crate::api::proto::rampart::projection::v1::{
    Generation, GenerationStatus, ListProjectionFailuresRequest, ListProjectionFailuresResponse,
    ListProjectionsRequest, ListProjectionsResponse, Projection, ProjectionFailure, Spooler,
    SpoolerState,
};
use crate::readmodel::{self, FailedEvent};
use crate::server::{ApiError, AppState};
use crate::spooler::{GenerationStatusView, ProjectionStatus, RunState, WorkerStatus};

/// Failures returned when the request does not say how many.
const DEFAULT_FAILURES: u32 = 1000;

/// The projection service.
#[derive(Clone)]
pub(crate) struct Projections {
    state: AppState,
}

/// The projection service, ready to be routed.
pub(crate) fn server(state: &AppState) -> ProjectionServiceServer<Projections> {
    ProjectionServiceServer::new(Projections {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl ProjectionService for Projections {
    async fn list_projections(
        &self,
        request: Request<ListProjectionsRequest>,
    ) -> Result<Response<ListProjectionsResponse>, Status> {
        caller(&request)?;
        let spoolers = &self.state.cqrs()?.spoolers;
        let status = spoolers.status().await.map_err(ApiError::from)?;
        Ok(Response::new(ListProjectionsResponse {
            projections: status.into_iter().map(projection).collect(),
        }))
    }

    async fn list_projection_failures(
        &self,
        request: Request<ListProjectionFailuresRequest>,
    ) -> Result<Response<ListProjectionFailuresResponse>, Status> {
        caller(&request)?;
        let spoolers = &self.state.cqrs()?.spoolers;
        let req = request.into_inner();
        let limit = if req.limit == 0 {
            DEFAULT_FAILURES
        } else {
            req.limit
        };
        let failures = spoolers
            .readstore()
            .failures(&req.name, limit)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(ListProjectionFailuresResponse {
            failures: failures.into_iter().map(failure).collect(),
        }))
    }
}

fn projection(status: ProjectionStatus) -> Projection {
    Projection {
        name: status.name,
        plugin_version: status.plugin_version,
        generations: status.generations.into_iter().map(generation).collect(),
        failed_events: status.failed_events as u64,
    }
}

fn generation(view: GenerationStatusView) -> Generation {
    let status = match view.status {
        readmodel::GenerationStatus::Building => GenerationStatus::Building,
        readmodel::GenerationStatus::Serving => GenerationStatus::Serving,
        readmodel::GenerationStatus::Retired => GenerationStatus::Retired,
    };
    Generation {
        number: u64::try_from(view.number).unwrap_or_default(),
        version: view.version,
        status: status.into(),
        position: view.position.to_string(),
        events_applied: view.events_applied,
        lag_events: view.lag_events,
        lag_seconds: view.lag_seconds,
        switched_at: view.switched_at.map(timestamp),
        spooler: view.spooler.map(spooler),
    }
}

fn spooler(status: WorkerStatus) -> Spooler {
    let state = match status.state {
        RunState::Standby => SpoolerState::Standby,
        RunState::Running => SpoolerState::Running,
        RunState::Stopped => SpoolerState::Stopped,
    };
    Spooler {
        state: state.into(),
        applied_here: status.applied_here,
        skipped_here: status.skipped_here,
        last_error: status.last_error.unwrap_or_default(),
        last_applied_at: status.last_applied_at.map(timestamp),
    }
}

fn failure(event: FailedEvent) -> ProjectionFailure {
    ProjectionFailure {
        projection: event.projection,
        generation: u64::try_from(event.generation).unwrap_or_default(),
        position: event.position.to_string(),
        instance_id: event.instance_id,
        aggregate_type: event.aggregate_type,
        aggregate_id: event.aggregate_id,
        sequence: event.sequence,
        event_type: event.event_type,
        attempts: event.attempts,
        error: event.error,
        skipped: event.skipped,
        first_failed_at: Some(timestamp(event.first_failed_at)),
        last_failed_at: Some(timestamp(event.last_failed_at)),
    }
}
