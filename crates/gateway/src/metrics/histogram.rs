//! A fixed-bucket histogram of atomics: one `fetch_add` per bucket hit, count and sum.

use std::sync::atomic::{AtomicU64, Ordering};

/// Most buckets a [`Histogram`] has (besides `+Inf`).
const MAX_BUCKETS: usize = 16;

/// What a histogram's observations and bounds count; the exposition shows microseconds as
/// seconds (Prometheus' base unit), the others as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Micros,
    Seconds,
    Units,
}

/// Request latencies, microseconds: 0.5 ms to 5 s.
pub const LATENCY_BOUNDS_US: &[u64] = &[
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    5_000_000,
];

/// Webhook delivery lags, seconds: from a second to a day of retries.
pub const LAG_BOUNDS_S: &[u64] = &[1, 2, 5, 10, 30, 60, 300, 900, 3_600, 21_600, 86_400];

pub struct Histogram {
    bounds: &'static [u64],
    unit: Unit,
    buckets: [AtomicU64; MAX_BUCKETS],
    count: AtomicU64,
    sum: AtomicU64,
}

impl Histogram {
    /// An empty histogram with bucket upper `bounds` (ascending, at most 16) in `unit`.
    pub const fn new(bounds: &'static [u64], unit: Unit) -> Histogram {
        assert!(bounds.len() <= MAX_BUCKETS, "too many buckets");
        Histogram {
            bounds,
            unit,
            buckets: [const { AtomicU64::new(0) }; MAX_BUCKETS],
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    /// Request latencies ([`LATENCY_BOUNDS_US`]).
    pub fn latency() -> Histogram {
        Histogram::new(LATENCY_BOUNDS_US, Unit::Micros)
    }

    pub fn observe(&self, v: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(v, Ordering::Relaxed);
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bounds: self.bounds,
            unit: self.unit,
            buckets: self
                .bounds
                .iter()
                .enumerate()
                .map(|(i, _)| self.buckets[i].load(Ordering::Relaxed))
                .collect(),
            count: self.count.load(Ordering::Relaxed),
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}

/// A histogram's values at one moment: per-bucket (not cumulative) counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub bounds: &'static [u64],
    pub unit: Unit,
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum: u64,
}

impl Snapshot {
    /// An empty snapshot with these bounds, to [`Snapshot::add`] others into.
    pub fn empty(bounds: &'static [u64], unit: Unit) -> Snapshot {
        Snapshot {
            bounds,
            unit,
            buckets: vec![0; bounds.len()],
            count: 0,
            sum: 0,
        }
    }

    /// Adds `other` (same bounds) into this one.
    pub fn add(&mut self, other: &Snapshot) {
        debug_assert_eq!(self.bounds, other.bounds);
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    /// The quantile `per_mille`/1000 (500 = median, 990 = p99) as the upper bound of the
    /// bucket it falls in (what Prometheus' `histogram_quantile` reads from the same buckets,
    /// without interpolation); `None` when empty or beyond the last bucket.
    pub fn quantile(&self, per_mille: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        // The rank of the quantile, rounded up: at least the first observation.
        let rank = (self.count.saturating_mul(per_mille.min(1000)))
            .div_ceil(1000)
            .max(1);
        let mut cumulative = 0;
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            cumulative += n;
            if cumulative >= rank {
                return Some(*b);
            }
        }
        None
    }

    /// `v` in the exposition's unit: microseconds as seconds (`1500` → `0.001500`), without
    /// floating point.
    pub fn format(&self, v: u64) -> String {
        match self.unit {
            Unit::Micros => format!("{}.{:06}", v / 1_000_000, v % 1_000_000),
            Unit::Seconds | Unit::Units => v.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_are_the_upper_bounds_of_their_buckets() {
        let h = Histogram::latency();
        assert_eq!(h.snapshot().quantile(500), None, "nothing seen yet");
        for _ in 0..98 {
            h.observe(700); // the ≤ 1 ms bucket
        }
        h.observe(30_000); // ≤ 50 ms
        h.observe(9_000_000); // beyond the last bucket
        let s = h.snapshot();
        assert_eq!(s.quantile(500), Some(1_000));
        assert_eq!(s.quantile(990), Some(50_000));
        assert_eq!(s.quantile(1000), None, "the slowest is past 5 s");
        assert_eq!(s.count, 100);
        assert_eq!(s.format(1_500), "0.001500");
        let mut twice = Snapshot::empty(LATENCY_BOUNDS_US, Unit::Micros);
        twice.add(&s);
        twice.add(&s);
        assert_eq!((twice.count, twice.buckets[1]), (200, 196));
    }
}
