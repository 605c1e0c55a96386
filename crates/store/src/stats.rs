//! Group-commit and read counters, cheap enough to update on every batch and read.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of [`crate::Store::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Write transactions that committed units (one fsync each).
    pub batches: u64,
    /// Units in those transactions (committed or rolled back to their savepoint).
    pub units: u64,
    /// Units in the largest batch so far.
    pub largest_batch_units: u64,
    /// Batches that needed the careful pass (a unit failed after it had written, so the
    /// batch ran again with a savepoint per unit).
    pub careful_batches: u64,
    /// Batches that failed as a whole.
    pub failed_batches: u64,
    /// Read transactions (each read method of [`crate::Store`] runs one): what a caller's
    /// query count is measured by, e.g. that a walk's reads do not grow per object.
    pub reads: u64,
    /// Committed batches by size: `batch_units_buckets[i]` counts the batches of at most
    /// [`BATCH_UNITS_BOUNDS`]`[i]` units and more than the bound before it (not cumulative);
    /// larger batches only count in `batches`.
    pub batch_units_buckets: [u64; BATCH_UNITS_BOUNDS.len()],
}

/// Upper bounds (units) of the group-commit size histogram's buckets.
pub const BATCH_UNITS_BOUNDS: [u64; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

impl StoreStats {
    /// Mean units per batch (0 before the first batch).
    pub fn mean_batch_units(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.units as f64 / self.batches as f64
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct WriteStats {
    batches: AtomicU64,
    units: AtomicU64,
    largest_batch_units: AtomicU64,
    careful_batches: AtomicU64,
    failed_batches: AtomicU64,
    batch_units_buckets: [AtomicU64; BATCH_UNITS_BOUNDS.len()],
}

impl WriteStats {
    /// One batch of `units`: committed (`Some(careful)`) or failed as a whole (`None`).
    pub(crate) fn record(&self, units: usize, committed: Option<bool>) {
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        if let Some(careful) = committed {
            self.careful_batches
                .fetch_add(u64::from(careful), Ordering::Relaxed);
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.units.fetch_add(units, Ordering::Relaxed);
            self.largest_batch_units.fetch_max(units, Ordering::Relaxed);
            if let Some(i) = BATCH_UNITS_BOUNDS.iter().position(|b| units <= *b) {
                self.batch_units_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        } else {
            self.failed_batches.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> StoreStats {
        StoreStats {
            batches: self.batches.load(Ordering::Relaxed),
            units: self.units.load(Ordering::Relaxed),
            largest_batch_units: self.largest_batch_units.load(Ordering::Relaxed),
            careful_batches: self.careful_batches.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            reads: 0,
            batch_units_buckets: std::array::from_fn(|i| {
                self.batch_units_buckets[i].load(Ordering::Relaxed)
            }),
        }
    }
}
