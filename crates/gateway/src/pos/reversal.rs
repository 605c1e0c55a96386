//! A terminal's reversal (0400, DE 90 naming its purchase), sent when the purchase's answer
//! did not come in time. What it does depends on how far the purchase got, read from the
//! purchase's idempotency key:
//!
//! - **never arrived** (no key): a marker is stored under the purchase's key, so a purchase
//!   that arrives late is not paid (it gets no answer); answered `00`;
//! - **still running** (key in flight — or the gateway died and its recovery has not finished
//!   the attempt yet): no answer; the terminal repeats the reversal until answered;
//! - **finished**: an approved purchase is refunded in full through the engine (its own
//!   idempotency key, so a repeated reversal refunds once; the refund carries
//!   `metadata.terminal_id` like the terminal's own refunds, so end-of-day totals count it); a
//!   declined one needs nothing. Answered `00` once done.
//!
//! DE 90 may also name a terminal's **refund** (0200, processing code 20). One that never
//! arrived or still runs is handled as above; one that was refused needs nothing (`00`); one
//! that went through stands: the card network takes no reversal of a refund, so the money has
//! gone back to the card and the 0410 says so with [`REFUND_STANDS`] (the totals, the ledger
//! and the network's journal all keep the refund).

use super::purchase::{PosRespond, request_key};
use super::terminals::Terminal;
use crate::engine::{self, RequestContext};
use crate::ids::new_id;
use crate::models::{Charge, from_value};
use crate::state::SharedState;
use paygate_iso8583::Message;
use paygate_store::{MerchantRow, Op, Scope, WriteUnit};
use serde_json::Value;

/// DE 39 of the 0410 when the reversal names a refund that already went through: ISO 8583's
/// "no action taken" (the refund cannot be backed out).
pub const REFUND_STANDS: &str = "21";

/// The body stored under a purchase's key when its reversal came first.
const REVERSED_BEFORE_ARRIVAL: &str = r#"{"reversed_before_arrival":true}"#;

/// DE 39 of the 0410, or `None` when the reversal must wait (the terminal repeats it).
pub async fn reverse(
    st: &SharedState,
    terminal: &Terminal,
    merchant: MerchantRow,
    msg: &Message,
) -> Result<Option<&'static str>, &'static str> {
    let orig = msg.get_str(90).filter(|d| d.len() == 42).ok_or("DE 90")?;
    let (stan, at) = (&orig[4..10], &orig[10..20]);
    let key = request_key(terminal, stan, at);
    let scope = Scope {
        merchant_id: merchant.id.clone(),
        livemode: false,
    };
    let row = st
        .store
        .idempotency_get(&scope, &key)
        .await
        .map_err(|_| "store")?;
    let Some(row) = row else {
        let now = st.now();
        let unit = WriteUnit {
            ops: vec![Op::IdempotencyInsertDone {
                scope,
                key,
                request_hash: "reversal".into(),
                status: 200,
                body: REVERSED_BEFORE_ARRIVAL.into(),
                created: now,
            }],
        };
        return match st.store.commit(unit).await {
            Ok(_) => Ok(Some("00")),
            // The purchase arrived meanwhile: the repeat of this reversal finds it.
            Err(_) => Ok(None),
        };
    };
    let Some(body) = row.body else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if v.get("refund").is_some() {
        return Ok(Some(if v["refund"]["status"] == "succeeded" {
            REFUND_STANDS
        } else {
            "00"
        }));
    }
    if v.get("payment_intent").is_none() {
        // A refund refused before the engine ran (an error body), or a marker: nothing to undo.
        return Ok(Some("00"));
    }
    let charge = v["charge"].clone();
    if charge["status"] != "succeeded" {
        return Ok(Some("00"));
    }
    refund(st, merchant, terminal, &scope, &charge, &key).await
}

/// Refunds the purchase's charge in full, once (idempotency key `reversal:<purchase key>`).
async fn refund(
    st: &SharedState,
    merchant: MerchantRow,
    terminal: &Terminal,
    scope: &Scope,
    charge: &Value,
    purchase_key: &str,
) -> Result<Option<&'static str>, &'static str> {
    let key = format!("reversal:{purchase_key}");
    if let Ok(Some(done)) = st.store.idempotency_get(scope, &key).await {
        return Ok(done.body.map(|_| "00"));
    }
    let id = charge["id"].as_str().ok_or("charge")?;
    let row = st
        .store
        .get_object(scope, id)
        .await
        .map_err(|_| "store")?
        .ok_or("charge")?;
    let ch: Charge = from_value(row.data).map_err(|_| "charge")?;
    let rc = RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant,
        false,
        Some((key, "reversal".into())),
    );
    let cmd = engine::Refund {
        charge: ch,
        charge_version: row.version,
        amount: None,
        reason: Some("requested_by_customer".into()),
        metadata: serde_json::Map::from_iter([
            (
                "terminal_id".to_owned(),
                Value::String(terminal.terminal_id.clone()),
            ),
            ("pos_reversal".to_owned(), Value::String("true".into())),
        ]),
        refund_account: None,
    };
    match engine::refund::refund(&rc, &PosRespond, cmd).await {
        Ok(_) => Ok(Some("00")),
        Err(e) => {
            tracing::warn!(error = %e.message, "reversal of a store purchase not refunded yet");
            Ok(None)
        }
    }
}
