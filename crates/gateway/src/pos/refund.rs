//! A terminal's refund (0200, processing code 20): DE 90 names the purchase (its STAN and
//! DE 7), DE 4 the amount to give back. The purchase's charge is found through the purchase's
//! idempotency key (so a terminal can only refund its own purchases) and refunded through the
//! engine's `Refund` under the refund request's own key: a retransmission refunds once.

use super::purchase::{PosRespond, request_key};
use super::terminal_request::{FormatError, money};
use super::terminals::Terminal;
use crate::engine::{self, RequestContext};
use crate::ids::new_id;
use crate::models::{Charge, from_value};
use crate::state::SharedState;
use paygate_iso8583::Message;
use paygate_store::{MerchantRow, Scope};
use serde_json::Value;

/// DE 39 when DE 90 names no approved purchase of this terminal.
pub const NO_ORIGINAL: &str = "12";
/// DE 39 when the amount is more than what is left to refund.
pub const INVALID_AMOUNT: &str = "13";

/// DE 39 and the original's RRN for the 0210 of a refund; `None` while it still runs.
pub async fn refund(
    st: &SharedState,
    terminal: &Terminal,
    merchant: MerchantRow,
    msg: &Message,
    key: String,
) -> Result<Option<(String, Option<String>)>, FormatError> {
    let scope = Scope {
        merchant_id: merchant.id.clone(),
        livemode: false,
    };
    let (amount, _) = money(msg)?;
    let orig = msg
        .get_str(90)
        .filter(|d| d.len() == 42)
        .ok_or(FormatError("DE 90"))?;
    let purchase_key = request_key(terminal, &orig[4..10], &orig[10..20]);
    let purchase = st
        .store
        .idempotency_get(&scope, &purchase_key)
        .await
        .ok()
        .flatten();
    let body: Value = purchase
        .and_then(|row| row.body)
        .and_then(|b| serde_json::from_str(&b).ok())
        .unwrap_or(Value::Null);
    let Some(charge_id) = body["charge"]["id"].as_str() else {
        return Ok(Some((NO_ORIGINAL.into(), None)));
    };
    let rrn = body["charge"]["payment_method_details"]["card_present"]["network_transaction_id"]
        .as_str()
        .map(str::to_owned);
    if let Ok(Some(done)) = st.store.idempotency_get(&scope, &key).await {
        return Ok(done.body.map(|b| (code_of(&b), rrn)));
    }
    let Ok(Some(row)) = st.store.get_object(&scope, charge_id).await else {
        return Ok(Some((NO_ORIGINAL.into(), None)));
    };
    let Ok(ch) = from_value::<Charge>(row.data) else {
        return Ok(Some((NO_ORIGINAL.into(), None)));
    };
    let hash = format!("refund:{amount}:{charge_id}");
    let rc = RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant,
        false,
        Some((key, hash)),
    );
    let cmd = engine::Refund {
        charge: ch,
        charge_version: row.version,
        amount: Some(amount),
        reason: Some("requested_by_customer".into()),
        metadata: serde_json::Map::from_iter([(
            "terminal_id".to_owned(),
            Value::String(terminal.terminal_id.clone()),
        )]),
        refund_account: None,
    };
    let body = match engine::refund::refund(&rc, &PosRespond, cmd).await {
        Ok(body) => body,
        Err(e) => e.body(),
    };
    Ok(Some((code_of(&body.to_string()), rrn)))
}

/// DE 39 of a stored refund answer: 00 when the refund succeeded.
fn code_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    match (v["refund"]["status"].as_str(), v["error"]["code"].as_str()) {
        (Some("succeeded"), _) => "00".into(),
        (_, Some("amount_too_large" | "charge_already_refunded")) => INVALID_AMOUNT.into(),
        _ => "96".into(),
    }
}
