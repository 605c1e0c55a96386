//! Money movements as store ops: merchant fees, ledger entries and the balance transactions
//! (Stripe's view of one ledger entry for the merchant).

use crate::ids::new_id;
use paygate_ledger::{Currency, Entry, Fee};
use paygate_store::{MerchantRow, ObjectRow, Op, Scope};
use serde_json::{Value, json};

/// A merchant's fee for a currency, from its settings (`fee_bps`, `fee_fixed.{currency}`).
pub fn merchant_fee(m: &MerchantRow, currency: &str) -> Fee {
    let bps = m.settings["fee_bps"]
        .as_u64()
        .and_then(|b| u32::try_from(b).ok())
        .unwrap_or(0);
    let fixed_minor = m.settings["fee_fixed"][currency].as_i64().unwrap_or(0);
    Fee { bps, fixed_minor }
}

/// Settlement delay D+N of a merchant.
pub fn settle_days(m: &MerchantRow) -> i64 {
    m.settings["settle_days"].as_i64().unwrap_or(2)
}

/// A balance transaction document (Stripe's view of one ledger entry for the merchant).
pub struct BalanceTxn {
    pub id: String,
    pub doc: Value,
    pub op: Op,
}

#[allow(clippy::too_many_arguments)]
pub fn balance_txn(
    scope: &Scope,
    kind: &str,
    source: &str,
    currency: Currency,
    amount: i64,
    fee: i64,
    available_on: i64,
    status: &str,
    now: i64,
) -> BalanceTxn {
    let id = new_id("txn");
    let doc = json!({
        "id": id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": now,
        "currency": currency.code(),
        "description": null,
        "exchange_rate": null,
        "fee": fee,
        "fee_details": if fee == 0 { json!([]) } else {
            json!([{"amount": fee, "application": null, "currency": currency.code(), "description": "paygate processing fees", "type": "stripe_fee"}])
        },
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": status,
        "type": kind,
    });
    let op = Op::InsertObject(ObjectRow {
        id: id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: "balance_transaction".into(),
        parent: Some(source.to_string()),
        tag: Some(status.to_string()),
        due: Some(available_on),
        created: now,
        version: 0,
        data: doc.clone(),
    });
    BalanceTxn { id, doc, op }
}

/// The ledger op for an entry.
pub fn ledger(entry: Entry, now: i64) -> Op {
    Op::Ledger(entry, now)
}
