//! Reconciliation of the gateway's carrier charges (휴대폰 소액결제) against the carrier's
//! monthly settlement file of one merchant (`paygate reconcile --carrier-settlement FILE`;
//! layout in docs/MOBILE_CARRIER.md, read by `paygate_connector_carrier::settlement`).
//!
//! The file names the merchant and the KST month; the walk takes that merchant's charges
//! processed by the carrier (`_processor` = `mobile_carrier`, both modes) whose `created` falls
//! in that KST month, and pairs each with the file's record of the same carrier payment id
//! (`payment_method_details.mobile_carrier.transaction_id`).
//!
//! | kind | what disagrees |
//! |---|---|
//! | `missing_at_carrier` | a succeeded carrier charge of the month that the file does not list |
//! | `missing_at_gateway` | a record `charged` (still on the bill) with no charge of ours: money taken from a subscriber the merchant does not know about |
//! | `amount_mismatch` | the record's amount ≠ the charge's amount |
//! | `cancel_mismatch` | the charge was refunded (its refunds sum to the amount) but the carrier still bills it, or the carrier cancelled it and the charge is not refunded |
//! | `reference_mismatch` | the record's reference is not the charge's PaymentIntent |
//!
//! A record `canceled` with no charge of ours is an authorization the gateway reversed before
//! recording it (crash recovery): nothing was billed, it is counted in
//! [`CarrierReport::reversed_unrecorded`] and is not a problem.

use super::PAGE_LIMIT;
use super::refund_totals::RefundTotals;
use crate::models::Charge;
use paygate_connector_carrier::settlement::{Detail, SettlementFile};
use paygate_ledger::Counterparty;
use paygate_payments::ChargeStatus;
use paygate_payments::clock::kst_date;
use paygate_store::{ListQuery, Scope, Store};
use serde::Serialize;
use std::collections::HashMap;

/// The problem kinds (see the table of this module).
pub mod kind {
    pub const MISSING_AT_CARRIER: &str = "missing_at_carrier";
    pub const MISSING_AT_GATEWAY: &str = "missing_at_gateway";
    pub const AMOUNT_MISMATCH: &str = "amount_mismatch";
    pub const CANCEL_MISMATCH: &str = "cancel_mismatch";
    pub const REFERENCE_MISMATCH: &str = "reference_mismatch";
}

/// The outcome of one carrier reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarrierReport {
    pub merchant: String,
    /// The KST billing month, `YYYY-MM`.
    pub month: String,
    /// Carrier charges of the merchant created in the month (every status).
    pub charges_checked: u64,
    /// Detail records of the file.
    pub settlement_records: u64,
    /// Charges paired with their record (a pair may still have problems).
    pub matched: u64,
    /// Records `canceled` with no charge: reversals of unrecorded authorizations.
    pub reversed_unrecorded: u64,
    /// Every disagreement found; empty when the books agree.
    pub problems: Vec<CarrierProblem>,
}

/// One disagreement, naming the charge and the carrier payment concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarrierProblem {
    /// One of the [`kind`] constants.
    pub kind: &'static str,
    /// `gateway` or `carrier` when one side has no record of the item.
    pub missing_on: Option<&'static str>,
    pub charge: Option<String>,
    /// The carrier's payment id.
    pub carrier_payment: Option<String>,
    /// KRW (no minor unit): the charge's amount when the gateway has the item, else the file's.
    pub amount: i64,
    pub detail: String,
}

/// Compares the carrier charges of the file's merchant and month with the file.
pub async fn reconcile_carrier(
    store: &Store,
    file: &SettlementFile,
) -> Result<CarrierReport, String> {
    let mut report = CarrierReport {
        merchant: file.merchant.clone(),
        month: file.month.clone(),
        settlement_records: file.details.len() as u64,
        ..CarrierReport::default()
    };
    let mut records: HashMap<&str, &Detail> =
        file.details.iter().map(|d| (d.id.as_str(), d)).collect();
    for livemode in [false, true] {
        let scope = Scope {
            merchant_id: file.merchant.clone(),
            livemode,
        };
        let refunds = RefundTotals::load(store, &scope).await?;
        for ch in carrier_charges(store, &scope, &file.month).await? {
            report.charges_checked += 1;
            if ch.status != ChargeStatus::Succeeded {
                continue;
            }
            let id = transaction_id(&ch);
            match id.as_deref().and_then(|id| records.remove(id)) {
                Some(d) => {
                    report.matched += 1;
                    compare(&ch, d, refunds.of(&ch.id), &mut report);
                }
                None => report.push(
                    kind::MISSING_AT_CARRIER,
                    Some(&ch),
                    id,
                    ch.amount,
                    format!(
                        "the carrier's {} file has no record of this charge's payment",
                        file.month
                    ),
                ),
            }
        }
    }
    let mut left: Vec<&Detail> = records.into_values().collect();
    left.sort_by(|a, b| a.id.cmp(&b.id));
    for d in left {
        if d.canceled {
            report.reversed_unrecorded += 1;
            continue;
        }
        let detail = format!(
            "the carrier billed {} KRW for {} and the gateway has no charge for it",
            d.amount, d.reference
        );
        report.push(
            kind::MISSING_AT_GATEWAY,
            None,
            Some(d.id.clone()),
            d.amount,
            detail,
        );
    }
    Ok(report)
}

/// A paired charge against its record: amount, reference, cancellation.
fn compare(ch: &Charge, d: &Detail, refunded: i64, report: &mut CarrierReport) {
    let id = Some(d.id.clone());
    if d.amount != ch.amount {
        let detail = format!(
            "the carrier billed {} KRW, the charge is {} KRW",
            d.amount, ch.amount
        );
        report.push(
            kind::AMOUNT_MISMATCH,
            Some(ch),
            id.clone(),
            ch.amount,
            detail,
        );
    }
    if ch.payment_intent.as_deref() != Some(d.reference.as_str()) {
        let detail = format!(
            "the carrier's reference is {}, the charge's PaymentIntent {}",
            d.reference,
            ch.payment_intent.as_deref().unwrap_or("-")
        );
        report.push(
            kind::REFERENCE_MISMATCH,
            Some(ch),
            id.clone(),
            ch.amount,
            detail,
        );
    }
    let refunded_in_full = refunded >= ch.amount;
    if refunded_in_full != d.canceled {
        let detail = if d.canceled {
            format!(
                "the carrier cancelled the payment but the charge is not refunded ({refunded} KRW refunded)"
            )
        } else {
            format!(
                "the charge is refunded ({refunded} KRW) but the carrier still bills {} KRW",
                d.amount
            )
        };
        report.push(kind::CANCEL_MISMATCH, Some(ch), id, ch.amount, detail);
    }
}

impl CarrierReport {
    fn push(
        &mut self,
        kind: &'static str,
        ch: Option<&Charge>,
        carrier_payment: Option<String>,
        amount: i64,
        detail: String,
    ) {
        let missing_on = match kind {
            kind::MISSING_AT_CARRIER => Some("carrier"),
            kind::MISSING_AT_GATEWAY => Some("gateway"),
            _ => None,
        };
        self.problems.push(CarrierProblem {
            kind,
            missing_on,
            charge: ch.map(|c| c.id.clone()),
            carrier_payment,
            amount,
            detail,
        });
    }
}

/// The carrier's payment id of a charge.
fn transaction_id(ch: &Charge) -> Option<String> {
    ch.payment_method_details["mobile_carrier"]["transaction_id"]
        .as_str()
        .map(str::to_owned)
}

/// `YYYY-MM` of the KST date of `ts`.
fn kst_month(ts: i64) -> String {
    let d = kst_date(ts);
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// The scope's charges processed by the carrier, created in the KST `month`.
async fn carrier_charges(store: &Store, scope: &Scope, month: &str) -> Result<Vec<Charge>, String> {
    let mut out = Vec::new();
    let mut q = ListQuery::new("charge", PAGE_LIMIT);
    loop {
        let page = store
            .list_objects(scope, &q)
            .await
            .map_err(|e| format!("listing charges of {}: {e}", scope.merchant_id))?;
        for row in &page.data {
            let ch: Charge = serde_json::from_value(row.data.clone()).map_err(|e| {
                format!("charge {}: the stored document does not parse: {e}", row.id)
            })?;
            if ch.processor == Counterparty::Carrier && kst_month(ch.created) == month {
                out.push(ch);
            }
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(out),
        }
    }
}
