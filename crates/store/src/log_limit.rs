//! Rate-limited logging for hot error paths: a failure that repeats on every request (a full
//! disk, a database that is down) is logged once per interval with the number of repeats,
//! never once per request — a log flood would fill the next disk.
//!
//! ```
//! use paygate_store::log_limit::LogLimiter;
//! static LOG: LogLimiter = LogLimiter::new(std::time::Duration::from_secs(10));
//! if let Some(repeated) = LOG.check("sqlite: disk full") {
//!     // First time, or the interval has passed: log it, with the repeats it stands for.
//!     let _ = repeated;
//! }
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Distinct messages a limiter remembers; beyond that the oldest is forgotten (its next
/// occurrence is logged at once).
pub const LOG_LIMITER_KEYS_MAX: usize = 64;

/// Lets a message through once per interval per distinct key, counting what it held back.
pub struct LogLimiter {
    interval: Duration,
    seen: Mutex<Vec<Seen>>,
}

struct Seen {
    key: String,
    logged_at: Instant,
    held_back: u64,
}

impl LogLimiter {
    /// A limiter that logs each distinct key at most once per `interval`.
    pub const fn new(interval: Duration) -> LogLimiter {
        LogLimiter {
            interval,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// `Some(n)` when a line for `key` is due — its first occurrence, or the first after the
    /// interval — where `n` counts the occurrences held back since the last line; `None`
    /// when this one is held back (and counted).
    pub fn check(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = seen.iter_mut().find(|s| s.key == key) {
            if now.duration_since(s.logged_at) < self.interval {
                s.held_back += 1;
                return None;
            }
            let held_back = std::mem::take(&mut s.held_back);
            s.logged_at = now;
            return Some(held_back);
        }
        if seen.len() >= LOG_LIMITER_KEYS_MAX
            && let Some(oldest) = (0..seen.len()).min_by_key(|&i| seen[i].logged_at)
        {
            seen.swap_remove(oldest);
        }
        seen.push(Seen {
            key: key.to_string(),
            logged_at: now,
            held_back: 0,
        });
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_message_passes_once_per_interval_with_its_count() {
        let l = LogLimiter::new(Duration::from_millis(200));
        assert_eq!(l.check("disk full"), Some(0));
        for _ in 0..1_000 {
            assert_eq!(l.check("disk full"), None);
        }
        assert_eq!(l.check("other"), Some(0), "keys are limited apart");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(l.check("disk full"), Some(1_000));
        assert_eq!(l.check("disk full"), None);
    }

    #[test]
    fn it_remembers_a_bounded_number_of_keys() {
        let l = LogLimiter::new(Duration::from_secs(60));
        for i in 0..(LOG_LIMITER_KEYS_MAX * 3) {
            assert_eq!(l.check(&format!("k{i}")), Some(0));
        }
        assert!(l.seen.lock().unwrap().len() <= LOG_LIMITER_KEYS_MAX);
    }
}
