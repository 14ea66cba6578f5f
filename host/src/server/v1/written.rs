//! The answer to a command: the aggregate written and where its events
//! landed, so a client can wait for or audit them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::command::Written;
use crate::eventstore::Position;

/// `{"id": …, "details": {…}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WrittenBody {
    id: String,
    details: Details,
}

/// Where the command's events landed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    /// The aggregate's sequence after the command.
    sequence: u64,
    /// Global position of the command's last event.
    position: Position,
    /// When the events were stored.
    change_date: DateTime<Utc>,
    /// The instance.
    instance_id: String,
}

impl From<Written> for WrittenBody {
    fn from(w: Written) -> Self {
        Self {
            id: w.aggregate.aggregate_id,
            details: Details {
                sequence: w.sequence,
                position: w.position,
                change_date: w.created_at,
                instance_id: w.aggregate.instance_id,
            },
        }
    }
}

/// 200 with the written body.
pub(super) fn changed(written: Written) -> Response {
    Json(WrittenBody::from(written)).into_response()
}

/// 201 with the written body.
pub(super) fn created(written: Written) -> Response {
    (StatusCode::CREATED, Json(WrittenBody::from(written))).into_response()
}
