//! Time: the injectable [`Clock`] and every piece of calendar math the gateway does.
//!
//! The gateway asks a [`Clock`] (held as `Arc<dyn Clock>`) for "now" instead of the system
//! time, so tests can move time with a [`ManualClock`] (in-process tests) or an [`OffsetClock`]
//! (a `paygate serve --test-clock` process pushed forward over HTTP). Timestamps are Unix
//! seconds (`i64`).
//!
//! Two calendars matter: settlement availability is counted in UTC days (as balance
//! transactions report `available_on`), and Korean rules (business dates of card
//! acquirers, carrier billing months) count in Korea Standard Time, UTC+09:00 all year
//! (Korea has no daylight saving time).

use std::sync::Arc;
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

/// The system time plus an offset that only grows: time keeps running and a test can only push
/// it forward (`paygate serve --test-clock`, docs/OPERATIONS.md "Test clock"). The offset cell
/// can be shared ([`OffsetClock::offset_cell`]) with the in-process simulators' clocks, so one
/// advance moves the gateway and its counterparties together; every holder advances it with the
/// same rule (add a positive amount, or raise it to a maximum), so it never shrinks.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_s: Arc<AtomicI64>,
}

/// Why a test clock refused to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdvanceError {
    /// `seconds` must be positive.
    #[error("seconds must be a positive number of seconds; got {0}")]
    NotForward(i64),
    /// `to` lies before the clock's now.
    #[error("to must not be before the test clock's now ({now}); got {to}")]
    MovesBack { now: i64, to: i64 },
}

impl OffsetClock {
    /// Offset zero: the system time until advanced.
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }

    /// A clock over a shared offset cell (another `OffsetClock`'s or a simulator's).
    pub fn sharing(offset_s: Arc<AtomicI64>) -> OffsetClock {
        OffsetClock { offset_s }
    }

    /// The offset cell, to hand to clocks that must move together with this one.
    pub fn offset_cell(&self) -> Arc<AtomicI64> {
        Arc::clone(&self.offset_s)
    }

    /// Seconds added to the system time.
    pub fn offset_seconds(&self) -> i64 {
        self.offset_s.load(Ordering::SeqCst)
    }

    /// Moves the clock `by_s` seconds forward (`by_s` > 0); returns the new now.
    pub fn advance_by(&self, by_s: i64) -> Result<i64, AdvanceError> {
        if by_s <= 0 {
            return Err(AdvanceError::NotForward(by_s));
        }
        self.offset_s.fetch_add(by_s, Ordering::SeqCst);
        Ok(self.now())
    }

    /// Moves the clock to `to_s` (not before now); returns the new now (≥ `to_s`: the system
    /// time keeps running).
    pub fn advance_to(&self, to_s: i64) -> Result<i64, AdvanceError> {
        let now = self.now();
        if to_s < now {
            return Err(AdvanceError::MovesBack { now, to: to_s });
        }
        // `fetch_max`: a concurrent advance past `to_s` is kept, the offset never shrinks.
        self.offset_s
            .fetch_max(to_s - SystemClock.now(), Ordering::SeqCst);
        Ok(self.now())
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        SystemClock.now() + self.offset_seconds()
    }
}

/// Another clock `skew` seconds off, the skew set at run time and of either sign: the
/// gateway's test-mode clock-skew fault (`clock_skew_s` of `/v1/test_helpers/faults`), which a
/// chaos run sets on one instance and heals to zero. With no skew it reads the inner clock.
#[derive(Debug)]
pub struct SkewedClock {
    inner: Arc<dyn Clock>,
    skew_s: AtomicI64,
}

impl SkewedClock {
    /// `inner` with no skew.
    pub fn new(inner: Arc<dyn Clock>) -> SkewedClock {
        SkewedClock {
            inner,
            skew_s: AtomicI64::new(0),
        }
    }

    /// Seconds added to the inner clock (negative: behind it).
    pub fn skew_seconds(&self) -> i64 {
        self.skew_s.load(Ordering::SeqCst)
    }

    /// Sets the skew (0 heals it).
    pub fn set_skew(&self, skew_s: i64) {
        self.skew_s.store(skew_s, Ordering::SeqCst);
    }
}

impl Clock for SkewedClock {
    fn now(&self) -> i64 {
        self.inner.now() + self.skew_seconds()
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

/// Whether `a` and `b` (Unix seconds) fall in the same calendar month in Korea: a carrier bill's
/// month (휴대폰 소액결제).
pub fn same_kst_month(a: i64, b: i64) -> bool {
    let (a, b) = (kst_date(a), kst_date(b));
    (a.year(), a.month()) == (b.year(), b.month())
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
        // 2026-01-31T14:59:59Z = 23:59:59 KST.
        assert!(same_kst_month(1_767_225_600, 1_769_871_599));
        assert!(!same_kst_month(1_769_871_599, 1_769_871_600));
    }

    #[test]
    fn a_skewed_clock_runs_ahead_or_behind_its_inner_clock_until_healed() {
        let inner = Arc::new(ManualClock::new(1_000));
        let c = SkewedClock::new(inner.clone());
        assert_eq!(c.now(), 1_000);
        c.set_skew(-90);
        assert_eq!((c.now(), c.skew_seconds()), (910, -90));
        inner.advance(10);
        assert_eq!(c.now(), 920);
        c.set_skew(300);
        assert_eq!(c.now(), 1_310);
        c.set_skew(0);
        assert_eq!(c.now(), inner.now());
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

    #[test]
    fn an_offset_clock_runs_with_the_system_and_never_goes_back() {
        let c = OffsetClock::new();
        let before = SystemClock.now();
        assert!((before..=before + 1).contains(&c.now()));
        assert_eq!(c.offset_seconds(), 0);
        let now = c.advance_by(DAY_S).unwrap();
        assert!(now >= before + DAY_S, "{now}");
        assert!(c.offset_seconds() == DAY_S);
        assert_eq!(c.advance_by(0), Err(AdvanceError::NotForward(0)));
        assert_eq!(c.advance_by(-5), Err(AdvanceError::NotForward(-5)));
        let back = c.now() - 3_600;
        assert!(matches!(
            c.advance_to(back),
            Err(AdvanceError::MovesBack { to, .. }) if to == back
        ));
        assert_eq!(c.offset_seconds(), DAY_S, "a refused move changes nothing");
        let target = c.now() + 30 * DAY_S;
        let now = c.advance_to(target).unwrap();
        assert!((target..=target + 1).contains(&now), "{now} vs {target}");
        assert!(c.offset_seconds() >= 31 * DAY_S - 1);
        // `to` = now is allowed and leaves the clock where it is.
        let offset = c.offset_seconds();
        c.advance_to(c.now()).unwrap();
        assert!(c.offset_seconds() >= offset);
    }

    #[test]
    fn clocks_sharing_an_offset_move_together() {
        let gateway = OffsetClock::new();
        let sim = OffsetClock::sharing(gateway.offset_cell());
        sim.advance_by(600).unwrap();
        assert_eq!(gateway.offset_seconds(), 600);
        gateway.advance_by(60).unwrap();
        assert_eq!(sim.offset_seconds(), 660);
    }
}
