//! The capped exponential backoff shared by requests that are repeated until answered
//! (reversals, follow-up repeats).

use std::time::{Duration, Instant};

use super::LinkConfig;

/// Delays from `reversal_retry_ms`, doubling up to `reversal_backoff_ms_max`, for at most
/// `reversal_max_ms` in total.
#[derive(Debug)]
pub(super) struct Backoff {
    started: Instant,
    max: Duration,
    cap: Duration,
    delay: Duration,
    attempts: u32,
}

impl Backoff {
    pub(super) fn new(cfg: &LinkConfig) -> Self {
        Backoff {
            started: Instant::now(),
            max: Duration::from_millis(cfg.reversal_max_ms),
            cap: Duration::from_millis(cfg.reversal_backoff_ms_max),
            delay: Duration::from_millis(cfg.reversal_retry_ms),
            attempts: 0,
        }
    }

    /// Counts a failed attempt and returns the delay before the next one, or `None` when the
    /// next attempt would start past `reversal_max_ms`.
    pub(super) fn after_failure(&mut self) -> Option<Duration> {
        self.attempts = self.attempts.saturating_add(1);
        if self.started.elapsed() + self.delay > self.max {
            return None;
        }
        let delay = self.delay;
        self.delay = (self.delay * 2).min(self.cap);
        Some(delay)
    }

    /// Failed attempts counted so far.
    pub(super) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Time since the first attempt, in milliseconds.
    pub(super) fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_stop_at_the_total() {
        let mut cfg = LinkConfig::new("127.0.0.1:1", "PGTEST01", "1");
        cfg.reversal_retry_ms = 10;
        cfg.reversal_backoff_ms_max = 25;
        cfg.reversal_max_ms = 60;
        let mut b = Backoff::new(&cfg);
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis());
        assert_eq!(ms(b.after_failure()), Some(10));
        assert_eq!(ms(b.after_failure()), Some(20));
        assert_eq!(ms(b.after_failure()), Some(25));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.after_failure(), None, "40 ms + 25 ms is past 60 ms");
        assert_eq!(b.attempts(), 4);
    }
}
