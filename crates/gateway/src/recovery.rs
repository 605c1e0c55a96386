//! Crash recovery: finishes the network work of requests whose process died between phase 1
//! and phase 3 (see `flows`).
//!
//! | attempt state | what happened                                  | recovery                                                          |
//! |---------------|------------------------------------------------|-------------------------------------------------------------------|
//! | authorizing   | auth may or may not have reached the network   | reverse (0400; idempotent, answers 00 for unknown originals), intent back to `requires_payment_method` with a `processing_error`, idempotency key freed |
//! | reversing     | a reversal was started                         | reverse again, then clear                                          |
//! | capturing     | capture may have been sent                     | intent back to `requires_capture` (the issuer hold stays; the merchant can capture again) |
//! | refunding     | refund may have been sent                      | release the reservation; reported in the log for reconciliation   |

use crate::models::{Charge, PaymentIntent, from_value, pi_status, to_value};
use crate::outbox::{event, update};
use crate::state::AppState;
use paygate_network::link::NetRef;
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde_json::json;

/// Recovers the attempts of this node (at start-up) or, with `stale_before`, those of any node
/// older than that time (a peer that died).
pub async fn recover(st: &AppState, stale_before: Option<i64>) -> Result<usize, String> {
    let rows = match stale_before {
        None => st.store.attempts(Some(&st.cfg.node_id)).await,
        Some(_) => st.store.attempts(None).await,
    }
    .map_err(|e| e.to_string())?;
    let mut done = 0;
    for a in rows {
        if stale_before.is_some_and(|t| a.created > t) {
            continue;
        }
        match recover_one(st, &a).await {
            Ok(()) => {
                done += 1;
                crate::metrics::Metrics::incr(&st.metrics.recovered_attempts);
                tracing::info!(attempt = %a.id, state = %a.state, "recovered unfinished payment attempt");
            }
            Err(e) => tracing::warn!(attempt = %a.id, error = %e, "could not recover attempt yet"),
        }
    }
    Ok(done)
}

async fn recover_one(st: &AppState, a: &AttemptRow) -> Result<(), String> {
    let scope = Scope {
        merchant_id: a.merchant_id.clone(),
        livemode: a.livemode,
    };
    let kind = a.data["kind"].as_str().unwrap_or_default();
    let mut unit = WriteUnit::default();
    if let Some(net_ref) = a.data.get("net_ref").filter(|v| !v.is_null()) {
        let net_ref: NetRef = serde_json::from_value(net_ref.clone()).map_err(|e| e.to_string())?;
        let amount = a.data["amount"].as_i64().unwrap_or(0);
        let cur = a.data["currency_numeric"].as_u64().and_then(|c| u16::try_from(c).ok()).unwrap_or(0);
        st.link.reverse(&net_ref, amount, cur).await.map_err(|e| e.to_string())?;
        crate::metrics::Metrics::incr(&st.metrics.reversals);
    }
    let pi_id = a.data["payment_intent"].as_str().unwrap_or_default();
    let interrupted = match kind {
        "authorization" => fail_intent(st, &scope, pi_id, &mut unit).await?,
        "cancel" => cancel_intent(st, &scope, pi_id, &mut unit).await?,
        "capture" => restore_capturable(st, &scope, pi_id, &mut unit).await?,
        "refund" => release_refund(st, &scope, a, &mut unit).await?,
        _ => false,
    };
    // A request that never stored its result gets its key back, so the client's retry runs.
    if let Some(key) = a.data["idempotency_key"].as_str().filter(|_| interrupted) {
        unit.ops.push(Op::IdempotencyRelease {
            scope: scope.clone(),
            key: key.to_string(),
        });
    }
    unit.ops.push(Op::DeleteAttempt { id: a.id.clone() });
    st.store.commit(unit).await.map(|_| ()).map_err(|e| e.to_string())
}

async fn load_pi(st: &AppState, scope: &Scope, id: &str) -> Result<Option<(i64, PaymentIntent)>, String> {
    let Some(row) = st.store.get_object(scope, id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let pi: PaymentIntent = from_value(row.data).map_err(|e| e.message)?;
    Ok(Some((row.version, pi)))
}

async fn fail_intent(st: &AppState, scope: &Scope, pi_id: &str, unit: &mut WriteUnit) -> Result<bool, String> {
    let Some((version, mut pi)) = load_pi(st, scope, pi_id).await? else {
        return Ok(false);
    };
    if pi.status != pi_status::PROCESSING {
        return Ok(false);
    }
    let now = crate::ids::now();
    pi.status = pi_status::REQUIRES_PAYMENT_METHOD.into();
    pi.payment_method = None;
    pi.last_payment_error = Some(json!({
        "type": "card_error",
        "code": "processing_error",
        "decline_code": "processing_error",
        "message": "The payment was interrupted and has been reversed at the card network; no funds were taken. Please try again.",
    }));
    let doc = to_value(&pi);
    unit.ops.push(update(&pi.id, version, &doc));
    unit.ops.push(event(scope, "payment_intent.payment_failed", &doc, None, now));
    Ok(true)
}

async fn cancel_intent(st: &AppState, scope: &Scope, pi_id: &str, unit: &mut WriteUnit) -> Result<bool, String> {
    let Some((version, mut pi)) = load_pi(st, scope, pi_id).await? else {
        return Ok(false);
    };
    if pi.status != pi_status::PROCESSING {
        return Ok(false);
    }
    let now = crate::ids::now();
    pi.status = pi_status::CANCELED.into();
    pi.canceled_at = Some(now);
    pi.amount_capturable = 0;
    let doc = to_value(&pi);
    unit.ops.push(update(&pi.id, version, &doc));
    unit.ops.push(event(scope, "payment_intent.canceled", &doc, None, now));
    Ok(true)
}

async fn restore_capturable(st: &AppState, scope: &Scope, pi_id: &str, unit: &mut WriteUnit) -> Result<bool, String> {
    let Some((version, mut pi)) = load_pi(st, scope, pi_id).await? else {
        return Ok(false);
    };
    if pi.status != pi_status::PROCESSING {
        return Ok(false);
    }
    pi.status = pi_status::REQUIRES_CAPTURE.into();
    unit.ops.push(update(&pi.id, version, &to_value(&pi)));
    Ok(true)
}

async fn release_refund(st: &AppState, scope: &Scope, a: &AttemptRow, unit: &mut WriteUnit) -> Result<bool, String> {
    let ch_id = a.data["charge"].as_str().unwrap_or_default();
    let amount = a.data["amount"].as_i64().unwrap_or(0);
    let Some(row) = st.store.get_object(scope, ch_id).await.map_err(|e| e.to_string())? else {
        return Ok(false);
    };
    let mut ch: Charge = from_value(row.data).map_err(|e| e.message)?;
    ch.refund_reserved = (ch.refund_reserved - amount).max(0);
    tracing::warn!(charge = %ch.id, amount, "refund interrupted; reservation released — reconcile against the network journal");
    unit.ops.push(update(&ch.id, row.version, &to_value(&ch)));
    Ok(true)
}
