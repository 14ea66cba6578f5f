//! `rampart.event.v1.EventService`: the audit trail of the caller's
//! instance, filtered and paged by position.

use tonic::{Request, Response, Status};

use super::convert::{from_timestamp, structure, timestamp};
use crate::api::gate::caller;
use crate::api::proto::rampart::event::v1::event_service_server::{
    EventService, EventServiceServer,
};
use crate::api::proto::rampart::event::v1::{Event, ListEventsRequest, ListEventsResponse};
use crate::api::status;
use crate::api::validate::Violation;
use crate::eventstore::{EventQuery, Position};
use crate::query::audit::redact;
use crate::server::AppState;

/// Events per page when the caller does not say.
const DEFAULT_LIMIT: u32 = 100;

/// The event service.
#[derive(Clone)]
pub struct Events {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> EventServiceServer<Events> {
    EventServiceServer::new(Events {
        state: state.clone(),
    })
}

fn invalid(field: &str, description: &str) -> Status {
    status::invalid_field(&Violation {
        field: field.to_owned(),
        description: description.to_owned(),
    })
}

#[tonic::async_trait]
impl EventService for Events {
    async fn list_events(
        &self,
        request: Request<ListEventsRequest>,
    ) -> Result<Response<ListEventsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let limit = if req.limit == 0 {
            DEFAULT_LIMIT
        } else {
            req.limit
        };
        // The settled prefix only: a page never passes an event that could
        // still commit below its cursor.
        let mut query = EventQuery::new()
            .instance(&caller.instance_id)
            .settled()
            .limit(limit);
        if !req.aggregate_type.is_empty() {
            query = query.aggregate_type(&req.aggregate_type);
        }
        if !req.aggregate_id.is_empty() {
            query = query.aggregate_id(&req.aggregate_id);
        }
        for event_type in &req.event_types {
            query = query.event_type(event_type);
        }
        if !req.creator.is_empty() {
            query = query.creator(&req.creator);
        }
        let from = match &req.created_after {
            Some(at) => Some(
                from_timestamp(at)
                    .ok_or_else(|| invalid("created_after", "is not a valid time"))?,
            ),
            None => None,
        };
        let until = match &req.created_before {
            Some(at) => Some(
                from_timestamp(at)
                    .ok_or_else(|| invalid("created_before", "is not a valid time"))?,
            ),
            None => None,
        };
        if from.is_some() || until.is_some() {
            query = query.created_between(from, until);
        }
        if req.descending {
            query = query.descending();
        }
        if !req.after_position.is_empty() {
            let cursor: Position = req
                .after_position
                .parse()
                .map_err(|_| invalid("after_position", "must be a position such as 1042.0"))?;
            query = if req.descending {
                query.before(cursor)
            } else {
                query.after(cursor)
            };
        }
        let store = &self.state.store;
        let found = store
            .query(&query)
            .await
            .map_err(crate::server::ApiError::from)?;
        let next_position = if found.len() == limit as usize {
            found
                .last()
                .map(|e| e.position.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let events = found
            .into_iter()
            .map(|event| {
                let mut payload = event.payload;
                redact(&event.event_type, &mut payload);
                Event {
                    position: event.position.to_string(),
                    instance_id: event.aggregate.instance_id,
                    aggregate_type: event.aggregate.aggregate_type,
                    aggregate_id: event.aggregate.aggregate_id,
                    sequence: event.sequence,
                    event_type: event.event_type,
                    revision: u32::from(event.revision),
                    creator: event.creator,
                    created_at: Some(timestamp(event.created_at)),
                    payload: Some(structure(payload)),
                }
            })
            .collect();
        Ok(Response::new(ListEventsResponse {
            events,
            next_position,
        }))
    }
}
