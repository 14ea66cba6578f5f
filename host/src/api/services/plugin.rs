//! `rampart.plugin.v1.PluginService`: the serving plugins and their
//! statistics, reloads, and dry runs of one validator or projection.
//! Plugin calls go through [`PluginRegistry::call`](crate::plugins::PluginRegistry::call),
//! off the async workers.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{json_object, proto_value, timestamp};
use crate::api::gate::caller;
use crate::api::proto::rampart::plugin::v1::plugin_service_server::{
    PluginService, PluginServiceServer,
};
use crate::api::proto::rampart::plugin::v1::{
    self as proto, CallError, ColumnValue, Field, GetPluginRequest, GetPluginResponse,
    ListPluginsRequest, ListPluginsResponse, LoadFailure, Plugin, PluginSource, PluginSourceKind,
    PluginWorld, ProjectEventRequest, ProjectEventResponse, ReloadPluginsRequest,
    ReloadPluginsResponse, Statement, ValidateCommandRequest, ValidateCommandResponse, Verdict,
    column_value, statement,
};
use crate::api::status::{self, not_found};
use crate::api::validate::Violation;
use crate::plugins::types;
use crate::plugins::{self, LoadedPlugin, PluginStatus};
use crate::server::{ApiError, AppState};

/// The plugin service.
#[derive(Clone)]
pub(crate) struct Plugins {
    state: AppState,
}

/// The plugin service, ready to be routed.
pub(crate) fn server(state: &AppState) -> PluginServiceServer<Plugins> {
    PluginServiceServer::new(Plugins {
        state: state.clone(),
    })
}

#[tonic::async_trait]
impl PluginService for Plugins {
    async fn list_plugins(
        &self,
        request: Request<ListPluginsRequest>,
    ) -> Result<Response<ListPluginsResponse>, Status> {
        caller(&request)?;
        let report = self.state.plugins.status();
        Ok(Response::new(ListPluginsResponse {
            plugins: report.plugins.into_iter().map(plugin).collect(),
            disabled: report.disabled,
            failures: report.failures.into_iter().map(load_failure).collect(),
        }))
    }

    async fn get_plugin(
        &self,
        request: Request<GetPluginRequest>,
    ) -> Result<Response<GetPluginResponse>, Status> {
        caller(&request)?;
        let name = request.into_inner().name;
        let found = self
            .state
            .plugins
            .status()
            .plugins
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| not_found("plugin", &name))?;
        Ok(Response::new(GetPluginResponse {
            plugin: Some(plugin(found)),
        }))
    }

    async fn reload_plugins(
        &self,
        request: Request<ReloadPluginsRequest>,
    ) -> Result<Response<ReloadPluginsResponse>, Status> {
        caller(&request)?;
        let registry = self.state.plugins.clone();
        // Compiling is blocking work (not a plugin call): the blocking pool.
        let report = tokio::task::spawn_blocking(move || registry.reload())
            .await
            .map_err(|err| ApiError::internal(format!("the reload task failed: {err}")))?;
        Ok(Response::new(ReloadPluginsResponse {
            loaded: report.loaded,
            replaced: report.replaced,
            unloaded: report.unloaded,
            failed: report.failed.into_iter().map(load_failure).collect(),
        }))
    }

    async fn validate_command(
        &self,
        request: Request<ValidateCommandRequest>,
    ) -> Result<Response<ValidateCommandResponse>, Status> {
        caller(&request)?;
        let req = request.into_inner();
        let target = self.serving(&req.name)?;
        let command = command(req.command.unwrap_or_default());
        let aggregate = aggregate_state(req.state);
        let settings = self.settings_for(&command).await?;
        let verdict = self
            .state
            .plugins
            .call(target, move |p| {
                p.validate_with(&command, &aggregate, Some(&settings))
            })
            .await?;
        Ok(Response::new(match verdict {
            Ok(()) => ValidateCommandResponse {
                verdict: Verdict::Allowed.into(),
                rejection: None,
            },
            Err(rejection) => ValidateCommandResponse {
                verdict: Verdict::Rejected.into(),
                rejection: Some(proto::Rejection {
                    code: rejection.code,
                    message: rejection.message,
                }),
            },
        }))
    }

    async fn project_event(
        &self,
        request: Request<ProjectEventRequest>,
    ) -> Result<Response<ProjectEventResponse>, Status> {
        caller(&request)?;
        let req = request.into_inner();
        let target = self.serving(&req.name)?;
        let event = event(req.event.unwrap_or_default())?;
        let answer = self
            .state
            .plugins
            .call(target, move |p| p.project(&event))
            .await?;
        Ok(Response::new(match answer {
            Ok(statements) => ProjectEventResponse {
                statements: statements.into_iter().map(proto_statement).collect(),
                error: String::new(),
            },
            Err(error) => ProjectEventResponse {
                statements: Vec::new(),
                error,
            },
        }))
    }
}

impl Plugins {
    /// The serving plugin `name`, or `NOT_FOUND`.
    fn serving(&self, name: &str) -> Result<Arc<LoadedPlugin>, Status> {
        self.state
            .plugins
            .get(name)
            .ok_or_else(|| not_found("plugin", name))
    }

    /// The settings in effect for `command`'s instance and organization, as
    /// JSON: a dry run sees what the real command would (the defaults for an
    /// instance or organization that does not exist).
    async fn settings_for(&self, command: &types::Command) -> Result<Arc<str>, Status> {
        let queries = &self.state.cqrs()?.queries;
        let instance = &command.instance_id;
        let org = match &command.org_id {
            Some(org_id) => queries.org_settings(instance, org_id).await?,
            None => None,
        };
        let in_effect = match org {
            Some(in_effect) => in_effect,
            None => queries.instance_settings(instance).await?,
        };
        let json = serde_json::to_string(&in_effect.settings)
            .map_err(|err| ApiError::internal(format!("settings do not serialize: {err}")))?;
        Ok(json.into())
    }
}

fn plugin(status: PluginStatus) -> Plugin {
    let world = match status.world {
        "validator" => PluginWorld::Validator,
        "projection" => PluginWorld::Projection,
        "login-flow" => PluginWorld::LoginFlow,
        _ => PluginWorld::Unspecified,
    };
    Plugin {
        name: status.name,
        version: status.version,
        world: world.into(),
        description: status.description,
        handles: status.handles,
        capabilities: status.capabilities,
        order: status
            .order
            .map_or(0, |o| u32::try_from(o).unwrap_or(u32::MAX)),
        hash: status.hash,
        size: status.size as u64,
        source: Some(source(status.source)),
        loaded_at: Some(timestamp(status.loaded_at)),
        calls: status.calls,
        errors: status.errors,
        latency_p50_us: status.latency_p50_us,
        latency_p99_us: status.latency_p99_us,
        last_error: status.last_error.map(|e| CallError {
            at: Some(timestamp(e.at)),
            message: e.message,
        }),
        last_load_error: status.last_load_error.map(load_failure),
    }
}

fn source(source: plugins::PluginSource) -> PluginSource {
    match source {
        plugins::PluginSource::Shipped(name) => PluginSource {
            kind: PluginSourceKind::Shipped.into(),
            path: name,
        },
        plugins::PluginSource::File(path) => PluginSource {
            kind: PluginSourceKind::File.into(),
            path: path.display().to_string(),
        },
    }
}

fn load_failure(failure: plugins::LoadFailure) -> LoadFailure {
    LoadFailure {
        source: Some(source(failure.source)),
        error: failure.error,
        at: Some(timestamp(failure.at)),
        still_serving: failure.still_serving.unwrap_or_default(),
    }
}

/// A `Struct` payload as JSON text; absent: `{}`.
fn payload(payload: Option<prost_types::Struct>) -> String {
    json_object(payload.unwrap_or_default()).to_string()
}

fn command(c: proto::Command) -> types::Command {
    types::Command {
        name: c.name,
        instance_id: c.instance_id,
        org_id: (!c.org_id.is_empty()).then_some(c.org_id),
        actor: c.actor,
        aggregate_type: c.aggregate_type,
        aggregate_id: c.aggregate_id,
        payload: payload(c.payload),
    }
}

/// The aggregate's state; absent (or without a write model): a new
/// aggregate, whose state plugins see as `null`.
fn aggregate_state(state: Option<proto::AggregateState>) -> types::AggregateState {
    let state = state.unwrap_or_default();
    types::AggregateState {
        sequence: state.sequence,
        state: state
            .state
            .map_or_else(|| "null".to_owned(), |s| json_object(s).to_string()),
    }
}

fn invalid(field: &str, description: &str) -> Status {
    status::invalid_field(&Violation {
        field: field.to_owned(),
        description: description.to_owned(),
    })
}

/// The event as the WIT record; `INVALID_ARGUMENT` for a position or time
/// the record cannot hold.
fn event(e: proto::Event) -> Result<types::Event, Status> {
    let position: crate::eventstore::Position = e.position.parse().map_err(|_| {
        invalid(
            "event.position",
            "must be `<transaction>.<index>`, e.g. `1042.0`",
        )
    })?;
    let created_at = e.created_at.unwrap_or_default();
    let nanoseconds = u32::try_from(created_at.nanos)
        .map_err(|_| invalid("event.created_at", "must be a normalized timestamp"))?;
    let revision = u16::try_from(e.revision)
        .map_err(|_| invalid("event.revision", "must be at most 65535"))?;
    Ok(types::Event {
        instance_id: e.instance_id,
        aggregate_type: e.aggregate_type,
        aggregate_id: e.aggregate_id,
        sequence: e.sequence,
        position: types::Position {
            transaction: position.tx.unsigned_abs(),
            index: position.index.unsigned_abs(),
        },
        event_type: e.event_type,
        revision,
        creator: e.creator,
        created_at: types::Datetime {
            seconds: created_at.seconds,
            nanoseconds,
        },
        payload: payload(e.payload),
    })
}

fn proto_statement(s: types::Statement) -> Statement {
    let kind = match s {
        types::Statement::Insert(i) => statement::Kind::Insert(statement::Insert {
            table: i.table,
            fields: fields(i.fields),
        }),
        types::Statement::Upsert(u) => statement::Kind::Upsert(statement::Upsert {
            table: u.table,
            fields: fields(u.fields),
            conflict: u.conflict,
        }),
        types::Statement::Update(u) => statement::Kind::Update(statement::Update {
            table: u.table,
            set: fields(u.set),
            filter: fields(u.filter),
        }),
        types::Statement::Delete(d) => statement::Kind::Delete(statement::Delete {
            table: d.table,
            filter: fields(d.filter),
        }),
    };
    Statement { kind: Some(kind) }
}

fn fields(fields: Vec<types::Field>) -> Vec<Field> {
    fields
        .into_iter()
        .map(|f| Field {
            column: f.column,
            value: Some(proto_column_value(f.value)),
        })
        .collect()
}

fn proto_column_value(value: types::Value) -> ColumnValue {
    use column_value::Kind;
    let kind = match value {
        types::Value::Null => Kind::Null(true),
        types::Value::Text(t) => Kind::Text(t),
        types::Value::Integer(i) => Kind::Integer(i),
        types::Value::Real(r) => Kind::Real(r),
        types::Value::Boolean(b) => Kind::Boolean(b),
        types::Value::Timestamp(t) => Kind::Timestamp(prost_types::Timestamp {
            seconds: t.seconds,
            nanos: i32::try_from(t.nanoseconds).unwrap_or(0),
        }),
        // JSON text a projection wrote that does not parse stays text.
        types::Value::Json(text) => Kind::Json(proto_value(
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )),
    };
    ColumnValue { kind: Some(kind) }
}
