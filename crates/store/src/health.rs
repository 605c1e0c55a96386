//! Whether the store can write, as the commits themselves see it, and the write faults a test
//! can inject ([`WriteFaults`]).
//!
//! Every unit commit reports here: a storage failure (disk full, I/O error, read-only file,
//! PostgreSQL gone — [`StoreError::is_unavailable`]) marks the store *unwritable* with its
//! reason until a later commit (a request's, or [`crate::Store::probe_write`]) succeeds.
//! The failure is logged once per [`UNWRITABLE_LOG_EVERY`] with the number of failures in
//! between, never once per commit.

use crate::error::{CommitError, StoreError};
use crate::log_limit::LogLimiter;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a store that keeps failing to write logs it.
pub const UNWRITABLE_LOG_EVERY: Duration = Duration::from_secs(10);
/// Longest injectable delay before a commit.
pub const FAULT_COMMIT_DELAY_MAX_MS: u64 = 60_000;

static UNWRITABLE_LOG: LogLimiter = LogLimiter::new(UNWRITABLE_LOG_EVERY);
/// The backends' "group commit failed" line, limited like the unwritable one.
pub(crate) static GROUP_COMMIT_LOG: LogLimiter = LogLimiter::new(UNWRITABLE_LOG_EVERY);

/// Whether the store can write right now, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteHealth {
    /// The last commit that reached storage succeeded (or none failed yet).
    Writable,
    /// Commits fail since `since` (`failures` of them); `reason` is the last storage error.
    Unwritable {
        reason: String,
        since: Instant,
        failures: u64,
    },
}

/// The write side's health, shared by every clone of a store.
#[derive(Default)]
pub(crate) struct Writes {
    health: Mutex<Option<(String, Instant, u64)>>,
    pub(crate) faults: WriteFaults,
}

impl Writes {
    pub(crate) fn health(&self) -> WriteHealth {
        match &*self.health.lock().unwrap_or_else(|p| p.into_inner()) {
            None => WriteHealth::Writable,
            Some((reason, since, failures)) => WriteHealth::Unwritable {
                reason: reason.clone(),
                since: *since,
                failures: *failures,
            },
        }
    }

    /// Records what a commit's result says about the storage.
    pub(crate) fn observe<T>(&self, result: &Result<T, CommitError>) {
        match result {
            Ok(_) => self.wrote(),
            Err(CommitError::Store(e)) if e.is_unavailable() => self.failed(e),
            // A conflict or an invalid unit says nothing about the storage.
            Err(_) => {}
        }
    }

    fn wrote(&self) {
        let was = self.health.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((reason, since, failures)) = was {
            tracing::warn!(
                failures,
                unwritable_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
                last_error = %reason,
                "store writes again"
            );
        }
    }

    fn failed(&self, e: &StoreError) {
        let reason = e.to_string();
        {
            let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *h {
                Some((r, _, failures)) => {
                    *r = reason.clone();
                    *failures += 1;
                }
                None => *h = Some((reason.clone(), Instant::now(), 1)),
            }
        }
        if let Some(repeated) = UNWRITABLE_LOG.check(&reason) {
            tracing::error!(error = %reason, repeated, "store cannot write");
        }
    }
}

/// Write faults for tests (the gateway allows them in test mode only): a delay before every
/// unit commit and a number of unit commits still to fail with an injected storage error.
#[derive(Default)]
pub struct WriteFaults {
    fail_next: AtomicU64,
    delay_ms: AtomicU64,
}

/// The write faults in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteFaultSettings {
    /// Unit commits still to fail with an injected storage error.
    pub fail_next_commits: u64,
    /// Delay before every unit commit, milliseconds (at most [`FAULT_COMMIT_DELAY_MAX_MS`]).
    pub commit_delay_ms: u64,
}

impl WriteFaults {
    /// Replaces the settings.
    pub fn set(&self, s: WriteFaultSettings) {
        self.fail_next.store(s.fail_next_commits, Ordering::SeqCst);
        self.delay_ms.store(
            s.commit_delay_ms.min(FAULT_COMMIT_DELAY_MAX_MS),
            Ordering::SeqCst,
        );
    }

    /// The settings in force.
    pub fn get(&self) -> WriteFaultSettings {
        WriteFaultSettings {
            fail_next_commits: self.fail_next.load(Ordering::SeqCst),
            commit_delay_ms: self.delay_ms.load(Ordering::SeqCst),
        }
    }

    /// Runs before a unit commit: waits the delay, then takes one injected failure if any
    /// is left.
    pub(crate) async fn before_commit(&self) -> Result<(), StoreError> {
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let took = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match took {
            Ok(_) => Err(StoreError::Io(std::sync::Arc::new(std::io::Error::other(
                "injected write fault (fail_next_commits)",
            )))),
            Err(_) => Ok(()),
        }
    }
}
