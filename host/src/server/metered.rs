//! Request counts and latencies per route, for `/debug/metrics`.
//!
//! Every label comes from a fixed set, whatever the request says: a client
//! sending made-up methods or paths adds to the `OTHER` and `unmatched`
//! series, never new ones (the metrics' memory stays bounded).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Records `rampart_http_requests_total` and `rampart_http_request_duration_seconds`.
pub(super) async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = route_label(&req);
    let method = method_label(req.method());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("rampart_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("rampart_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; any other is `OTHER`.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("OTHER")
}

/// The route's pattern; else the public API method it names (from the fixed
/// set in the proto files), the gRPC reflection or health service; else
/// `unmatched`. (The status code label is bounded by HTTP itself.)
fn route_label(req: &Request) -> String {
    if let Some(matched) = req.extensions().get::<MatchedPath>() {
        return matched.as_str().to_owned();
    }
    let path = req.uri().path();
    if let Some(rule) = crate::api::rules::RULES.method(path) {
        return rule.path.clone();
    }
    for (prefix, label) in [
        ("/grpc.reflection.", "grpc-reflection"),
        ("/grpc.health.", "grpc-health"),
    ] {
        if path.starts_with(prefix) {
            return label.to_owned();
        }
    }
    "unmatched".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> Request {
        Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn made_up_methods_and_paths_fall_into_one_bucket_each() {
        for junk in ["FOO", "PROPFIND", "X1"] {
            assert_eq!(method_label(request(junk, "/").method()), "OTHER", "{junk}");
        }
        assert_eq!(method_label(&Method::POST), "POST");
        for path in ["/x", "/rampart.user.v1.UserService/Nope", "/debug/../etc"] {
            assert_eq!(route_label(&request("GET", path)), "unmatched", "{path}");
        }
    }

    #[test]
    fn api_methods_are_labelled_by_their_path() {
        let any = crate::api::rules::RULES
            .methods()
            .next()
            .expect("the API has methods");
        assert_eq!(route_label(&request("POST", &any.path)), any.path);
        assert_eq!(
            route_label(&request(
                "POST",
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
            )),
            "grpc-reflection"
        );
    }
}
