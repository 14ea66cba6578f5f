//! The Redis circuit breaker (seed 004): stops sending requests to a Redis
//! that keeps failing, so requests read the database at once instead of
//! waiting on a broken cache, and probes now and then whether it is back.
//!
//! [`Breaker`] is the pure state machine: every call takes the current
//! [`Instant`], so its tests need neither Redis nor real time.
//! [`SharedBreaker`] is the one all caches on a Redis client share: it
//! logs every change of state and exports it as a gauge.
//!
//! ## What it implements
//!
//! - **Closed**: requests go to Redis and are counted. Every `Interval` the
//!   counts start again from zero (`0s`: never, until the breaker opens).
//!   After each **failure** the breaker opens when either
//!   - the consecutive failures reach `MaxConsecutiveFailures`, or
//!   - at least `MaxConsecutiveFailures` requests were counted and the
//!     failed share of them (failures ÷ requests) reaches `MaxFailureRatio`.
//!
//!   A request is counted when it is let through, so requests still under
//!   way count in the ratio's denominator. `MaxConsecutiveFailures: 0`
//!   disables the first rule (and lets the ratio be judged from the first
//!   request); `MaxFailureRatio: 0` disables the second.
//! - **Open**: every request fails at once with
//!   [`CacheError::BreakerOpen`](crate::cache::CacheError::BreakerOpen)
//!   without touching the network, until `Timeout` has passed since it
//!   opened; then it is half-open.
//! - **Half-open**: at most `MaxRetryRequests` requests (`0` counts as 1)
//!   are let through; the others fail as if it were open. When that many
//!   succeed it closes; the first failure opens it again for `Timeout`.
//!
//! Each change of state starts a new *generation*: the outcome of a request
//! let through before the change is ignored, so a slow answer from before
//! the breaker opened can neither close nor reopen it. A request abandoned
//! before its outcome is known (its caller gave up) is uncounted, so it
//! does not hold a half-open slot forever.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::CircuitBreakerConfig;

/// The gauge exporting the breaker's state: 0 closed, 1 half-open, 2 open.
pub(crate) const STATE_GAUGE: &str = "rampart_cache_redis_breaker_state";

/// Where the Redis circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests go to Redis.
    Closed,
    /// A few requests probe whether Redis is back.
    HalfOpen,
    /// Redis is skipped; requests fail at once.
    Open,
}

impl BreakerState {
    /// The state's name in logs.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half-open",
            BreakerState::Open => "open",
        }
    }

    /// The state's value in the gauge `rampart_cache_redis_breaker_state`.
    pub fn gauge(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One change of state, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transition {
    /// The state left.
    pub(crate) from: BreakerState,
    /// The state entered.
    pub(crate) to: BreakerState,
    /// Why, for the log.
    pub(crate) reason: String,
}

/// The permission to send one request: hand it back with its outcome to
/// [`Breaker::record`], exactly once (it is consumed).
#[derive(Debug)]
pub(crate) struct Ticket {
    generation: u64,
}

/// How a request let through ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Redis answered.
    Success,
    /// Redis failed, timed out or could not be reached.
    Failure,
    /// The caller gave up before the outcome was known: not counted.
    Abandoned,
}

/// The requests counted in the current generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    requests: u32,
    failures: u32,
    consecutive_successes: u32,
    consecutive_failures: u32,
}

/// The configuration, with its zeros resolved.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// `None`: the closed breaker never resets its counts.
    interval: Option<Duration>,
    /// `0`: the consecutive-failures rule is off.
    max_consecutive_failures: u32,
    /// `0.0`: the ratio rule is off.
    max_failure_ratio: f64,
    timeout: Duration,
    /// At least 1.
    max_retry_requests: u32,
}

/// The circuit breaker's state machine, driven by the instants it is given.
#[derive(Debug)]
pub(crate) struct Breaker {
    settings: Settings,
    state: BreakerState,
    generation: u64,
    counts: Counts,
    /// When the current generation ends: the next counter reset (closed) or
    /// the end of `Timeout` (open); `None`: not by time.
    expiry: Option<Instant>,
    /// Changes not yet taken by [`Breaker::take_changes`].
    changes: Vec<Transition>,
}

impl Breaker {
    /// A closed breaker configured by `config`, starting at `now`.
    pub(crate) fn new(config: &CircuitBreakerConfig, now: Instant) -> Self {
        let settings = Settings {
            interval: (!config.interval.is_zero()).then_some(config.interval),
            max_consecutive_failures: config.max_consecutive_failures,
            max_failure_ratio: config.max_failure_ratio.0,
            timeout: config.timeout,
            max_retry_requests: config.max_retry_requests.max(1),
        };
        let mut breaker = Self {
            settings,
            state: BreakerState::Closed,
            generation: 0,
            counts: Counts::default(),
            expiry: None,
            changes: Vec::new(),
        };
        breaker.new_generation(now);
        breaker
    }

    /// The state at `now` (an open breaker whose `Timeout` passed is half-open).
    pub(crate) fn state(&mut self, now: Instant) -> BreakerState {
        self.advance(now);
        self.state
    }

    /// Lets one request through at `now`, or `None` when it must fail fast
    /// (open, or half-open with all its probes under way).
    pub(crate) fn admit(&mut self, now: Instant) -> Option<Ticket> {
        self.advance(now);
        match self.state {
            BreakerState::Open => return None,
            BreakerState::HalfOpen if self.counts.requests >= self.settings.max_retry_requests => {
                return None;
            }
            BreakerState::Closed | BreakerState::HalfOpen => {}
        }
        self.counts.requests = self.counts.requests.saturating_add(1);
        Some(Ticket {
            generation: self.generation,
        })
    }

    /// Counts how the request of `ticket` ended, at `now`.
    pub(crate) fn record(&mut self, ticket: Ticket, outcome: Outcome, now: Instant) {
        self.advance(now);
        if ticket.generation != self.generation {
            return;
        }
        match outcome {
            Outcome::Success => self.succeeded(now),
            Outcome::Failure => self.failed(now),
            Outcome::Abandoned => self.counts.requests = self.counts.requests.saturating_sub(1),
        }
    }

    /// The changes of state since the last call, oldest first.
    pub(crate) fn take_changes(&mut self) -> Vec<Transition> {
        std::mem::take(&mut self.changes)
    }

    fn succeeded(&mut self, now: Instant) {
        let counts = &mut self.counts;
        counts.consecutive_successes = counts.consecutive_successes.saturating_add(1);
        counts.consecutive_failures = 0;
        if self.state == BreakerState::HalfOpen
            && counts.consecutive_successes >= self.settings.max_retry_requests
        {
            let reason = format!(
                "{} probe request(s) succeeded while half-open (MaxRetryRequests)",
                counts.consecutive_successes
            );
            self.set_state(BreakerState::Closed, reason, now);
        }
    }

    fn failed(&mut self, now: Instant) {
        let counts = &mut self.counts;
        counts.failures = counts.failures.saturating_add(1);
        counts.consecutive_failures = counts.consecutive_failures.saturating_add(1);
        counts.consecutive_successes = 0;
        let reason = match self.state {
            BreakerState::HalfOpen => Some("a probe request failed while half-open".to_owned()),
            BreakerState::Closed => self.trip_reason(),
            BreakerState::Open => None,
        };
        if let Some(reason) = reason {
            self.set_state(BreakerState::Open, reason, now);
        }
    }

    /// Why the closed breaker must open after a failure, if it must.
    fn trip_reason(&self) -> Option<String> {
        let Settings {
            max_consecutive_failures: max_failures,
            max_failure_ratio: max_ratio,
            ..
        } = self.settings;
        let counts = self.counts;
        if max_failures > 0 && counts.consecutive_failures >= max_failures {
            return Some(format!(
                "{} consecutive failures (MaxConsecutiveFailures: {max_failures})",
                counts.consecutive_failures
            ));
        }
        if max_ratio > 0.0 && counts.requests > 0 && counts.requests >= max_failures {
            let ratio = f64::from(counts.failures) / f64::from(counts.requests);
            if ratio >= max_ratio {
                return Some(format!(
                    "{} of {} requests failed (MaxFailureRatio: {max_ratio})",
                    counts.failures, counts.requests
                ));
            }
        }
        None
    }

    /// Ends the generation if its time is up: resets a closed breaker's
    /// counts, half-opens an open one.
    fn advance(&mut self, now: Instant) {
        let expired = self.expiry.is_some_and(|expiry| now >= expiry);
        if !expired {
            return;
        }
        match self.state {
            BreakerState::Closed => self.new_generation(now),
            BreakerState::Open => {
                let reason = format!(
                    "Timeout ({:?}) passed since it opened; letting {} probe request(s) through",
                    self.settings.timeout, self.settings.max_retry_requests
                );
                self.set_state(BreakerState::HalfOpen, reason, now);
            }
            BreakerState::HalfOpen => {}
        }
    }

    fn set_state(&mut self, to: BreakerState, reason: String, now: Instant) {
        if self.state == to {
            return;
        }
        self.changes.push(Transition {
            from: self.state,
            to,
            reason,
        });
        self.state = to;
        self.new_generation(now);
    }

    fn new_generation(&mut self, now: Instant) {
        self.generation = self.generation.wrapping_add(1);
        self.counts = Counts::default();
        self.expiry = match self.state {
            BreakerState::Closed => self.settings.interval.and_then(|i| now.checked_add(i)),
            BreakerState::Open => now.checked_add(self.settings.timeout),
            BreakerState::HalfOpen => None,
        };
    }
}

/// The breaker shared by every cache on one Redis client: [`Breaker`] on
/// the real clock, whose changes of state are logged (`warn` when it opens,
/// `info` otherwise) and exported as the gauge [`STATE_GAUGE`].
#[derive(Debug)]
pub(crate) struct SharedBreaker {
    breaker: Mutex<Breaker>,
}

impl SharedBreaker {
    /// A closed breaker configured by `config`.
    pub(crate) fn new(config: &CircuitBreakerConfig) -> Self {
        metrics::gauge!(STATE_GAUGE).set(BreakerState::Closed.gauge());
        Self {
            breaker: Mutex::new(Breaker::new(config, Instant::now())),
        }
    }

    /// The state now.
    pub(crate) fn state(&self) -> BreakerState {
        self.with(|breaker, now| breaker.state(now))
    }

    /// Lets one request through, or `None` when it must fail fast.
    pub(crate) fn admit(&self) -> Option<Ticket> {
        self.with(|breaker, now| breaker.admit(now))
    }

    /// Counts how the request of `ticket` ended.
    pub(crate) fn record(&self, ticket: Ticket, outcome: Outcome) {
        self.with(|breaker, now| breaker.record(ticket, outcome, now));
    }

    /// Runs `f` on the breaker at the current instant, then publishes the
    /// changes it made: the gauge under the lock (so it ends at the last
    /// state), the log lines after it.
    fn with<T>(&self, f: impl FnOnce(&mut Breaker, Instant) -> T) -> T {
        let (result, changes) = {
            let mut breaker = self.breaker.lock().unwrap_or_else(PoisonError::into_inner);
            let result = f(&mut breaker, Instant::now());
            let changes = breaker.take_changes();
            if let Some(last) = changes.last() {
                metrics::gauge!(STATE_GAUGE).set(last.to.gauge());
            }
            (result, changes)
        };
        for Transition { from, to, reason } in changes {
            let (state, from) = (to.name(), from.name());
            match to {
                BreakerState::Open => tracing::warn!(
                    state,
                    from,
                    reason,
                    "the Redis circuit breaker is open: Redis is skipped ({reason})"
                ),
                BreakerState::HalfOpen => tracing::info!(
                    state,
                    from,
                    reason,
                    "the Redis circuit breaker is half-open: probing Redis ({reason})"
                ),
                BreakerState::Closed => tracing::info!(
                    state,
                    from,
                    reason,
                    "the Redis circuit breaker is closed: Redis is used again ({reason})"
                ),
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Ratio;

    const MS: Duration = Duration::from_millis(1);

    fn config(
        interval: Duration,
        max_consecutive_failures: u32,
        max_failure_ratio: f64,
        max_retry_requests: u32,
    ) -> CircuitBreakerConfig {
        CircuitBreakerConfig {
            interval,
            max_consecutive_failures,
            max_failure_ratio: Ratio(max_failure_ratio),
            timeout: Duration::from_secs(60),
            max_retry_requests,
        }
    }

    /// The seed's defaults: Interval 0s, 5 failures, ratio 0.1, 60s, 1 retry.
    fn defaults() -> CircuitBreakerConfig {
        config(Duration::ZERO, 5, 0.1, 1)
    }

    /// Sends one request at `now` that ends with `outcome`; whether it was
    /// let through.
    fn request(breaker: &mut Breaker, now: Instant, outcome: Outcome) -> bool {
        match breaker.admit(now) {
            Some(ticket) => {
                breaker.record(ticket, outcome, now);
                true
            }
            None => false,
        }
    }

    /// A breaker opened at `t0` by consecutive failures.
    fn opened(config: &CircuitBreakerConfig, t0: Instant) -> Breaker {
        let mut breaker = Breaker::new(config, t0);
        while breaker.state(t0) == BreakerState::Closed {
            assert!(request(&mut breaker, t0, Outcome::Failure));
        }
        assert_eq!(breaker.state(t0), BreakerState::Open);
        breaker.take_changes();
        breaker
    }

    #[test]
    fn given_a_new_breaker_when_asked_then_it_is_closed_and_lets_requests_through() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&defaults(), t0);
        assert_eq!(breaker.state(t0), BreakerState::Closed);
        for _ in 0..100 {
            assert!(request(&mut breaker, t0, Outcome::Success));
        }
        assert!(breaker.take_changes().is_empty());
    }

    #[test]
    fn given_closed_when_consecutive_failures_reach_the_maximum_then_it_opens() {
        let t0 = Instant::now();
        // The ratio rule is off, so only consecutive failures count.
        let mut breaker = Breaker::new(&config(Duration::ZERO, 3, 0.0, 1), t0);
        for _ in 0..10 {
            request(&mut breaker, t0, Outcome::Success);
        }
        request(&mut breaker, t0, Outcome::Failure);
        request(&mut breaker, t0, Outcome::Failure);
        assert_eq!(breaker.state(t0), BreakerState::Closed);
        request(&mut breaker, t0, Outcome::Failure);
        assert_eq!(breaker.state(t0), BreakerState::Open);
        let changes = breaker.take_changes();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].from, changes[0].to),
            (BreakerState::Closed, BreakerState::Open)
        );
        assert!(
            changes[0].reason.contains("3 consecutive failures"),
            "{}",
            changes[0].reason
        );
    }

    #[test]
    fn given_closed_when_a_success_interrupts_failures_then_the_run_starts_again() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 3, 0.0, 1), t0);
        for _ in 0..5 {
            request(&mut breaker, t0, Outcome::Failure);
            request(&mut breaker, t0, Outcome::Failure);
            request(&mut breaker, t0, Outcome::Success);
        }
        assert_eq!(breaker.state(t0), BreakerState::Closed);
    }

    #[test]
    fn given_closed_when_the_failure_ratio_is_reached_after_enough_requests_then_it_opens() {
        let t0 = Instant::now();
        // The consecutive rule never fires (one failure in a row at most);
        // the ratio 0.25 is judged from 4 requests on.
        let mut breaker = Breaker::new(&config(Duration::ZERO, 4, 0.25, 1), t0);
        request(&mut breaker, t0, Outcome::Failure); // 1 of 1, but < 4 requests
        assert_eq!(breaker.state(t0), BreakerState::Closed);
        for _ in 0..5 {
            request(&mut breaker, t0, Outcome::Success);
        }
        request(&mut breaker, t0, Outcome::Failure); // 2 of 7 = 0.29 ≥ 0.25
        assert_eq!(breaker.state(t0), BreakerState::Open);
        let reason = &breaker.take_changes()[0].reason;
        assert!(reason.contains("2 of 7 requests failed"), "{reason}");
    }

    #[test]
    fn given_closed_when_the_failure_ratio_stays_below_the_maximum_then_it_stays_closed() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 4, 0.25, 1), t0);
        for _ in 0..10 {
            for _ in 0..4 {
                request(&mut breaker, t0, Outcome::Success);
            }
            request(&mut breaker, t0, Outcome::Failure); // 1 in 5 = 0.2
        }
        assert_eq!(breaker.state(t0), BreakerState::Closed);
    }

    #[test]
    fn given_closed_with_the_seed_defaults_when_one_in_five_fails_then_it_opens() {
        // 1 failure in 5 requests is 0.2 ≥ 0.1, judged from 5 requests on.
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&defaults(), t0);
        for _ in 0..4 {
            request(&mut breaker, t0, Outcome::Success);
        }
        request(&mut breaker, t0, Outcome::Failure);
        assert_eq!(breaker.state(t0), BreakerState::Open);
    }

    #[test]
    fn given_closed_with_an_interval_when_it_passes_then_the_counts_start_again() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(100 * MS, 3, 0.0, 1), t0);
        request(&mut breaker, t0, Outcome::Failure);
        request(&mut breaker, t0, Outcome::Failure);
        let t1 = t0 + 100 * MS;
        request(&mut breaker, t1, Outcome::Failure);
        request(&mut breaker, t1, Outcome::Failure);
        assert_eq!(breaker.state(t1), BreakerState::Closed);
        request(&mut breaker, t1, Outcome::Failure);
        assert_eq!(breaker.state(t1), BreakerState::Open);
    }

    #[test]
    fn given_closed_without_an_interval_when_time_passes_then_the_counts_are_kept() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 3, 0.0, 1), t0);
        request(&mut breaker, t0, Outcome::Failure);
        request(&mut breaker, t0, Outcome::Failure);
        let much_later = t0 + Duration::from_secs(24 * 3600);
        request(&mut breaker, much_later, Outcome::Failure);
        assert_eq!(breaker.state(much_later), BreakerState::Open);
    }

    #[test]
    fn given_open_when_requests_come_before_the_timeout_then_they_are_refused() {
        let t0 = Instant::now();
        let mut breaker = opened(&defaults(), t0);
        assert!(breaker.admit(t0).is_none());
        assert!(breaker.admit(t0 + Duration::from_secs(59)).is_none());
        assert_eq!(
            breaker.state(t0 + Duration::from_secs(59)),
            BreakerState::Open
        );
    }

    #[test]
    fn given_open_when_the_timeout_passes_then_it_half_opens() {
        let t0 = Instant::now();
        let mut breaker = opened(&defaults(), t0);
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
        let changes = breaker.take_changes();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].from, changes[0].to),
            (BreakerState::Open, BreakerState::HalfOpen)
        );
    }

    #[test]
    fn given_half_open_when_the_probes_are_under_way_then_further_requests_are_refused() {
        let t0 = Instant::now();
        let mut breaker = opened(&config(Duration::ZERO, 1, 0.0, 2), t0);
        let t1 = t0 + Duration::from_secs(60);
        let first = breaker.admit(t1);
        let second = breaker.admit(t1);
        assert!(first.is_some() && second.is_some());
        assert!(breaker.admit(t1).is_none());
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
    }

    #[test]
    fn given_half_open_when_all_probes_succeed_then_it_closes() {
        let t0 = Instant::now();
        let mut breaker = opened(&config(Duration::ZERO, 1, 0.0, 2), t0);
        let t1 = t0 + Duration::from_secs(60);
        assert!(request(&mut breaker, t1, Outcome::Success));
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
        assert!(request(&mut breaker, t1, Outcome::Success));
        assert_eq!(breaker.state(t1), BreakerState::Closed);
        let to: Vec<_> = breaker.take_changes().iter().map(|c| c.to).collect();
        assert_eq!(to, [BreakerState::HalfOpen, BreakerState::Closed]);
        // Closed afresh: the old failures are forgotten.
        assert!(request(&mut breaker, t1, Outcome::Success));
        assert_eq!(breaker.state(t1), BreakerState::Closed);
    }

    #[test]
    fn given_half_open_when_a_probe_fails_then_it_opens_again_for_the_timeout() {
        let t0 = Instant::now();
        let mut breaker = opened(&config(Duration::ZERO, 1, 0.0, 2), t0);
        let t1 = t0 + Duration::from_secs(60);
        assert!(request(&mut breaker, t1, Outcome::Success));
        assert!(request(&mut breaker, t1, Outcome::Failure));
        assert_eq!(breaker.state(t1), BreakerState::Open);
        let last = breaker.take_changes().pop().map(|c| (c.from, c.to));
        assert_eq!(last, Some((BreakerState::HalfOpen, BreakerState::Open)));
        assert!(breaker.admit(t1 + Duration::from_secs(59)).is_none());
        assert_eq!(
            breaker.state(t1 + Duration::from_secs(60)),
            BreakerState::HalfOpen
        );
    }

    #[test]
    fn given_zero_max_retry_requests_when_half_open_then_one_probe_is_let_through() {
        let t0 = Instant::now();
        let mut breaker = opened(&config(Duration::ZERO, 1, 0.0, 0), t0);
        let t1 = t0 + Duration::from_secs(60);
        let probe = breaker.admit(t1);
        assert!(probe.is_some());
        assert!(breaker.admit(t1).is_none());
        if let Some(ticket) = probe {
            breaker.record(ticket, Outcome::Success, t1);
        }
        assert_eq!(breaker.state(t1), BreakerState::Closed);
    }

    #[test]
    fn given_a_request_let_through_before_opening_when_it_ends_later_then_it_is_ignored() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 2, 0.0, 1), t0);
        let slow = breaker.admit(t0);
        request(&mut breaker, t0, Outcome::Failure);
        request(&mut breaker, t0, Outcome::Failure);
        assert_eq!(breaker.state(t0), BreakerState::Open);
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
        // Its success is from the closed generation: it does not close.
        if let Some(ticket) = slow {
            breaker.record(ticket, Outcome::Success, t1);
        }
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
    }

    #[test]
    fn given_half_open_when_a_probe_is_abandoned_then_another_may_probe() {
        let t0 = Instant::now();
        let mut breaker = opened(&defaults(), t0);
        let t1 = t0 + Duration::from_secs(60);
        let abandoned = breaker.admit(t1);
        assert!(breaker.admit(t1).is_none());
        if let Some(ticket) = abandoned {
            breaker.record(ticket, Outcome::Abandoned, t1);
        }
        assert_eq!(breaker.state(t1), BreakerState::HalfOpen);
        assert!(request(&mut breaker, t1, Outcome::Success));
        assert_eq!(breaker.state(t1), BreakerState::Closed);
    }

    #[test]
    fn given_both_rules_off_when_everything_fails_then_it_never_opens() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 0, 0.0, 1), t0);
        for _ in 0..1000 {
            request(&mut breaker, t0, Outcome::Failure);
        }
        assert_eq!(breaker.state(t0), BreakerState::Closed);
    }

    #[test]
    fn given_no_consecutive_rule_when_the_first_request_fails_then_the_ratio_opens_it() {
        let t0 = Instant::now();
        let mut breaker = Breaker::new(&config(Duration::ZERO, 0, 0.5, 1), t0);
        request(&mut breaker, t0, Outcome::Failure);
        assert_eq!(breaker.state(t0), BreakerState::Open);
    }

    #[test]
    fn given_the_states_when_exported_then_the_gauge_values_are_0_1_2() {
        assert_eq!(BreakerState::Closed.gauge(), 0.0);
        assert_eq!(BreakerState::HalfOpen.gauge(), 1.0);
        assert_eq!(BreakerState::Open.gauge(), 2.0);
        assert_eq!(BreakerState::HalfOpen.to_string(), "half-open");
    }

    #[test]
    fn given_a_shared_breaker_when_it_opens_then_it_reports_open() {
        let shared = SharedBreaker::new(&config(Duration::ZERO, 1, 0.0, 1));
        assert_eq!(shared.state(), BreakerState::Closed);
        let ticket = shared.admit();
        assert!(ticket.is_some());
        if let Some(ticket) = ticket {
            shared.record(ticket, Outcome::Failure);
        }
        assert_eq!(shared.state(), BreakerState::Open);
        assert!(shared.admit().is_none());
    }
}
