//! Limits on sign-in attempts (`Oidc.LoginRateLimit`): each form post of
//! the hosted login counts once for the client's address and once for the
//! login name it is about; over either limit the attempt is refused until
//! the window that began with the first counted attempt has passed. Counts
//! are the node's own (a cluster of n nodes lets up to n times through);
//! the lockout settings, counted in events, hold on every node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use moka::sync::Cache;

use crate::config::LoginRateLimitConfig;

/// Most addresses and login names counted at once, each.
const TRACKED: u64 = 100_000;

/// Attempt counters per key, each living one window from its first attempt.
#[derive(Clone)]
struct Counter {
    limit: u32,
    counts: Cache<String, Arc<AtomicU32>>,
}

impl Counter {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            counts: Cache::builder()
                .max_capacity(TRACKED)
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts an attempt for `key`: whether it is within the limit.
    fn admit(&self, key: &str) -> bool {
        if self.limit == 0 {
            return true;
        }
        let count = self
            .counts
            .get_with(key.to_owned(), || Arc::new(AtomicU32::new(0)));
        count.fetch_add(1, Ordering::Relaxed) < self.limit
    }
}

/// The hosted login's attempt limits.
#[derive(Clone)]
pub struct Throttle {
    by_address: Counter,
    by_user: Counter,
    window: Duration,
    trust_forwarded_for: bool,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Throttle {
    /// Limits as `config` says.
    pub fn new(config: &LoginRateLimitConfig) -> Self {
        Self {
            by_address: Counter::new(config.per_address, config.window),
            by_user: Counter::new(config.per_user, config.window),
            window: config.window,
            trust_forwarded_for: config.trust_forwarded_for,
        }
    }

    /// How long a refused client should wait.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The client's address: the connection's, or the first
    /// `X-Forwarded-For` entry when trusted.
    pub fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<String> {
        let forwarded = self
            .trust_forwarded_for
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        forwarded.or_else(|| peer.map(|p| p.ip().to_string()))
    }

    /// Counts an attempt from `address` about `login_name`: whether both
    /// are within their limits.
    pub fn admit(&self, address: Option<&str>, login_name: &str) -> bool {
        let address_ok = address.is_none_or(|a| self.by_address.admit(a));
        let user = login_name.trim().to_lowercase();
        let user_ok = user.is_empty() || self.by_user.admit(&user);
        address_ok && user_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_address: u32, per_user: u32) -> Throttle {
        Throttle::new(&LoginRateLimitConfig {
            per_address,
            per_user,
            window: Duration::from_secs(60),
            trust_forwarded_for: false,
        })
    }

    #[test]
    fn given_a_limit_per_user_when_it_is_reached_then_that_user_is_refused_only() {
        let t = throttle(0, 2);
        assert!(t.admit(Some("10.0.0.1"), "ada"));
        assert!(t.admit(Some("10.0.0.2"), "ADA "));
        assert!(!t.admit(Some("10.0.0.3"), "ada"), "the third for ada");
        assert!(t.admit(Some("10.0.0.3"), "grace"));
    }

    #[test]
    fn given_a_limit_per_address_when_it_is_reached_then_that_address_is_refused_only() {
        let t = throttle(2, 0);
        assert!(t.admit(Some("10.0.0.1"), "a"));
        assert!(t.admit(Some("10.0.0.1"), "b"));
        assert!(!t.admit(Some("10.0.0.1"), "c"));
        assert!(t.admit(Some("10.0.0.2"), "c"));
    }

    #[test]
    fn given_forwarded_for_when_not_trusted_then_the_connection_counts() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 4000)));
        assert_eq!(
            throttle(1, 1).client(peer, &headers).as_deref(),
            Some("127.0.0.1")
        );
        let trusting = Throttle {
            trust_forwarded_for: true,
            ..throttle(1, 1)
        };
        assert_eq!(
            trusting.client(peer, &headers).as_deref(),
            Some("203.0.113.9")
        );
    }
}
