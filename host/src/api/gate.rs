//! The gate every `rampart.*` call passes before its method runs, whether
//! it came as gRPC, gRPC-Web or JSON:
//!
//! 0. the node must have finished starting (`UNAVAILABLE` before: the
//!    masterkey check and the first instance come first);
//! 1. the instance, from the host name;
//! 2. the principal, from the bearer credential (`UNAUTHENTICATED`);
//! 3. the request, decoded and checked against the proto's field rules
//!    (`INVALID_ARGUMENT` naming the field);
//! 4. the method's permission, in its scope (`PERMISSION_DENIED` naming it).
//!
//! The method then finds the [`Caller`] in the request's extensions. Calls
//! that are not `rampart.*` methods (reflection, health) pass untouched.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use axum::http::header::AUTHORIZATION;
use axum::http::{Request, Response};
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use prost_reflect::{DynamicMessage, Value};
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

use super::rules::{MethodRule, MethodScope, RULES, SELF_USER_FIELD};
use super::status::{invalid_field, permission_denied, unauthenticated, with_reason};
use super::tenant::host_name;
use super::validate::validate;
use crate::auth::Principal;
use crate::command::CommandContext;
use crate::server::AppState;

/// Largest request message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Bytes before each gRPC message: a compression flag and a length.
pub(crate) const FRAME_HEADER: usize = 5;

/// Who is calling, in which instance, allowed to call the method at hand.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The instance the host name resolved to.
    pub instance_id: String,
    /// The authenticated principal.
    pub principal: Arc<Principal>,
    /// The method's permission.
    pub permission: String,
    /// Whether the caller was admitted to a `SCOPE_SELF_OR_RESOURCE` method
    /// about itself (its own user): no permission is needed then.
    pub on_self: bool,
}

impl Caller {
    /// The context of a command this caller issues: its instance, and its
    /// user as the actor.
    pub fn ctx(&self) -> CommandContext {
        CommandContext::new(&self.instance_id, &self.principal.user_id)
    }

    /// For methods whose organization is known only once the resource is
    /// loaded (`SCOPE_RESOURCE`): whether the caller holds the method's
    /// permission in `org_id`.
    ///
    /// # Errors
    /// `PERMISSION_DENIED` naming the permission and the organization.
    pub fn require_org(&self, org_id: &str) -> Result<(), Status> {
        if self.principal.may_in_org(&self.permission, org_id) {
            Ok(())
        } else {
            Err(permission_denied(
                &self.permission,
                &format!("in organization {org_id}"),
            ))
        }
    }

    /// For methods acting on project `project_id` of organization `org_id`
    /// (`SCOPE_RESOURCE`): whether the caller holds the method's permission
    /// in that organization or through a `PROJECT_*` role on that project.
    ///
    /// # Errors
    /// `PERMISSION_DENIED` naming the permission and the project.
    pub fn require_project(&self, project_id: &str, org_id: &str) -> Result<(), Status> {
        if self
            .principal
            .may_in_project(&self.permission, project_id, org_id)
        {
            Ok(())
        } else {
            Err(permission_denied(
                &self.permission,
                &format!("on project {project_id} (organization {org_id})"),
            ))
        }
    }
}

/// The [`Caller`] the gate admitted `request` as.
///
/// # Errors
/// `INTERNAL` when the request did not pass the gate (a wiring error).
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::internal("the request did not pass the API gate"))
}

/// Puts the gate in front of a service.
#[derive(Clone)]
pub struct GateLayer {
    /// Shared, so each call clones one pointer, not the state's caches.
    state: Arc<AppState>,
}

impl GateLayer {
    /// A gate resolving instances and principals through `state`.
    pub fn new(state: AppState) -> Self {
        Self {
            state: Arc::new(state),
        }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            layer: self.clone(),
        }
    }
}

/// The gate around the gRPC services.
#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    layer: GateLayer,
}

impl<S> Service<Request<Body>> for Gate<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let Some(rule) = RULES.method(request.uri().path()) else {
                return inner.call(request).await;
            };
            match admit(&layer, rule, request).await {
                Ok(request) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// Steps 1–4; the request back, with its [`Caller`], when it may proceed.
async fn admit(
    layer: &GateLayer,
    rule: &MethodRule,
    request: Request<Body>,
) -> Result<Request<Body>, Status> {
    if !layer.state.started.load(Ordering::Acquire) {
        return Err(with_reason(
            tonic::Code::Unavailable,
            "STARTING",
            "the node is starting (start-up checks, the first instance); retry shortly",
        ));
    }
    let (mut parts, body) = request.into_parts();
    let cqrs = layer.state.cqrs()?;
    let host = host_name(&parts)?;
    let writes = !rule.permission.ends_with(".read") && rule.scope != MethodScope::OwnSelf;
    let instance_id = super::tenant::resolve(&cqrs.queries, &host, writes).await?;
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let authority = super::tenant::authority(&parts);
    let issuer = cqrs.oidc.issuer_at(authority).unwrap_or_default();
    let principal = cqrs
        .auth
        .authenticate(&instance_id, &issuer, authorization)
        .await
        .map_err(unauthenticated)?;

    let framed = Limited::new(body, MAX_MESSAGE_BYTES + FRAME_HEADER)
        .collect()
        .await
        .map_err(|error| {
            with_reason(
                tonic::Code::InvalidArgument,
                "INVALID_ARGUMENT",
                format!("the request could not be read: {error}"),
            )
        })?
        .to_bytes();
    let message = decode(rule, &framed)?;
    validate(&message).map_err(|violation| invalid_field(&violation))?;
    let on_self = authorize(rule, &principal, &message)?;

    parts.extensions.insert(Caller {
        instance_id,
        principal,
        permission: rule.permission.clone(),
        on_self,
    });
    Ok(Request::from_parts(parts, Body::new(Full::new(framed))))
}

/// The one message of a unary gRPC request body.
fn decode(rule: &MethodRule, framed: &Bytes) -> Result<DynamicMessage, Status> {
    let invalid =
        |message: String| with_reason(tonic::Code::InvalidArgument, "INVALID_ARGUMENT", message);
    if framed.len() < FRAME_HEADER {
        return Err(invalid("the request holds no message".into()));
    }
    if framed[0] != 0 {
        return Err(with_reason(
            tonic::Code::Unimplemented,
            "UNIMPLEMENTED",
            "compressed requests are not accepted",
        ));
    }
    let length = u32::from_be_bytes([framed[1], framed[2], framed[3], framed[4]]) as usize;
    if framed.len() != FRAME_HEADER + length {
        return Err(invalid("a unary request holds exactly one message".into()));
    }
    DynamicMessage::decode(rule.method.input(), &framed[FRAME_HEADER..])
        .map_err(|error| invalid(format!("the request is not a valid message: {error}")))
}

/// Whether `message`'s [`SELF_USER_FIELD`] names `principal`'s own user.
fn names_self(principal: &Principal, message: &DynamicMessage) -> bool {
    match message.get_field_by_name(SELF_USER_FIELD).as_deref() {
        Some(Value::String(user)) => !user.is_empty() && user.trim() == principal.user_id,
        _ => false,
    }
}

/// Step 4: the method's permission in its scope; whether the caller was
/// admitted about itself (`SCOPE_SELF_OR_RESOURCE`).
fn authorize(
    rule: &MethodRule,
    principal: &Principal,
    message: &DynamicMessage,
) -> Result<bool, Status> {
    let permission = rule.permission.as_str();
    if rule.scope == MethodScope::SelfOrResource && names_self(principal, message) {
        return Ok(true);
    }
    let (allowed, place) = match &rule.scope {
        MethodScope::OwnSelf => (true, String::new()),
        MethodScope::SelfOrResource => (
            principal.may_somewhere(permission),
            "on this instance (or be the user itself)".to_owned(),
        ),
        MethodScope::System => (
            principal.may_in_instance(permission),
            "on the system (a SYSTEM_* role)".to_owned(),
        ),
        MethodScope::Instance => (
            principal.may_in_instance(permission),
            "on this instance".to_owned(),
        ),
        MethodScope::Resource => (
            principal.may_somewhere(permission),
            "on this instance".to_owned(),
        ),
        MethodScope::Org(field) => match message.get_field_by_name(field).as_deref() {
            Some(Value::String(org)) if !org.trim().is_empty() => (
                principal.may_in_org(permission, org.trim()),
                format!("in organization {}", org.trim()),
            ),
            _ => (
                principal.may_in_instance(permission),
                "on this instance".to_owned(),
            ),
        },
    };
    if allowed {
        return Ok(false);
    }
    Err(permission_denied(permission, &place))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// A principal of user `user_id` with `permissions` on the instance.
    fn principal(user_id: &str, permissions: &[&str]) -> Principal {
        Principal {
            instance_id: "i-1".into(),
            user_id: user_id.into(),
            org_id: "o-1".into(),
            username: user_id.into(),
            expires_at: chrono::Utc::now(),
            instance_roles: Vec::new(),
            org_roles: BTreeMap::new(),
            project_roles: BTreeMap::new(),
            instance_permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            org_permissions: BTreeMap::new(),
            project_permissions: BTreeMap::<String, BTreeSet<String>>::new(),
        }
    }

    #[test]
    fn given_a_self_or_resource_method_when_a_user_calls_it_about_itself_then_no_permission_is_needed()
     {
        let rule = RULES
            .method("/rampart.user.v1.UserService/RegisterTOTP")
            .unwrap();
        assert_eq!(rule.scope, MethodScope::SelfOrResource);
        let mut message = DynamicMessage::new(rule.method.input());
        message.set_field_by_name(SELF_USER_FIELD, Value::String("ada".into()));
        assert_eq!(
            authorize(rule, &principal("ada", &[]), &message).ok(),
            Some(true)
        );
        let denied = authorize(rule, &principal("grace", &[]), &message).unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().contains("user.credential.write"));
        let admin = principal("admin", &["user.credential.write"]);
        assert_eq!(authorize(rule, &admin, &message).ok(), Some(false));
        // Another method's user_id never admits anyone about itself.
        let other = RULES
            .method("/rampart.user.v1.UserService/SetPassword")
            .unwrap();
        let mut message = DynamicMessage::new(other.method.input());
        message.set_field_by_name(SELF_USER_FIELD, Value::String("ada".into()));
        assert!(authorize(other, &principal("ada", &[]), &message).is_err());
    }
}
