//! Reconciliation of the bank's journal (`paygate sim bank journal --json`, read like a
//! bank's daily file) against the gateway's books: every deposit the bank accepted is on its
//! virtual account (received or returned) with the same amount, every deposit the gateway
//! recorded is in the bank's journal, every transfer the bank made (to a refund account, or
//! back to a 계좌이체 payer) is a succeeded refund of the same amount, and every debit of a
//! 계좌이체 payer the bank kept (debited and not reversed) is exactly one succeeded
//! `bank_transfer` charge of the same amount on that PaymentIntent (and the other way round).
//! Each difference is named.

use crate::models::{Charge, Refund};
use crate::virtual_accounts::{KIND, VirtualAccount};
use paygate_payments::RefundStatus;
use paygate_store::{ListQuery, Scope, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One line of the bank's journal (the fields reconciliation reads).
#[derive(Clone, Debug, Deserialize)]
pub struct BankLine {
    pub event: String,
    pub account_no: String,
    pub amount: i64,
    /// Deposit id (deposits) or transfer reference = refund id (transfers).
    pub reference: String,
    pub resp: String,
}

/// One difference between the bank and the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BankProblem {
    /// `deposit_missing_at_gateway`, `deposit_missing_at_bank`, `deposit_amount_mismatch`,
    /// `transfer_missing_at_gateway`, `transfer_missing_at_bank`, `transfer_amount_mismatch`,
    /// `debit_missing_at_gateway`, `debit_missing_at_bank`, `debit_amount_mismatch`.
    pub kind: &'static str,
    /// The deposit id, refund id, or PaymentIntent id (debits).
    pub reference: String,
    pub bank_amount: Option<i64>,
    pub gateway_amount: Option<i64>,
}

/// The outcome of a bank reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BankReconcileReport {
    pub deposits_at_bank: u64,
    pub transfers_at_bank: u64,
    #[serde(default)]
    pub debits_at_bank: u64,
    pub matched: u64,
    pub problems: Vec<BankProblem>,
}

/// What the gateway's books say: deposit id → amount, refund id → amount, PaymentIntent id
/// → amount of its succeeded 계좌이체 charges.
#[derive(Default)]
struct Books {
    deposits: HashMap<String, i64>,
    transfers: HashMap<String, i64>,
    debits: HashMap<String, i64>,
}

const PAGE_LIMIT: usize = 100;

async fn walk(store: &Store, scope: &Scope, kind: &str, books: &mut Books) -> Result<(), String> {
    let mut q = ListQuery::new(kind, PAGE_LIMIT);
    loop {
        let page = store
            .list_objects(scope, &q)
            .await
            .map_err(|e| e.to_string())?;
        for row in &page.data {
            if kind == "charge" {
                let ch: Charge =
                    serde_json::from_value(row.data.clone()).map_err(|e| e.to_string())?;
                let paid = ch.status == paygate_payments::ChargeStatus::Succeeded;
                if crate::engine::refund_account::is_bank_transfer(&ch) && paid {
                    let pi = ch.payment_intent.clone().unwrap_or_default();
                    *books.debits.entry(pi).or_default() += ch.amount_captured;
                }
            } else if kind == KIND {
                let va: VirtualAccount =
                    serde_json::from_value(row.data.clone()).map_err(|e| e.to_string())?;
                books
                    .deposits
                    .extend(va.deposits.iter().map(|d| (d.id.clone(), d.amount)));
            } else {
                let re: Refund =
                    serde_json::from_value(row.data.clone()).map_err(|e| e.to_string())?;
                if re.to_bank_account() && re.status == RefundStatus::Succeeded {
                    books.transfers.insert(re.id.clone(), re.amount);
                }
            }
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// Compares the bank's journal `lines` with every merchant's books in `store`.
pub async fn reconcile_bank(
    store: &Store,
    lines: &[BankLine],
) -> Result<BankReconcileReport, String> {
    let mut books = Books::default();
    for m in store.list_merchants().await.map_err(|e| e.to_string())? {
        for livemode in [false, true] {
            let scope = Scope {
                merchant_id: m.id.clone(),
                livemode,
            };
            walk(store, &scope, KIND, &mut books).await?;
            walk(store, &scope, "refund", &mut books).await?;
            walk(store, &scope, "charge", &mut books).await?;
        }
    }
    let done = |l: &&BankLine| l.resp == "0000";
    let bank_deposits: HashMap<&str, i64> = lines
        .iter()
        .filter(done)
        .filter(|l| l.event == "deposit")
        .map(|l| (l.reference.as_str(), l.amount))
        .collect();
    let bank_transfers: HashMap<&str, i64> = lines
        .iter()
        .filter(done)
        .filter(|l| l.event == "transfer" || l.event == "payer_refund")
        .map(|l| (l.reference.as_str(), l.amount))
        .collect();
    // A payer's debit kept by the bank: debited, less what was returned by a reversal.
    let mut bank_debits: HashMap<&str, i64> = HashMap::new();
    for l in lines.iter().filter(done) {
        let sign = match l.event.as_str() {
            "debit" => 1,
            "debit_reversed" => -1,
            _ => continue,
        };
        *bank_debits.entry(l.reference.as_str()).or_default() += sign * l.amount;
    }
    bank_debits.retain(|_, a| *a != 0);
    let mut report = BankReconcileReport {
        deposits_at_bank: bank_deposits.len() as u64,
        transfers_at_bank: bank_transfers.len() as u64,
        debits_at_bank: bank_debits.len() as u64,
        ..Default::default()
    };
    let names = [
        (
            "deposit_missing_at_gateway",
            "deposit_missing_at_bank",
            "deposit_amount_mismatch",
        ),
        (
            "transfer_missing_at_gateway",
            "transfer_missing_at_bank",
            "transfer_amount_mismatch",
        ),
        (
            "debit_missing_at_gateway",
            "debit_missing_at_bank",
            "debit_amount_mismatch",
        ),
    ];
    for ((bank, ours), (missing_here, missing_there, mismatch)) in [
        (&bank_deposits, &books.deposits),
        (&bank_transfers, &books.transfers),
        (&bank_debits, &books.debits),
    ]
    .into_iter()
    .zip(names)
    {
        for (r, amount) in bank {
            let problem = |kind, gateway_amount| BankProblem {
                kind,
                reference: r.to_string(),
                bank_amount: Some(*amount),
                gateway_amount,
            };
            match ours.get(*r) {
                None => report.problems.push(problem(missing_here, None)),
                Some(a) if a != amount => report.problems.push(problem(mismatch, Some(*a))),
                Some(_) => report.matched += 1,
            }
        }
        for (r, amount) in ours.iter().filter(|(r, _)| !bank.contains_key(r.as_str())) {
            report.problems.push(BankProblem {
                kind: missing_there,
                reference: r.clone(),
                bank_amount: None,
                gateway_amount: Some(*amount),
            });
        }
    }
    report
        .problems
        .sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(report)
}
