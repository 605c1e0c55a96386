//! The acquirer's report: what the card network says happened, as a documented record format
//! (`docs/iso8583.md`, "Acquirer report") read through the [`CounterpartyReport`] trait. The
//! gateway's reconciliation reads a report the way it would read a bank's file — never a
//! simulator's tables: `paygate sim network report --json` writes this format, and so would
//! any other acquirer host adapted to paygate.
//!
//! [`authorizations`] folds the captures, refunds and reversals of a report onto their
//! original authorization or purchase, giving each one's current state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// DE 39 of an approval.
const APPROVED: &str = "00";

/// What a record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A 0100: an amount held, captured later by a capture.
    Authorization,
    /// A 0200 with processing code 00: authorized and captured at once.
    Purchase,
    /// A 0220 completion of an authorization.
    Capture,
    /// A 0200 with processing code 20: money given back to the card.
    Refund,
    /// A 0400: an authorization or purchase voided.
    Reversal,
}

impl ReportKind {
    /// The request MTI of the kind.
    pub fn mti(self) -> &'static str {
        match self {
            ReportKind::Authorization => "0100",
            ReportKind::Purchase | ReportKind::Refund => "0200",
            ReportKind::Capture => "0220",
            ReportKind::Reversal => "0400",
        }
    }
}

/// One line of the acquirer report. Amounts are integer minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRecord {
    /// What happened.
    pub kind: ReportKind,
    /// DE 41 of the message (a follow-up travels under its original's terminal).
    pub terminal_id: String,
    /// DE 11 of the message.
    pub stan: String,
    /// DE 7 of the message, MMDDhhmmss (UTC).
    pub transmitted_at: String,
    /// RRN the network assigned: every authorization and purchase (declines too) and
    /// approved follow-ups.
    pub rrn: Option<String>,
    /// DE 38 of an approval.
    pub approval_code: Option<String>,
    /// DE 39 ("00" approved).
    pub response_code: String,
    /// DE 4, minor units; absent only on a reversal that carried none.
    pub amount: Option<i64>,
    /// DE 49, ISO 4217 numeric, 3 digits; absent only on a reversal that carried none.
    pub currency: Option<String>,
    /// Follow-ups: the original's STAN (DE 90).
    pub original_stan: Option<String>,
    /// Follow-ups: the original's DE 7 (DE 90).
    pub original_transmitted_at: Option<String>,
    /// Follow-ups: the original's RRN, when the network knows the original.
    pub original_rrn: Option<String>,
    /// When the network recorded it, milliseconds since the Unix epoch.
    pub recorded_at_ms: i64,
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The source could not be read.
    #[error("{source_name}: {message}")]
    Unreadable {
        /// Where the report comes from.
        source_name: String,
        /// What failed.
        message: String,
    },
    /// A record breaks the format.
    #[error("{source_name}: not an acquirer report: {message}")]
    Format {
        /// Where the report comes from.
        source_name: String,
        /// What breaks the format (with the record's position).
        message: String,
    },
}

/// A counterparty's report of what it did, as reconciliation reads it.
pub trait CounterpartyReport {
    /// Where the report comes from (a path, a simulator's data directory), for messages.
    fn source_name(&self) -> String;
    /// Every record, in the counterparty's order.
    fn records(&self) -> Result<Vec<ReportRecord>, ReportError>;
}

/// A report in its JSON form: an array of [`ReportRecord`] objects.
#[derive(Clone, Debug)]
pub struct JsonReport {
    source_name: String,
    json: JsonSource,
}

#[derive(Clone, Debug)]
enum JsonSource {
    File(PathBuf),
    Value(serde_json::Value),
}

impl JsonReport {
    /// The report in a JSON file (e.g. `paygate sim network report --json > FILE`).
    pub fn file(path: &Path) -> JsonReport {
        JsonReport {
            source_name: path.display().to_string(),
            json: JsonSource::File(path.to_path_buf()),
        }
    }

    /// A report already in memory as JSON (e.g. a simulator's report serialized).
    pub fn value(source_name: impl Into<String>, value: serde_json::Value) -> JsonReport {
        JsonReport {
            source_name: source_name.into(),
            json: JsonSource::Value(value),
        }
    }
}

impl CounterpartyReport for JsonReport {
    fn source_name(&self) -> String {
        self.source_name.clone()
    }

    fn records(&self) -> Result<Vec<ReportRecord>, ReportError> {
        let format = |message: String| ReportError::Format {
            source_name: self.source_name.clone(),
            message,
        };
        let value = match &self.json {
            JsonSource::Value(v) => v.clone(),
            JsonSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ReportError::Unreadable {
                    source_name: self.source_name.clone(),
                    message: e.to_string(),
                })?;
                serde_json::from_str(&text).map_err(|e| format(e.to_string()))?
            }
        };
        let serde_json::Value::Array(items) = value else {
            return Err(format("must be a JSON array of records".to_owned()));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item).map_err(|e| format(format!("record {i}: {e}")))
            })
            .collect()
    }
}

/// An authorization or purchase as the report shows it now: its own record with the effect
/// of its approved captures, refunds and reversals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationState {
    /// Authorization (0100) or purchase (0200).
    pub kind: ReportKind,
    /// DE 41.
    pub terminal_id: String,
    /// DE 11.
    pub stan: String,
    /// DE 7.
    pub transmitted_at: String,
    /// The RRN the network answered with.
    pub rrn: String,
    /// Authorized amount, minor units.
    pub amount: i64,
    /// ISO 4217 numeric.
    pub currency: String,
    /// DE 39 of the authorization.
    pub response_code: String,
    /// Whether an approved reversal voided it.
    pub reversed: bool,
    /// Captured, minor units: a purchase on approval, an authorization by its capture; 0
    /// after a reversal.
    pub captured_amount: i64,
    /// Sum of approved refunds, minor units.
    pub refunded_amount: i64,
}

impl AuthorizationState {
    /// Whether the network approved it.
    pub fn approved(&self) -> bool {
        self.response_code == APPROVED
    }
}

/// The current state of every authorization and purchase in `records`, in report order.
/// A follow-up is applied to the authorization with its terminal id, original STAN, original
/// DE 7 and original RRN; one whose original the network did not know changes nothing.
pub fn authorizations(records: &[ReportRecord]) -> Vec<AuthorizationState> {
    let mut out: Vec<AuthorizationState> = Vec::new();
    let mut by_key: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for r in records {
        if let ReportKind::Authorization | ReportKind::Purchase = r.kind {
            let approved = r.response_code == APPROVED;
            let amount = r.amount.unwrap_or(0);
            by_key.insert((&r.terminal_id, &r.stan, &r.transmitted_at), out.len());
            out.push(AuthorizationState {
                kind: r.kind,
                terminal_id: r.terminal_id.clone(),
                stan: r.stan.clone(),
                transmitted_at: r.transmitted_at.clone(),
                rrn: r.rrn.clone().unwrap_or_default(),
                amount,
                currency: r.currency.clone().unwrap_or_default(),
                response_code: r.response_code.clone(),
                reversed: false,
                captured_amount: if approved && r.kind == ReportKind::Purchase {
                    amount
                } else {
                    0
                },
                refunded_amount: 0,
            });
            continue;
        }
        if r.response_code != APPROVED {
            continue;
        }
        let (Some(stan), Some(at), Some(orig_rrn)) = (
            r.original_stan.as_deref(),
            r.original_transmitted_at.as_deref(),
            r.original_rrn.as_deref(),
        ) else {
            continue;
        };
        let Some(&i) = by_key.get(&(r.terminal_id.as_str(), stan, at)) else {
            continue;
        };
        let a = &mut out[i];
        if a.rrn != orig_rrn {
            continue;
        }
        match r.kind {
            ReportKind::Capture => a.captured_amount = r.amount.unwrap_or(0),
            ReportKind::Refund => a.refunded_amount += r.amount.unwrap_or(0),
            ReportKind::Reversal => {
                a.reversed = true;
                a.captured_amount = 0;
            }
            ReportKind::Authorization | ReportKind::Purchase => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: ReportKind, stan: &str, rrn: &str, amount: i64) -> ReportRecord {
        ReportRecord {
            kind,
            terminal_id: "PGTEST01".into(),
            stan: stan.into(),
            transmitted_at: "0131235959".into(),
            rrn: Some(rrn.into()),
            approval_code: Some("000001".into()),
            response_code: "00".into(),
            amount: Some(amount),
            currency: Some("410".into()),
            original_stan: None,
            original_transmitted_at: None,
            original_rrn: None,
            recorded_at_ms: 1,
        }
    }

    fn follow(kind: ReportKind, stan: &str, of: &ReportRecord, amount: i64) -> ReportRecord {
        ReportRecord {
            original_stan: Some(of.stan.clone()),
            original_transmitted_at: Some(of.transmitted_at.clone()),
            original_rrn: of.rrn.clone(),
            ..rec(kind, stan, &format!("9{stan}"), amount)
        }
    }

    #[test]
    fn follow_ups_fold_onto_their_original() {
        let auth = rec(ReportKind::Authorization, "000001", "000000000001", 20_000);
        let purchase = rec(ReportKind::Purchase, "000002", "000000000002", 7_000);
        let mut declined_capture = follow(ReportKind::Capture, "000005", &auth, 1);
        declined_capture.response_code = "12".into();
        let records = vec![
            auth.clone(),
            purchase.clone(),
            follow(ReportKind::Capture, "000003", &auth, 15_000),
            follow(ReportKind::Refund, "000004", &auth, 3_000),
            declined_capture,
            follow(ReportKind::Refund, "000006", &auth, 2_000),
            follow(ReportKind::Reversal, "000007", &purchase, 7_000),
        ];
        let states = authorizations(&records);
        assert_eq!(states.len(), 2);
        let (a, p) = (&states[0], &states[1]);
        assert_eq!(
            (a.captured_amount, a.refunded_amount, a.reversed),
            (15_000, 5_000, false)
        );
        assert_eq!(
            (p.captured_amount, p.refunded_amount, p.reversed),
            (0, 0, true)
        );
    }

    #[test]
    fn a_follow_up_naming_another_rrn_or_an_unknown_original_changes_nothing() {
        let auth = rec(ReportKind::Authorization, "000001", "000000000001", 500);
        let mut wrong = follow(ReportKind::Capture, "000002", &auth, 500);
        wrong.original_rrn = Some("000000000099".into());
        let mut unknown = follow(ReportKind::Reversal, "000003", &auth, 500);
        unknown.original_rrn = None;
        let states = authorizations(&[auth, wrong, unknown]);
        assert_eq!((states[0].captured_amount, states[0].reversed), (0, false));
    }

    #[test]
    fn a_json_report_names_the_record_that_breaks_the_format() {
        let good = serde_json::to_value(rec(ReportKind::Purchase, "000001", "1", 1)).unwrap();
        let bad = serde_json::json!([good, {"kind": "purchase"}]);
        let e = JsonReport::value("test", bad).records().unwrap_err();
        assert!(e.to_string().contains("record 1"), "{e}");
        let not_array = JsonReport::value("test", serde_json::json!({})).records();
        assert!(not_array.is_err());
    }
}
