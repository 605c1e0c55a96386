//! The run's summary: a table for people and the same as JSON (`--json`).

use crate::invariants::{Totals, Violation};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub store: crate::cluster::StoreKind,
    pub instances: usize,
    pub duration_ms: u64,
    /// Faults injected, per kind (a fault whose target was down is not counted).
    pub faults: BTreeMap<String, u64>,
    pub faults_total: u64,
    pub requests: Requests,
    pub totals: Totals,
    /// Whether the cluster settled (nothing processing, every event delivered) before the
    /// recovery timeout.
    pub settled: bool,
    pub violations: Vec<Violation>,
    /// Where the logs and data of the run are.
    pub work_dir: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Requests {
    pub total: u64,
    pub server_errors: u64,
    pub transport_errors: u64,
    pub same_key_retries: u64,
    pub idempotency_keys: u64,
    pub after_heal: u64,
    pub after_heal_server_errors: u64,
}

/// The human table.
pub fn render(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "paygate chaos: seed {} store {:?} instances {} duration {} s",
        s.seed,
        s.store,
        s.instances,
        s.duration_ms / 1000
    );
    let _ = writeln!(o, "\n{:<22} {:>8}", "fault", "injected");
    for (k, n) in &s.faults {
        let _ = writeln!(o, "{k:<24} {n:>8}");
    }
    let _ = writeln!(o, "{:<24} {:>8}", "total", s.faults_total);
    let r = &s.requests;
    let t = &s.totals;
    let rows: [(&str, String); 13] = [
        ("requests", r.total.to_string()),
        ("  answered 5xx", r.server_errors.to_string()),
        ("  transport errors", r.transport_errors.to_string()),
        ("  same-key retries", r.same_key_retries.to_string()),
        (
            "  after the heal",
            format!("{} ({} 5xx)", r.after_heal, r.after_heal_server_errors),
        ),
        ("idempotency keys", r.idempotency_keys.to_string()),
        ("payments", t.payments.to_string()),
        ("  succeeded", t.succeeded.to_string()),
        ("  requires_capture", t.requires_capture.to_string()),
        (
            "  reruns after recovery",
            t.reruns_after_recovery.to_string(),
        ),
        ("refunds", t.refunds.to_string()),
        (
            "events (delivered)",
            format!("{} ({})", t.events, t.events_delivered),
        ),
        ("ledger entries", t.ledger_entries.to_string()),
    ];
    let _ = writeln!(o);
    for (k, val) in rows {
        let _ = writeln!(o, "{k:<24} {val:>8}");
    }
    let _ = writeln!(
        o,
        "{:<24} {:>8}",
        "settled after heal",
        if s.settled { "yes" } else { "NO" }
    );
    let _ = writeln!(o, "{:<24} {:>8}", "violations", s.violations.len());
    for v in &s.violations {
        let _ = writeln!(o, "VIOLATION {}: {}", v.invariant, v.detail);
    }
    let _ = writeln!(o, "\nlogs and data: {}", s.work_dir);
    o
}
