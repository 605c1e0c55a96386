//! A log-linear latency histogram in microseconds with at most 1/128 (< 0.8 %) relative error.
//!
//! Written here rather than pulling in `hdrhistogram`: the bench needs one fixed layout (record,
//! percentile), which is ~80 lines with integer-only bucketing, a fixed 26 KiB array and
//! no allocation while recording — the load generator shares its cores with the server.
//!
//! Layout (HDR-style): values below 256 µs get one bucket each (exact). Above, every power of two
//! `[2^k, 2^(k+1))` is cut into 128 equal buckets, so a bucket is never wider than 1/128 of its
//! lower bound. Values above [`MAX_VALUE_US`] (about 71 minutes) are clamped to it.

/// Linear sub-buckets per power of two: 2^7 = 128 gives ≤ 1/128 relative error.
const SUB_BITS: u32 = 7;
const SUB_COUNT: u64 = 1 << SUB_BITS;
/// Below this every value has its own bucket.
const EXACT_LIMIT: u64 = 2 * SUB_COUNT;
/// The largest value recorded as itself; larger ones are clamped (u32 µs ≈ 71.6 min).
pub const MAX_VALUE_US: u64 = u32::MAX as u64;
/// 256 exact buckets, then 128 per power of two for exponents 8..=31.
const BUCKET_COUNT: usize = EXACT_LIMIT as usize + (32 - 8) * SUB_COUNT as usize;

/// Counts of latencies in microseconds, with exact count, sum and maximum.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKET_COUNT]>,
    count: u64,
    sum_us: u128,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: Box::new([0; BUCKET_COUNT]),
            count: 0,
            sum_us: 0,
            max_us: 0,
        }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("max_us", &self.max_us)
            .finish()
    }
}

fn bucket_index(value_us: u64) -> usize {
    let v = value_us.min(MAX_VALUE_US);
    if v < EXACT_LIMIT {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros(); // 8..=31 here
    let shift = msb - SUB_BITS;
    let top = v >> shift; // in [128, 256)
    (EXACT_LIMIT + u64::from(msb - 8) * SUB_COUNT + (top - SUB_COUNT)) as usize
}

/// The largest value that falls into bucket `index` (reported, so percentiles never understate).
fn bucket_high_us(index: usize) -> u64 {
    let i = index as u64;
    if i < EXACT_LIMIT {
        return i;
    }
    let group = (i - EXACT_LIMIT) / SUB_COUNT;
    let offset = (i - EXACT_LIMIT) % SUB_COUNT;
    let shift = group + 8 - u64::from(SUB_BITS);
    ((SUB_COUNT + offset + 1) << shift) - 1
}

impl Histogram {
    /// Records one value in microseconds (clamped to [`MAX_VALUE_US`]).
    pub fn record_us(&mut self, value_us: u64) {
        let v = value_us.min(MAX_VALUE_US);
        self.counts[bucket_index(v)] += 1;
        self.count += 1;
        self.sum_us += u128::from(v);
        self.max_us = self.max_us.max(v);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact maximum recorded (0 when empty).
    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The exact mean (0 when empty).
    pub fn mean_us(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_us as f64 / self.count as f64
        }
    }

    /// The value at `percent` (0–100): the smallest bucket holding at least `percent` % of the
    /// values, reported as that bucket's upper bound but never above the exact maximum.
    /// Returns 0 when empty.
    pub fn percentile_us(&self, percent: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let wanted = (percent.clamp(0.0, 100.0) / 100.0 * self.count as f64).ceil() as u64;
        let rank = wanted.clamp(1, self.count);
        let mut seen = 0;
        for (index, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_high_us(index).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bucket_bound_maps_back_to_its_own_bucket() {
        for index in 0..BUCKET_COUNT {
            let high = bucket_high_us(index);
            assert_eq!(bucket_index(high), index, "high {high}");
            if index + 1 < BUCKET_COUNT {
                assert_eq!(bucket_index(high + 1), index + 1, "next after {high}");
            }
        }
        assert_eq!(bucket_high_us(BUCKET_COUNT - 1), MAX_VALUE_US);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for v in [0, 1, 7, 255] {
            h.record_us(v);
        }
        assert_eq!(h.percentile_us(25.0), 0);
        assert_eq!(h.percentile_us(50.0), 1);
        assert_eq!(h.percentile_us(75.0), 7);
        assert_eq!(h.percentile_us(100.0), 255);
        assert_eq!(h.max_us(), 255);
    }

    #[test]
    fn percentiles_of_a_uniform_range_are_within_one_percent() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record_us(v * 10); // 10 µs .. 1 s
        }
        for (p, exact) in [
            (50.0, 500_000.0),
            (95.0, 950_000.0),
            (99.0, 990_000.0),
            (99.9, 999_000.0),
        ] {
            let got = h.percentile_us(p) as f64;
            let error = (got - exact).abs() / exact;
            assert!(
                error <= 0.01,
                "p{p}: got {got}, exact {exact}, error {error}"
            );
            assert!(got >= exact, "p{p} must not understate: {got} < {exact}");
        }
        assert_eq!(h.percentile_us(100.0), 1_000_000);
        assert_eq!(h.max_us(), 1_000_000);
        assert_eq!(h.count(), 100_000);
        assert!((h.mean_us() - 500_005.0).abs() < 1e-6);
    }

    #[test]
    fn a_skewed_distribution_reports_its_tail() {
        let mut h = Histogram::default();
        for _ in 0..990 {
            h.record_us(1_000);
        }
        for _ in 0..10 {
            h.record_us(200_000);
        }
        assert!(h.percentile_us(50.0).abs_diff(1_000) <= 10);
        assert!(h.percentile_us(99.0).abs_diff(1_000) <= 10);
        assert!(h.percentile_us(99.5).abs_diff(200_000) <= 2_000);
    }

    #[test]
    fn empty_histogram_reports_zero_and_huge_values_are_clamped() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile_us(99.0), 0);
        assert_eq!(h.mean_us(), 0.0);
        h.record_us(u64::MAX);
        assert_eq!(h.max_us(), MAX_VALUE_US);
        assert_eq!(h.percentile_us(50.0), MAX_VALUE_US);
    }
}
