//! When a webhook delivery is tried again, and which schedules a claim treats as due.
//!
//! The retry backoff lives here, beside the claims that read it: a delivery's
//! `next_attempt_at` and its lease's `locked_until` are written from the clock of the
//! process that dispatched, tried or claimed it, and the processes sharing a database do not
//! share a clock. A process whose clock runs ahead (the chaos run's `clock_skew`, a host whose
//! NTP went wrong) writes schedules and leases that look, to every other process, further
//! ahead than any it could have written: a new delivery due minutes from now, a lease ending
//! after one taken this second would. Waiting for those would hold deliveries back by the
//! skew (they were stuck for the length of the skew — up to 10 minutes — after `clock_skew`).
//! So a claim at `now` takes a delivery when
//!
//! * `next_attempt_at <= now` (due), or
//! * `next_attempt_at > now + delivery_backoff_s(attempts)`: further ahead than the backoff
//!   after its attempts allows — scheduled by a clock ahead of this one; sending it now is
//!   early by at most that backoff, waiting for it would be late by the other clock's skew;
//!
//! and a lease holds only while `now < locked_until <= now + lease_s`; one ending later was
//! taken by a clock ahead of this one and is treated as expired (a delivery may then be sent
//! twice, which webhooks allow: delivery is at least once).

/// First retry delay; doubles per attempt up to [`DELIVERY_BACKOFF_MAX_S`].
pub const DELIVERY_BACKOFF_BASE_S: i64 = 30;
/// Longest retry delay.
pub const DELIVERY_BACKOFF_MAX_S: i64 = 12 * 3600;

/// Delay before attempt `attempt_no + 1` (after attempt 0, i.e. on dispatch: the base, the
/// tolerance of a fresh delivery's schedule).
pub fn delivery_backoff_s(attempt_no: i64) -> i64 {
    let exp = attempt_no.clamp(0, 20) as u32;
    DELIVERY_BACKOFF_BASE_S
        .saturating_mul(1_i64 << exp)
        .min(DELIVERY_BACKOFF_MAX_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(delivery_backoff_s(0), 30);
        assert_eq!(delivery_backoff_s(1), 60);
        assert_eq!(delivery_backoff_s(-3), 30);
        assert_eq!(delivery_backoff_s(30), DELIVERY_BACKOFF_MAX_S);
    }
}
