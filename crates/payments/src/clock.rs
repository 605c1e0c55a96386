//! Time: the injectable [`Clock`] and every piece of calendar math the gateway does.
//!
//! The gateway asks a [`Clock`] (held as `Arc<dyn Clock>`) for "now" instead of the system
//! time, so tests can move time with a [`ManualClock`]. Timestamps are Unix seconds (`i64`).
//!
//! Two calendars matter: settlement availability is counted in UTC days (as balance
//! transactions report `available_on`), and Korean rules (business dates of card
//! acquirers, carrier billing months) count in Korea Standard Time, UTC+09:00 all year
//! (Korea has no daylight saving time).

use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds in a calendar day.
pub const DAY_S: i64 = 86_400;
/// Korea Standard Time's offset from UTC (no daylight saving time).
pub const KST_OFFSET_S: i64 = 9 * 3_600;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Unix seconds now.
    fn now(&self) -> i64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that stands still until a test sets or advances it.
#[derive(Debug)]
pub struct ManualClock {
    now_s: AtomicI64,
}

impl ManualClock {
    pub fn new(now_s: i64) -> ManualClock {
        ManualClock {
            now_s: AtomicI64::new(now_s),
        }
    }

    pub fn set(&self, now_s: i64) {
        self.now_s.store(now_s, Ordering::SeqCst);
    }

    pub fn advance(&self, by_s: i64) {
        self.now_s.fetch_add(by_s, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now_s.load(Ordering::SeqCst)
    }
}

/// Start (00:00 UTC) of the UTC day `days` after the day of `now`: `day_plus(now, 0)` is today,
/// `day_plus(now, 2)` the settlement date of a D+2 merchant.
pub fn day_plus(now: i64, days: i64) -> i64 {
    (now.div_euclid(DAY_S) + days) * DAY_S
}

/// The calendar date in Korea (Asia/Seoul) at `ts`.
pub fn kst_date(ts: i64) -> time::Date {
    let days = (ts + KST_OFFSET_S).div_euclid(DAY_S);
    // Julian day 2_440_588 is 1970-01-01; the range of i64 seconds we accept is far inside
    // `time`'s date range for any timestamp a payment can carry.
    let julian = i32::try_from(2_440_588 + days).unwrap_or(i32::MAX);
    time::Date::from_julian_day(julian).unwrap_or(time::Date::MAX)
}

/// The Unix time of 00:00 KST on the Korean date of `ts`, plus `days` days.
pub fn kst_day_plus(ts: i64, days: i64) -> i64 {
    ((ts + KST_OFFSET_S).div_euclid(DAY_S) + days) * DAY_S - KST_OFFSET_S
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn utc_days_start_at_midnight_utc() {
        // 2026-12-02 00:49:17 UTC.
        let t = 1_796_172_557;
        assert_eq!(day_plus(t, 0), 1_796_169_600);
        assert_eq!(day_plus(t, 2), 1_796_169_600 + 2 * DAY_S);
        assert_eq!(day_plus(1_796_169_600, 0), 1_796_169_600);
        assert_eq!(day_plus(-1, 0), -DAY_S);
    }

    #[test]
    fn korean_dates_turn_at_fifteen_hundred_utc() {
        // 2026-12-01 14:59:59 UTC is 23:59:59 KST on Dec 1; one second later it is Dec 2 in Seoul.
        let before = 1_796_137_199;
        assert_eq!(kst_date(before), date!(2026 - 12 - 01));
        assert_eq!(kst_date(before + 1), date!(2026 - 12 - 02));
        assert_eq!(kst_day_plus(before + 1, 0), before + 1);
        assert_eq!(kst_day_plus(before, 1), before + 1);
        assert_eq!(kst_date(0), date!(1970 - 01 - 01));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(DAY_S);
        assert_eq!(c.now(), 1_000 + DAY_S);
        c.set(5);
        assert_eq!(c.now(), 5);
        let dynamic: std::sync::Arc<dyn Clock> = std::sync::Arc::new(c);
        assert_eq!(dynamic.now(), 5);
    }
}
