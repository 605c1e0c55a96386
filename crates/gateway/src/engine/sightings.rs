//! When this process first saw each recovery record, on its own monotonic clock.
//!
//! The background sweep finishes another process's attempt only once this process has
//! watched it stay unfinished for `attempt_stale_s`. It used to compare the record's `created`
//! (the writer's wall clock) with its own wall clock, so an instance whose clock ran minutes
//! ahead took its peers' attempts in flight for abandoned ones and reversed authorizations
//! their owners were about to store as succeeded (found by `paygate chaos --faults
//! clock_skew` on two instances). A duration measured by one process on one monotonic clock
//! does not depend on any host's wall clock.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// First sightings by attempt id (bounded by the attempts table: ids no longer there are
/// forgotten at each sweep).
#[derive(Debug, Default)]
pub struct Sightings {
    first_seen: Mutex<HashMap<String, Instant>>,
}

impl Sightings {
    /// Keeps the sightings of `present` ids only, records the new ones at `now`, and returns
    /// the ids seen for at least `age`.
    pub fn seen_for<'a>(
        &self,
        present: impl IntoIterator<Item = &'a str>,
        age: Duration,
        now: Instant,
    ) -> HashSet<String> {
        let present: HashSet<&str> = present.into_iter().collect();
        let mut m = self.first_seen.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|id, _| present.contains(id.as_str()));
        present
            .into_iter()
            .filter(|id| {
                let first = *m.entry((*id).to_string()).or_insert(now);
                now.duration_since(first) >= age
            })
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_is_stale_only_after_this_process_watched_it_for_the_age() {
        let s = Sightings::default();
        let t0 = Instant::now();
        let age = Duration::from_secs(120);
        assert!(s.seen_for(["a"], age, t0).is_empty());
        assert!(
            s.seen_for(["a", "b"], age, t0 + Duration::from_secs(119))
                .is_empty()
        );
        let stale = s.seen_for(["a", "b"], age, t0 + Duration::from_secs(120));
        assert_eq!(stale, HashSet::from(["a".to_string()]));
        // `a` was finished (gone from the table) and comes back: watched afresh.
        assert!(
            s.seen_for(["b"], age, t0 + Duration::from_secs(130))
                .is_empty()
        );
        let later = s.seen_for(["a", "b"], age, t0 + Duration::from_secs(240));
        assert_eq!(later, HashSet::from(["b".to_string()]));
    }
}
