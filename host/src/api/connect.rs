//! JSON over HTTP: every method as a Connect-protocol unary call,
//! `POST /<package>.<Service>/<Method>` with `Content-Type:
//! application/json`, the request and response in proto3's canonical JSON
//! form.
//!
//! Why Connect and not REST paths from `google.api.http`: one path per
//! method, the same as gRPC's, so there is nothing to keep in sync and a
//! new method is reachable as JSON the moment it exists; its errors are the
//! gRPC status as JSON (`{code, message, details}`); and Connect clients
//! exist for browsers and most languages, while `curl` needs nothing.
//!
//! The call is translated, not re-implemented: the JSON body becomes the
//! protobuf message, which goes through the very gRPC service stack (gate,
//! method) a gRPC client reaches, and the answer comes back as JSON.

use std::convert::Infallible;

use axum::body::Body as AxumBody;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, SerializeOptions};
use serde_json::{Value as Json, json};
use tonic::body::Body;
use tonic::{Code, Status};
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use super::gate::{FRAME_HEADER, MAX_MESSAGE_BYTES};
use super::rules::MethodRule;
use super::status::with_reason;
use crate::server::RETRY_AFTER_SECONDS;

/// The gRPC service stack (gate and methods) every form of a call reaches.
pub type GrpcService = BoxCloneSyncService<Request<Body>, axum::http::Response<Body>, Infallible>;

/// Serves one Connect unary call of the method `rule` describes.
pub async fn call(grpc: GrpcService, rule: &MethodRule, parts: Parts, body: Bytes) -> Response {
    match transcode(grpc, rule, parts, body).await {
        Ok(response) => response,
        Err(status) => error_response(&status),
    }
}

async fn transcode(
    grpc: GrpcService,
    rule: &MethodRule,
    parts: Parts,
    body: Bytes,
) -> Result<Response, Status> {
    let message = parse_json(rule, &body)?;
    let mut framed = BytesMut::with_capacity(FRAME_HEADER + message.encoded_len());
    framed.put_u8(0);
    framed.put_u32(u32::try_from(message.encoded_len()).unwrap_or(u32::MAX));
    message
        .encode(&mut framed)
        .map_err(|error| Status::internal(error.to_string()))?;

    let mut request = Request::builder()
        .method(Method::POST)
        .uri(parts.uri.clone())
        .version(axum::http::Version::HTTP_2)
        .body(Body::new(Full::new(framed.freeze())))
        .map_err(|error| Status::internal(error.to_string()))?;
    *request.headers_mut() = forwarded_headers(&parts.headers);
    *request.extensions_mut() = parts.extensions;

    let Ok(response) = grpc.oneshot(request).await;
    let (head, body) = response.into_parts();
    let collected = body
        .collect()
        .await
        .map_err(|error| Status::internal(format!("reading the answer failed: {error}")))?;
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let bytes = collected.to_bytes();
    // A trailers-only answer carries its status in the headers.
    let status =
        Status::from_header_map(&trailers).or_else(|| Status::from_header_map(&head.headers));
    if let Some(status) = status
        && status.code() != Code::Ok
    {
        return Err(status);
    }
    if bytes.len() < FRAME_HEADER {
        return Err(Status::internal("the method answered without a message"));
    }
    let answer = DynamicMessage::decode(rule.method.output(), &bytes[FRAME_HEADER..])
        .map_err(|error| Status::internal(format!("the method's answer is invalid: {error}")))?;
    let mut json = Vec::with_capacity(bytes.len() * 2);
    let mut serializer = serde_json::Serializer::new(&mut json);
    answer
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|error| Status::internal(error.to_string()))?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
        .into_response())
}

/// The request message from its JSON form; an empty body is `{}`.
fn parse_json(rule: &MethodRule, body: &[u8]) -> Result<DynamicMessage, Status> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    // Tracks where in the body an error happens, so nested fields are named
    // with their path (`email.verifed`).
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    let parsed = DynamicMessage::deserialize_with_options(rule.method.input(), tracked, &options);
    parsed
        .and_then(|message| deserializer.end().map(|()| message))
        .map_err(|error| {
            let path = track.path().to_string();
            let at = if path.is_empty() || path == "." {
                String::new()
            } else {
                format!(" at {path}")
            };
            with_reason(
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                format!(
                    "invalid JSON for {}{at}: {error}",
                    rule.method.input().full_name()
                ),
            )
        })
}

/// The headers a gRPC call keeps: who calls, on which host, with which id.
fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let mut forwarded = HeaderMap::new();
    for (name, value) in headers {
        let keep = matches!(
            name.as_str(),
            "authorization" | "host" | "x-request-id" | "x-forwarded-host" | "grpc-timeout"
        );
        if keep {
            forwarded.append(name.clone(), value.clone());
        }
    }
    forwarded.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    forwarded.insert("te", HeaderValue::from_static("trailers"));
    forwarded
}

/// Connect's name of a gRPC code.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// Connect's HTTP status for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A Connect error answer: `{code, message, details}` with the HTTP status
/// Connect assigns to the code, and `Retry-After` when a retry may help.
pub fn error_response(status: &Status) -> Response {
    let mut body = json!({
        "code": code_name(status.code()),
        "message": status.message(),
    });
    let details = details(status);
    if !details.is_empty() {
        body["details"] = Json::Array(details);
    }
    let mut response = (http_status(status.code()), axum::Json(body)).into_response();
    if matches!(status.code(), Code::Unavailable | Code::ResourceExhausted) {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

/// The status's details as Connect JSON: type, base64 value, and a
/// readable `debug` form of the ones Rampart sends.
fn details(status: &Status) -> Vec<Json> {
    let Ok(rpc) = tonic_types::pb::Status::decode(status.details()) else {
        return Vec::new();
    };
    rpc.details
        .iter()
        .map(|any| {
            let kind = any.type_url.rsplit('/').next().unwrap_or_default();
            let debug = match kind {
                "google.rpc.ErrorInfo" => tonic_types::pb::ErrorInfo::decode(any.value.as_slice())
                    .ok()
                    .map(|info| json!({"reason": info.reason, "domain": info.domain, "metadata": info.metadata})),
                "google.rpc.BadRequest" => {
                    tonic_types::pb::BadRequest::decode(any.value.as_slice())
                        .ok()
                        .map(|bad| {
                            let violations: Vec<Json> = bad
                                .field_violations
                                .iter()
                                .map(|v| json!({"field": v.field, "description": v.description}))
                                .collect();
                            json!({ "fieldViolations": violations })
                        })
                }
                _ => None,
            };
            let mut detail = json!({
                "type": kind,
                "value": STANDARD_NO_PAD.encode(&any.value),
            });
            if let Some(debug) = debug {
                detail["debug"] = debug;
            }
            detail
        })
        .collect()
}

/// The body of an axum request, whole, at most [`MAX_MESSAGE_BYTES`].
pub async fn read_body(body: AxumBody) -> Result<Bytes, Response> {
    http_body_util::Limited::new(body, MAX_MESSAGE_BYTES)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .map_err(|error| {
            error_response(&with_reason(
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                format!("the request body could not be read: {error}"),
            ))
        })
}
