//! Per-key request rate limit (token bucket, in memory per process): `rate_limit_per_s`
//! requests per second with a burst of the same size. Over the limit → 429 rate_limit_error.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Tokens are counted in thousandths so refill needs no floating point.
const MILLI: u64 = 1_000;
/// Most keys tracked at once; idle buckets are dropped beyond this.
const MAX_KEYS: usize = 100_000;

pub struct RateLimiter {
    per_s: u64,
    buckets: Mutex<HashMap<String, (u64, Instant)>>,
}

impl RateLimiter {
    /// `per_s == 0` disables the limit.
    pub fn new(per_s: u32) -> RateLimiter {
        RateLimiter {
            per_s: u64::from(per_s),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; false when the key is over its rate.
    pub fn allow(&self, key: &str) -> bool {
        if self.per_s == 0 {
            return true;
        }
        let capacity = self.per_s * MILLI;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            buckets.retain(|_, (tokens, at)| {
                *tokens < capacity || now.duration_since(*at).as_secs() < 60
            });
        }
        let (tokens, last) = buckets.entry(key.to_string()).or_insert((capacity, now));
        let elapsed_ms = u64::try_from(now.duration_since(*last).as_millis()).unwrap_or(u64::MAX);
        *tokens = tokens
            .saturating_add(elapsed_ms.saturating_mul(self.per_s))
            .min(capacity);
        *last = now;
        if *tokens >= MILLI {
            *tokens -= MILLI;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_above_the_rate_is_refused_and_zero_disables() {
        let l = RateLimiter::new(3);
        assert!((0..3).all(|_| l.allow("k")));
        assert!(!l.allow("k"));
        assert!(l.allow("other"), "buckets are per key");
        let off = RateLimiter::new(0);
        assert!((0..10_000).all(|_| off.allow("k")));
    }
}
