//! # Instance resolution (seed 004, "Instance")
//!
//! Every API request belongs to the instance whose domain is the request's
//! host name (the `Host` header, or the `:authority` of HTTP/2, without the
//! port). Lookups go through the `instances` read model and are cached for
//! a short while; unknown host names are not cached, so a domain added a
//! moment ago resolves on the next request.

use std::time::Duration;

use axum::http::header::HOST;
use axum::http::request::Parts;
use moka::sync::Cache;

use crate::query::Queries;
use crate::server::ApiError;

/// How long a resolved domain is trusted.
const TTL: Duration = Duration::from_secs(30);
/// Most domains cached.
const CAPACITY: u64 = 10_000;

/// Host name → instance id, cached.
#[derive(Clone)]
pub struct InstanceResolver {
    cache: Cache<String, String>,
}

impl Default for InstanceResolver {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        }
    }
}

impl InstanceResolver {
    /// The instance serving `host`.
    ///
    /// # Errors
    /// 404 `INSTANCE_NOT_FOUND` when no instance has the domain; the query
    /// side's error when the read model cannot answer.
    pub async fn resolve(&self, queries: &Queries, host: &str) -> Result<String, ApiError> {
        if let Some(id) = self.cache.get(host) {
            return Ok(id);
        }
        match queries.instance_by_domain(host).await? {
            Some(id) => {
                self.cache.insert(host.to_owned(), id.clone());
                Ok(id)
            }
            None => Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "INSTANCE_NOT_FOUND",
                format!("no instance serves the domain {host:?} (add it to an instance's domains)"),
            )),
        }
    }

    /// Forgets every cached domain (after an instance's domains changed).
    pub fn invalidate(&self) {
        self.cache.invalidate_all();
    }
}

/// The request's host name, lowercased, without port or IPv6 brackets.
pub(super) fn host_name(parts: &Parts) -> Result<String, ApiError> {
    let raw = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .ok_or_else(|| ApiError::bad_request("the request names no host (Host header)"))?;
    Ok(strip_port(raw).to_ascii_lowercase())
}

fn strip_port(authority: &str) -> &str {
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
