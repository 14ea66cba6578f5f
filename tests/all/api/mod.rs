//! The public API over the real server: every method, as gRPC (the
//! generated descriptors driving a dynamic tonic client) and as Connect
//! JSON, on SQLite and PostgreSQL.
//!
//! - `matrix`: the authorization matrix, generated from the methods' rules
//!   and the role table: every method against every kind of caller.
//! - `input`: bad input on every method, refused naming the field, nothing
//!   stored.
//! - `grpc`: reflection (listing and calling by reflection alone), health,
//!   gRPC-Web, the generated clients, the OpenAPI document.
//! - `tokens`: personal access tokens: shown once, listed without secret,
//!   expiry, revocation on every node.

mod audit;
mod grpc;
mod input;
mod matrix;
mod tokens;

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, Value as PValue};
use rampart::api::rules::{MethodRule, RULES};
use serde_json::Value;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use crate::support::{Api, TestServer};

/// The tests that call every method many times take turns, so the
/// suite's other servers keep some of the two cores.
pub static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// How a call was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Connect JSON over HTTP/1.1.
    Json,
    /// gRPC over h2c.
    Grpc,
}

/// What a call came back with, whatever the transport.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The gRPC code (Connect codes mapped back).
    pub code: Code,
    /// The error message (empty on success).
    pub message: String,
}

/// Every `rampart.*` method's rule, sorted by path, removals of
/// organizations last (they would take later callers' memberships away).
pub fn methods() -> Vec<&'static MethodRule> {
    let mut rules: Vec<&MethodRule> = RULES.methods().collect();
    rules.sort_by_key(|r| (r.method.name() == "RemoveOrg", r.path.clone()));
    rules
}

/// A caller of one server over one transport.
pub struct Client {
    api: Api,
    url: String,
    channel: tonic::transport::Channel,
    token: Option<String>,
}

impl Client {
    /// A client of `server` presenting `token`.
    pub async fn new(server: &TestServer, token: Option<&str>) -> Self {
        let channel = crate::support::grpc_channel(server).await;
        Self {
            api: Api::at(&server.url, token),
            url: server.url.clone(),
            channel,
            token: token.map(str::to_owned),
        }
    }

    /// The same caller presenting `token`.
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            api: self.api.with_token(token),
            url: self.url.clone(),
            channel: self.channel.clone(),
            token: token.map(str::to_owned),
        }
    }

    /// The same caller addressing host name `host` (gRPC: as the
    /// `:authority` of a channel of its own).
    pub fn on_host(&self, host: &str) -> Self {
        let channel = tonic::transport::Endpoint::from_shared(self.url.clone())
            .expect("url")
            .origin(format!("http://{host}").parse().expect("host"))
            .connect_lazy();
        Self {
            api: self.api.on_host(host),
            url: self.url.clone(),
            channel,
            token: self.token.clone(),
        }
    }

    /// Calls `rule`'s method with `message` over `transport`.
    pub async fn call(
        &self,
        transport: Transport,
        rule: &MethodRule,
        message: &DynamicMessage,
    ) -> (Outcome, Option<Value>) {
        match transport {
            Transport::Json => {
                let body = serde_json::to_string(message).expect("json");
                self.json(rule, body).await
            }
            Transport::Grpc => self.grpc(rule, message.clone()).await,
        }
    }

    /// Calls `rule`'s method with a raw JSON body.
    pub async fn json(&self, rule: &MethodRule, body: String) -> (Outcome, Option<Value>) {
        let (status, answer) = self.api.raw(rule.path.trim_start_matches('/'), body).await;
        if status.is_success() {
            return (
                Outcome {
                    code: Code::Ok,
                    message: String::new(),
                },
                Some(answer),
            );
        }
        let code = answer["code"].as_str().unwrap_or_default();
        let outcome = Outcome {
            code: connect_code(code),
            message: answer["message"].as_str().unwrap_or_default().to_owned(),
        };
        assert_ne!(
            outcome.code,
            Code::Unknown,
            "{} answered {status} {answer}",
            rule.path
        );
        (outcome, Some(answer))
    }

    /// Calls `rule`'s method over gRPC with a dynamic message.
    pub async fn grpc(
        &self,
        rule: &MethodRule,
        message: DynamicMessage,
    ) -> (Outcome, Option<Value>) {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready().await.expect("channel ready");
        let mut request = tonic::Request::new(message);
        if let Some(token) = &self.token {
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("ascii"),
            );
        }
        let path = axum::http::uri::PathAndQuery::from_str(&rule.path).expect("path");
        let answer = grpc
            .unary(request, path, DynamicCodec(rule.method.output()))
            .await;
        match answer {
            Ok(response) => (
                Outcome {
                    code: Code::Ok,
                    message: String::new(),
                },
                serde_json::to_value(response.into_inner()).ok(),
            ),
            Err(status) => (
                Outcome {
                    code: status.code(),
                    message: status.message().to_owned(),
                },
                None,
            ),
        }
    }
}

/// The gRPC code of a Connect code name.
pub fn connect_code(name: &str) -> Code {
    match name {
        "canceled" => Code::Cancelled,
        "invalid_argument" => Code::InvalidArgument,
        "deadline_exceeded" => Code::DeadlineExceeded,
        "not_found" => Code::NotFound,
        "already_exists" => Code::AlreadyExists,
        "permission_denied" => Code::PermissionDenied,
        "resource_exhausted" => Code::ResourceExhausted,
        "failed_precondition" => Code::FailedPrecondition,
        "aborted" => Code::Aborted,
        "out_of_range" => Code::OutOfRange,
        "unimplemented" => Code::Unimplemented,
        "internal" => Code::Internal,
        "unavailable" => Code::Unavailable,
        "data_loss" => Code::DataLoss,
        "unauthenticated" => Code::Unauthenticated,
        _ => Code::Unknown,
    }
}

/// Encodes and decodes dynamic messages of the generated descriptors.
#[derive(Clone)]
pub struct DynamicCodec(pub MessageDescriptor);

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicCodec;
    type Decoder = DynamicCodec;

    fn encoder(&mut self) -> Self::Encoder {
        self.clone()
    }

    fn decoder(&mut self) -> Self::Decoder {
        self.clone()
    }
}

impl Encoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: DynamicMessage,
        dst: &mut EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        item.encode(dst)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

impl Decoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, tonic::Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

/// What generated requests refer to.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// The instance the calls go to.
    pub instance_id: String,
    /// The organization scoped calls touch.
    pub org_id: String,
    /// That organization's primary domain.
    pub org_domain: String,
    /// A user of that organization.
    pub user_id: String,
    /// That user's username.
    pub username: String,
    /// An instance `RemoveInstance` may remove (never the one calls go to).
    pub removable_instance_id: String,
    /// A project of the organization.
    pub project_id: String,
    /// Another organization, which project grants go to.
    pub other_org_id: String,
    /// An authorization of the user for the project.
    pub authorization_id: String,
}

/// Makes every value unique across a run (usernames, domains).
static UNIQUE: AtomicU64 = AtomicU64::new(1);

/// A valid request for `rule`'s method: every required field set (and the
/// organization and user fields, required or not) with a value of its
/// format, pointing at `targets`.
pub fn valid_request(rule: &MethodRule, targets: &Targets) -> DynamicMessage {
    fill(&rule.method.input(), rule.method.name(), targets)
}

fn fill(desc: &MessageDescriptor, method: &str, targets: &Targets) -> DynamicMessage {
    let mut message = DynamicMessage::new(desc.clone());
    for field in desc.fields() {
        let rules = RULES.field(&field).cloned().unwrap_or_default();
        let name = field.name();
        let targeted = matches!(
            name,
            "org_id" | "user_id" | "instance_id" | "project_id" | "authorization_id"
        );
        if !rules.required && !targeted && rules.min == 0 {
            continue;
        }
        let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
        let value = match field.kind() {
            Kind::String => {
                let text = text_value(name, method, rules.format(), n, targets);
                if field.is_list() {
                    PValue::List(vec![PValue::String(text)])
                } else {
                    PValue::String(text)
                }
            }
            Kind::Message(inner) => match inner.full_name() {
                "google.protobuf.Timestamp" => {
                    let at = chrono::Utc::now() + chrono::Duration::days(1);
                    let mut ts = DynamicMessage::new(inner.clone());
                    ts.set_field_by_name("seconds", PValue::I64(at.timestamp()));
                    PValue::Message(ts)
                }
                _ => PValue::Message(fill(&inner, method, targets)),
            },
            Kind::Enum(e) => PValue::EnumNumber(e.values().nth(1).map_or(0, |v| v.number())),
            Kind::Bool => PValue::Bool(true),
            Kind::Uint64 | Kind::Fixed64 => PValue::U64(rules.min.max(1)),
            Kind::Uint32 | Kind::Fixed32 => {
                PValue::U32(u32::try_from(rules.min.max(1)).unwrap_or(1))
            }
            Kind::Int64 => PValue::I64(i64::try_from(rules.min.max(1)).unwrap_or(1)),
            Kind::Int32 => PValue::I32(i32::try_from(rules.min.max(1)).unwrap_or(1)),
            Kind::Bytes => PValue::Bytes(format!("v{n}").into_bytes().into()),
            _ => continue,
        };
        message.set_field(&field, value);
    }
    message
}

fn text_value(
    name: &str,
    method: &str,
    format: rampart::api::proto::rampart::api::v1::Format,
    n: u64,
    targets: &Targets,
) -> String {
    use rampart::api::proto::rampart::api::v1::Format;
    match (name, method) {
        ("org_id", _) => return targets.org_id.clone(),
        ("user_id", _) => return targets.user_id.clone(),
        ("project_id", _) => return targets.project_id.clone(),
        ("authorization_id", _) => return targets.authorization_id.clone(),
        ("granted_org_id", _) => return targets.other_org_id.clone(),
        ("instance_id", "RemoveInstance") => return targets.removable_instance_id.clone(),
        ("instance_id", _) => return targets.instance_id.clone(),
        ("domain", "GetOrgByDomain") => return targets.org_domain.clone(),
        ("username", "GetUserByUsername") => return targets.username.clone(),
        ("phone", _) => return "+41 44 668 18 00".into(),
        ("key", m) if m.ends_with("UserMetadata") => return format!("key.{n}"),
        ("roles", m) if m.contains("Org") => return "ORG_AUDITOR".into(),
        ("roles", m) if m.contains("Project") => return "PROJECT_VIEWER".into(),
        ("roles", _) => return "IAM_AUDITOR".into(),
        ("name", "GetPlugin" | "ValidateCommand" | "ProjectEvent" | "ListProjectionFailures") => {
            return "users".into();
        }
        _ => {}
    }
    match format {
        Format::Id => format!("id{n}"),
        Format::Email => format!("m{n}@example.com"),
        Format::Domain => format!("d{n}.example.com"),
        Format::LanguageTag => "en".into(),
        Format::Username => format!("u{n}"),
        Format::Key => format!("key.{n}"),
        Format::Unspecified => format!("Value-{n}-Aa1!"),
    }
}

/// The `(instance id, first org id)` of a server, as its admin sees them.
pub async fn first_instance(api: &Api) -> (String, String) {
    let me = api
        .ok(
            "rampart.auth.v1.AuthService/GetMyUser",
            serde_json::json!({}),
        )
        .await;
    (
        me["instanceId"].as_str().expect("instanceId").to_owned(),
        me["user"]["orgId"].as_str().expect("orgId").to_owned(),
    )
}
