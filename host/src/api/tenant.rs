//! # Instance resolution (seed 004, "Instance")
//!
//! Every API request belongs to the instance whose domain is the request's
//! host name (the `Host` header, or the `:authority` of HTTP/2, without the
//! port). Lookups go through the Instance cache
//! ([`Queries::instance_by_host`]), which every node keeps current from the
//! instance events; a write never resolves a host name to its previous
//! owner.

use axum::http::header::HOST;
use axum::http::request::Parts;

use crate::query::Queries;
use crate::server::ApiError;

/// The instance serving `host`; `write` for a request that changes state.
///
/// # Errors
/// 404 `INSTANCE_NOT_FOUND` when no instance has the domain; the query
/// side's error when the read model or the eventstore cannot answer.
pub async fn resolve(queries: &Queries, host: &str, write: bool) -> Result<String, ApiError> {
    match queries.instance_by_host(host, write).await? {
        Some(instance) => Ok(instance.id),
        None => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "INSTANCE_NOT_FOUND",
            format!("no instance serves the domain {host:?} (add it to an instance's domains)"),
        )),
    }
}

/// The authority the request was sent to: its `Host` header, or HTTP/2's
/// `:authority`.
pub(crate) fn authority(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
}

/// The request's host name, lowercased, without port or IPv6 brackets.
pub(crate) fn host_name(parts: &Parts) -> Result<String, ApiError> {
    let raw = authority(parts)
        .ok_or_else(|| ApiError::bad_request("the request names no host (Host header)"))?;
    Ok(strip_port(raw).to_ascii_lowercase())
}

pub(crate) fn strip_port(authority: &str) -> &str {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(ip, _)| ip);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn host_names_lose_their_port_and_brackets() {
        assert_eq!(strip_port("localhost:8080"), "localhost");
        assert_eq!(strip_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:8080"), "::1");
        assert_eq!(strip_port("id.example.com"), "id.example.com");
    }
}
