//! The OTLP trace exporter's counts (`paygate serve --otlp-endpoint`): spans the collector
//! took, and spans dropped — the queue was full, or the collector did not take their batch.
//!
//! Process-wide ([`SPANS`]), as the exporter is: one per process, part of the process's
//! `tracing` subscriber, shared by every gateway the process runs. Every gateway's `/metrics`
//! shows the same values (all zeros when export is off). Spans a sampler left out are neither.

use super::exposition::{Exposition, Kind};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a finished span was not exported (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The exporter's queue was full (the collector slow or down): dropped at once.
    QueueFull,
    /// Its batch was posted and the collector did not take it (unreachable, non-2xx).
    ExportFailed,
}

impl DropReason {
    pub const ALL: [DropReason; 2] = [DropReason::QueueFull, DropReason::ExportFailed];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::ExportFailed => "export_failed",
        }
    }
}

/// Spans exported and dropped, by reason.
pub struct SpanCounts {
    exported: AtomicU64,
    dropped: [AtomicU64; DropReason::ALL.len()],
}

/// The process's counts.
pub static SPANS: SpanCounts = SpanCounts {
    exported: AtomicU64::new(0),
    dropped: [AtomicU64::new(0), AtomicU64::new(0)],
};

impl SpanCounts {
    /// `n` spans the collector took.
    pub fn exported(&self, n: u64) {
        self.exported.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` spans dropped for `reason`.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        self.dropped[reason as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Spans dropped so far, every reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|d| d.load(Ordering::Relaxed)).sum()
    }

    pub fn render(&self, e: &mut Exposition) {
        let n = self.exported.load(Ordering::Relaxed);
        let help = "Trace spans the OTLP collector took.";
        e.single("paygate_otlp_spans_exported_total", Kind::Counter, help, n);
        let name = "paygate_otlp_spans_dropped_total";
        let help = "Trace spans not exported: the queue was full, or the collector did not take their batch.";
        e.family(name, Kind::Counter, help);
        for r in DropReason::ALL {
            let n = self.dropped[r as usize].load(Ordering::Relaxed);
            e.sample(name, &[("reason", r.as_str())], n);
        }
    }
}
