//! The acquirer report: what the network says happened, in the format the gateway's
//! reconciliation reads (`paygate_network::report`, documented in `docs/iso8583.md`,
//! "Acquirer report"). One record per authorization, purchase, capture, refund and reversal
//! the simulator received, approved or not, in arrival order — the file a bank would send, not
//! the simulator's tables: the gateway folds captures, refunds and reversals onto their
//! original itself.
//!
//! Echoes, format errors and unsupported requests moved nothing and are left out.

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::JOURNAL_FILE;

/// What a record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A 0100: an amount held, captured later by a capture.
    Authorization,
    /// A 0200 with processing code 00: authorized and captured at once.
    Purchase,
    /// A 0220 completion of an authorization.
    Capture,
    /// A 0200 with processing code 20: money given back.
    Refund,
    /// A 0400: an authorization or purchase voided.
    Reversal,
}

/// One line of the acquirer report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    /// What happened.
    pub kind: ReportKind,
    /// DE 41 of the message (a follow-up travels under its original's terminal).
    pub terminal_id: String,
    /// DE 11 of the message.
    pub stan: String,
    /// DE 7 of the message, MMDDhhmmss (UTC).
    pub transmitted_at: String,
    /// RRN the network assigned: every authorization and purchase (declines too), and approved
    /// follow-ups.
    pub rrn: Option<String>,
    /// DE 38 of an approval.
    pub approval_code: Option<String>,
    /// DE 39 answered ("00" approved). Also recorded when the answer was never sent.
    pub response_code: String,
    /// DE 4 in minor units of `currency`; absent only on a reversal that carried none.
    pub amount: Option<i64>,
    /// DE 49, ISO 4217 numeric (3 digits); absent only on a reversal that carried none.
    pub currency: Option<String>,
    /// Follow-ups: DE 90's original STAN.
    pub original_stan: Option<String>,
    /// Follow-ups: DE 90's original DE 7.
    pub original_transmitted_at: Option<String>,
    /// Follow-ups: the RRN of the original, when the network knows the original.
    pub original_rrn: Option<String>,
    /// When the network recorded it, milliseconds since the Unix epoch.
    pub recorded_at_ms: i64,
}

const QUERY: &str = "
SELECT j.kind, j.mti, j.terminal_id, j.stan, j.transmitted_at, j.rrn, j.approval_code,
       j.response_code, j.amount_minor, j.currency, j.original_stan, j.original_transmitted_at,
       a.rrn, j.recorded_at_ms
FROM journal j LEFT JOIN authorizations a ON a.id = j.auth_id
WHERE j.kind IN ('authorization', 'capture', 'refund', 'reversal')
ORDER BY j.seq";

/// Reads the report of the simulator whose data directory is `data_dir` (it may be running).
pub fn read(data_dir: &Path) -> Result<Vec<ReportRecord>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let mut stmt = conn.prepare(QUERY)?;
    let rows = stmt.query_map([], record)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn record(r: &Row<'_>) -> rusqlite::Result<ReportRecord> {
    let kind: String = r.get(0)?;
    let mti: String = r.get(1)?;
    let kind = match kind.as_str() {
        "authorization" if mti == crate::wire::mti::AUTHORIZATION => ReportKind::Authorization,
        "authorization" => ReportKind::Purchase,
        "capture" => ReportKind::Capture,
        "refund" => ReportKind::Refund,
        _ => ReportKind::Reversal,
    };
    let follow_up = !matches!(kind, ReportKind::Authorization | ReportKind::Purchase);
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
    };
    Ok(ReportRecord {
        kind,
        terminal_id: text(2)?,
        stan: text(3)?,
        transmitted_at: text(4)?,
        rrn: r.get(5)?,
        approval_code: r.get(6)?,
        response_code: r.get(7)?,
        amount: r.get(8)?,
        currency: r.get::<_, Option<u16>>(9)?.map(|c| format!("{c:03}")),
        original_stan: r.get(10)?,
        original_transmitted_at: r.get(11)?,
        original_rrn: if follow_up { r.get(12)? } else { None },
        recorded_at_ms: r.get(13)?,
    })
}
