//! A fixed-capacity, append-only table from label sets to their cells, read and grown without
//! a lock: the hot path hashes its labels, probes a few slots and bumps an atomic.
//!
//! Written by hand because what the crates offer costs more on the request path: the
//! `prometheus-client` and `metrics` families keep their label sets in a map behind a
//! `RwLock`, which every request would take. Here a slot is a `OnceLock`, set once when its
//! label set is first seen (the only moment two threads may wait on each other, on that one
//! slot) and read lock-free forever after. Label sets are never removed: the label values are
//! bounded (route templates, status codes, decline codes), so the table only grows until it
//! has seen them all.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Slots probed for a label set before it counts as an overflow.
const MAX_PROBES: usize = 32;

/// Label set `K` → cell `V`, at most `capacity` label sets.
pub struct LabelTable<K, V> {
    slots: Box<[OnceLock<(K, V)>]>,
    /// A cell's initial value.
    new: fn() -> V,
    /// Observations dropped because their label set found no slot.
    overflow: AtomicU64,
}

impl<K: Eq, V> LabelTable<K, V> {
    /// A table of `capacity` slots whose cells start as `new()`.
    pub fn new(capacity: usize, new: fn() -> V) -> Self {
        LabelTable {
            slots: (0..capacity.max(1)).map(|_| OnceLock::new()).collect(),
            new,
            overflow: AtomicU64::new(0),
        }
    }

    /// The cell of the label set that `matches` recognises and `make` builds (only on its
    /// first sight); `hash` is [`label_hash`] of it. `None` (and counted in
    /// [`LabelTable::overflow`]) when the table is too full to take it.
    pub fn cell(
        &self,
        hash: u64,
        matches: impl Fn(&K) -> bool,
        make: impl Fn() -> K,
    ) -> Option<&V> {
        let n = self.slots.len();
        let start = usize::try_from(hash % n as u64).unwrap_or(0);
        for i in 0..MAX_PROBES.min(n) {
            let slot = &self.slots[(start + i) % n];
            let (k, v) = match slot.get() {
                Some(kv) => kv,
                None => slot.get_or_init(|| (make(), (self.new)())),
            };
            if matches(k) {
                return Some(v);
            }
        }
        self.overflow.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Every label set seen so far with its cell, in slot order.
    pub fn entries(&self) -> impl Iterator<Item = &(K, V)> {
        self.slots.iter().filter_map(OnceLock::get)
    }

    /// Observations dropped for want of a slot.
    pub fn overflow(&self) -> u64 {
        self.overflow.load(Ordering::Relaxed)
    }
}

/// The hash that places a label set in a [`LabelTable`].
pub fn label_hash(labels: impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    labels.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_get_one_cell_each_and_overflow_is_counted() {
        let t: LabelTable<String, AtomicU64> = LabelTable::new(4, AtomicU64::default);
        let bump = |k: &str| {
            let c = t.cell(label_hash(k), |s| s == k, || k.to_string());
            c.map(|c| c.fetch_add(1, Ordering::Relaxed)).is_some()
        };
        for k in ["a", "b", "a", "c", "d", "a"] {
            assert!(bump(k), "{k} has a slot");
        }
        assert!(!bump("e"), "a fifth label set does not fit in four slots");
        assert_eq!(t.overflow(), 1);
        let mut seen: Vec<(String, u64)> = t
            .entries()
            .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
            .collect();
        seen.sort();
        let want = [("a", 3), ("b", 1), ("c", 1), ("d", 1)].map(|(k, n)| (k.to_string(), n));
        assert_eq!(seen, want);
    }
}
