//! # The public API
//!
//! `proto/` is its single source. Every method is served three ways from one
//! implementation, on the same port as everything else:
//!
//! - **gRPC** (HTTP/2, h2c) with tonic, plus server reflection and the
//!   standard health service;
//! - **gRPC-Web**, for browsers;
//! - **JSON over HTTP** as Connect-protocol unary calls ([`connect`]).
//!
//! Before any method runs, one gate ([`gate`]) resolves the instance from the
//! host name, authenticates the bearer credential, decodes and validates the
//! request against the rules written in the proto ([`validate`]), and checks
//! the method's permission — the same for all three forms. The methods
//! ([`services`]) are thin: request → command or query → response. Errors
//! are mapped once ([`status`]).
//!
//! The OpenAPI document of the JSON form ([`openapi`]) is served at
//! [`OPENAPI_PATH`] and checked in as `proto/openapi.json`.

pub mod connect;
pub mod gate;
pub mod openapi;
pub mod proto;
pub mod rules;
pub mod services;
pub mod status;
pub mod tenant;
pub mod validate;

use std::sync::LazyLock;

use axum::body::Body as AxumBody;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, Response};
use axum::response::{IntoResponse, Response as AxumResponse};
use tonic::body::Body;
use tonic::service::Routes;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

pub use connect::GrpcService;
pub use gate::{Caller, GateLayer};

use crate::server::AppState;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The OpenAPI document, generated once from the descriptors.
pub static OPENAPI: LazyLock<String> = LazyLock::new(|| {
    let document = openapi::document(&rules::POOL);
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
});

/// The gRPC services, server reflection and health, as they are: no gate,
/// no gRPC-Web. Every `rampart.*` method expects the [`Caller`] the gate
/// puts into the request's extensions, so serve these only behind
/// [`GateLayer`] (as [`grpc_service`] does) or a layer that inserts one.
pub fn routes(state: &AppState) -> Routes {
    // Reflection describes Rampart's services and the health service.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .expect("the descriptor set is valid");
    let reflection_alpha = reflection()
        .build_v1alpha()
        .expect("the descriptor set is valid");
    let (health_reporter, health) = tonic_health::server::health_reporter();
    drop(health_reporter);
    services::add_all(Routes::new(health), state)
        .add_service(reflection_v1)
        .add_service(reflection_alpha)
        .prepare()
}

/// The gRPC services behind the gate, with reflection, health and
/// gRPC-Web: [`routes`] behind [`GateLayer`] and gRPC-Web.
pub fn grpc_service(state: AppState) -> GrpcService {
    let routes = routes(&state);
    let stack = tower::ServiceBuilder::new()
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(GateLayer::new(state))
        .service(routes);
    BoxCloneSyncService::new(stack)
}

/// Serves whatever the HTTP routes did not: gRPC and gRPC-Web calls by
/// content type, Connect JSON calls of `rampart.*` methods by path, and a
/// JSON 404 for the rest.
pub async fn dispatch(grpc: GrpcService, request: Request<AxumBody>) -> AxumResponse {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/grpc") {
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Body::new(body));
        let Ok(response): Result<Response<Body>, _> = grpc.oneshot(request).await;
        return response.map(AxumBody::new);
    }
    let Some(rule) = rules::RULES.method(request.uri().path()) else {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        return crate::server::edge::not_found(method, uri)
            .await
            .into_response();
    };
    if request.method() != axum::http::Method::POST {
        // Like every route of the edge: 405 naming the method it serves.
        let mut response = crate::server::ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{} is called with POST", rule.path),
        )
        .into_response();
        response.headers_mut().insert(
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static("POST"),
        );
        return response;
    }
    if !content_type.starts_with("application/json") {
        return connect::error_response(&status::with_reason(
            tonic::Code::InvalidArgument,
            "UNSUPPORTED_MEDIA_TYPE",
            "send Content-Type: application/json (Connect) or application/grpc",
        ));
    }
    let (parts, body) = request.into_parts();
    let body = match connect::read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    connect::call(grpc, rule, parts, body).await
}

#[cfg(test)]
mod tests {
    /// The checked-in document, beside the protos it is generated from.
    const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../proto/openapi.json");

    #[test]
    fn the_checked_in_openapi_document_matches_the_protos() {
        if std::env::var_os("RAMPART_BLESS").is_some() {
            std::fs::write(CHECKED_IN, super::OPENAPI.as_str()).expect("write proto/openapi.json");
        }
        let checked_in = std::fs::read_to_string(CHECKED_IN).unwrap_or_default();
        assert!(
            checked_in == *super::OPENAPI,
            "proto/openapi.json is not what proto/ generates; regenerate it with \
             `RAMPART_BLESS=1 cargo test -p rampart --lib api::tests` and commit it"
        );
    }
}
