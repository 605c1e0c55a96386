//! Ops shared by the flows: events (transactional outbox), object writes, ledger postings with
//! their balance-transaction views.

use crate::ids::new_id;
use crate::render::public;
use paygate_ledger::{Currency, Entry, Fee};
use paygate_store::{EventRow, MerchantRow, ObjectRow, Op, Scope};
use serde_json::{Value, json};

/// Stripe API version reported on events.
pub const API_VERSION: &str = "2024-06-20";

/// An event carrying a snapshot of `object`, written in the same unit as the change it reports.
pub fn event(
    scope: &Scope,
    event_type: &str,
    object: &Value,
    idempotency_key: Option<&str>,
    now: i64,
) -> Op {
    let id = new_id("evt");
    let data = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": now,
        "data": {"object": public(object.clone())},
        "livemode": scope.livemode,
        "pending_webhooks": 0,
        "request": {"id": crate::http::current_request_id(), "idempotency_key": idempotency_key},
        "type": event_type,
    });
    Op::InsertEvent(EventRow {
        id,
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        event_type: event_type.to_string(),
        created: now,
        data,
    })
}

pub fn insert(scope: &Scope, kind: &str, parent: Option<&str>, data: &Value, now: i64) -> Op {
    Op::InsertObject(ObjectRow {
        id: data["id"].as_str().unwrap_or_default().to_string(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: kind.to_string(),
        parent: parent.map(str::to_string),
        tag: None,
        due: None,
        created: now,
        version: 0,
        data: data.clone(),
    })
}

pub fn update(id: &str, expected_version: i64, data: &Value) -> Op {
    Op::UpdateObject {
        id: id.to_string(),
        expected_version,
        data: data.clone(),
        tag: None,
        due: None,
    }
}

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

/// Start of the UTC day `days` after `now`.
pub fn day_plus(now: i64, days: i64) -> i64 {
    const DAY_S: i64 = 86_400;
    (now.div_euclid(DAY_S) + days) * DAY_S
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
