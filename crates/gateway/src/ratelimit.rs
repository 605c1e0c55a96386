//! Per-key request rate limit, in memory per process: `rate_limit_per_s` requests per second
//! with a burst of the same size (GCRA, the `governor` crate). Over the limit → 429
//! `rate_limit_error` with `Retry-After: 1`.
//!
//! A key's state is dropped once it is indistinguishable from a fresh key (its burst has fully
//! refilled, plus one emission interval): every [`SWEEP_EVERY_CHECKS`] checks the limiter sweeps such keys away, so memory
//! follows the keys active in the last second, not every key ever seen.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Checks between two sweeps of idle keys.
pub const SWEEP_EVERY_CHECKS: u64 = 4_096;
/// Seconds a client should wait after a 429: a token returns within `1 / rate_limit_per_s`
/// seconds, and the rate is at least one per second.
pub const RETRY_AFTER_S: u64 = 1;

type Keyed<C> = Gcra<String, HashMapStateStore<String>, C, NoOpMiddleware<<C as Clock>::Instant>>;

pub struct RateLimiter<C: Clock = DefaultClock> {
    /// `None` when the limit is off.
    keyed: Option<Keyed<C>>,
    checks: AtomicU64,
}

impl RateLimiter {
    /// `per_s == 0` disables the limit.
    pub fn new(per_s: u32) -> RateLimiter {
        RateLimiter::with_clock(per_s, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    /// A limiter reading time from `clock` (tests move a fake clock).
    pub fn with_clock(per_s: u32, clock: C) -> RateLimiter<C> {
        let keyed = NonZeroU32::new(per_s)
            .map(|n| Gcra::hashmap_with_clock(Quota::per_second(n).allow_burst(n), clock));
        RateLimiter {
            keyed,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one token for `key`; false when the key is over its rate.
    pub fn allow(&self, key: &str) -> bool {
        let Some(keyed) = &self.keyed else {
            return true;
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY_CHECKS
            == SWEEP_EVERY_CHECKS - 1
        {
            self.forget_idle();
        }
        keyed.check_key(&key.to_string()).is_ok()
    }

    /// Drops every key whose burst has fully refilled (it would behave as a new key).
    pub fn forget_idle(&self) {
        if let Some(keyed) = &self.keyed {
            keyed.retain_recent();
            keyed.shrink_to_fit();
        }
    }

    /// Keys currently tracked.
    pub fn tracked_keys(&self) -> usize {
        self.keyed.as_ref().map_or(0, Gcra::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn a_burst_of_exactly_the_rate_passes_then_one_token_returns_per_interval() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(3, clock.clone());
        assert_eq!((0..10).filter(|_| l.allow("k")).count(), 3);
        assert!(l.allow("other"), "buckets are per key");
        clock.advance(Duration::from_millis(334));
        assert!(l.allow("k"), "one token back after 1/3 s");
        assert!(!l.allow("k"));
        let off = RateLimiter::new(0);
        assert!((0..10_000).all(|_| off.allow("k")));
        assert_eq!(off.tracked_keys(), 0);
    }

    #[test]
    fn keys_whose_burst_refilled_are_forgotten_and_busy_keys_are_kept() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(5, clock.clone());
        for i in 0..10_000 {
            l.allow(&format!("key_{i}"));
        }
        assert_eq!(l.tracked_keys(), 10_000);
        clock.advance(Duration::from_secs(2));
        assert!((0..5).all(|_| l.allow("busy")));
        l.forget_idle();
        assert_eq!(l.tracked_keys(), 1, "only the key with an empty bucket");
        assert!(
            !l.allow("busy"),
            "forgetting idle keys keeps the busy key's state"
        );
    }

    #[test]
    fn the_limiter_sweeps_by_itself_as_checks_go_by() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(1, clock.clone());
        let n = usize::try_from(SWEEP_EVERY_CHECKS).unwrap();
        for i in 0..n - 1 {
            l.allow(&format!("key_{i}"));
        }
        assert_eq!(l.tracked_keys(), n - 1);
        // Refilled after 1 s; governor keeps a key one emission interval longer.
        clock.advance(Duration::from_secs(2));
        l.allow("last");
        assert_eq!(l.tracked_keys(), 1, "the sweep ran before the last check");
    }
}
