//! # Instance resolution (seed 004, "Instance")
//!
//! Every API request belongs to the instance whose domain is the request's
//! host name (the `Host` header, or the `:authority` of HTTP/2, without the
//! port). Lookups go through the `instances` read model and are cached;
//! unknown host names are not cached, so a domain added a moment ago
//! resolves on the next request.
//!
//! A cached answer is only as good as the instance events it has seen, and
//! another node may move a domain at any time. So every entry remembers the
//! newest instance event that existed when it was looked up, and is used
//! only while no newer instance event is known:
//!
//! - a **write** asks the eventstore for the newest instance event first
//!   (one indexed read), so no node ever stores a command under a domain's
//!   previous owner once the move is committed;
//! - a **read** compares with the newest instance event this node has heard
//!   of: the eventstore's push notifications (which reach every node) wake a
//!   watcher that asks, so reads follow within the notification delay
//!   without a query per request.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::header::HOST;
use axum::http::request::Parts;
use moka::sync::Cache;
use tokio::sync::watch;

use crate::eventstore::Position;
use crate::query::{Queries, QueryError};
use crate::server::ApiError;

/// The aggregate type whose events move domains between instances.
const INSTANCE: &str = "instance";
/// Longest an entry lives even if nothing changes (a safety net only).
const TTL: Duration = Duration::from_secs(300);
/// How long the watcher gathers notifications before it asks the store.
const COALESCE: Duration = Duration::from_millis(5);
/// Most domains cached.
const CAPACITY: u64 = 10_000;

/// A cached resolution and the newest instance event it reflects.
#[derive(Clone)]
struct Resolved {
    instance_id: String,
    seen: Position,
}

/// Host name → instance id, cached and kept current across nodes.
#[derive(Clone)]
pub struct InstanceResolver {
    cache: Cache<String, Resolved>,
    /// The newest instance event this node knows of.
    newest: Arc<Mutex<Position>>,
}

impl InstanceResolver {
    /// An empty resolver; reads follow other nodes only once
    /// [`InstanceResolver::watching`] runs its watcher.
    fn new() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
            newest: Arc::new(Mutex::new(Position::ZERO)),
        }
    }

    /// A resolver whose reads follow instance events announced on
    /// `notifications` (the eventstore's, which carry every node's pushes).
    /// The watcher stops when the notifications end.
    pub fn watching(queries: Queries, mut notifications: watch::Receiver<Position>) -> Self {
        let resolver = Self::new();
        let watcher = resolver.clone();
        tokio::spawn(async move {
            while notifications.changed().await.is_ok() {
                // Under a stream of pushes, ask at most every few milliseconds.
                tokio::time::sleep(COALESCE).await;
                notifications.borrow_and_update();
                if let Err(error) = watcher.refresh(&queries).await {
                    tracing::warn!("cannot check for moved instance domains: {error}");
                }
            }
        });
        resolver
    }

    /// The instance serving `host`. A `write` first learns the newest
    /// instance event from the eventstore, so it never resolves a domain to
    /// its previous owner.
    ///
    /// # Errors
    /// 404 `INSTANCE_NOT_FOUND` when no instance has the domain; the query
    /// side's error when the read model or the eventstore cannot answer.
    pub async fn resolve(
        &self,
        queries: &Queries,
        host: &str,
        write: bool,
    ) -> Result<String, ApiError> {
        if write {
            self.refresh(queries).await?;
        }
        let newest = self.newest();
        if let Some(hit) = self.cache.get(host).filter(|r| r.seen >= newest) {
            return Ok(hit.instance_id);
        }
        // The lookup waits until the read model has applied the newest
        // instance event, which is at least `newest`.
        match queries.instance_by_domain(host).await? {
            Some(instance_id) => {
                let entry = Resolved {
                    instance_id: instance_id.clone(),
                    seen: newest,
                };
                self.cache.insert(host.to_owned(), entry);
                Ok(instance_id)
            }
            None => Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "INSTANCE_NOT_FOUND",
                format!("no instance serves the domain {host:?} (add it to an instance's domains)"),
            )),
        }
    }

    /// Forgets every cached domain (after an instance's domains changed here).
    pub fn invalidate(&self) {
        self.cache.invalidate_all();
    }

    /// Learns the newest instance event from the eventstore.
    async fn refresh(&self, queries: &Queries) -> Result<(), QueryError> {
        if let Some(position) = queries.newest_position(INSTANCE).await? {
            let mut newest = self.newest.lock().unwrap_or_else(PoisonError::into_inner);
            *newest = (*newest).max(position);
        }
        Ok(())
    }

    fn newest(&self) -> Position {
        *self.newest.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The request's host name, lowercased, without port or IPv6 brackets.
pub(crate) fn host_name(parts: &Parts) -> Result<String, ApiError> {
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
