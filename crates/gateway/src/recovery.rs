//! Crash recovery: finishes the network work of requests whose process died between phase 1
//! and phase 3 (see `flows`).
//!
//! | attempt state | what happened                                  | recovery                                                          |
//! |---------------|------------------------------------------------|-------------------------------------------------------------------|
//! | authorizing   | auth may or may not have reached the network   | reverse (0400; idempotent, answers 00 for unknown originals), intent back to `requires_payment_method` with a `processing_error`, idempotency key freed |
//! | reversing     | a reversal was started                         | reverse again, then clear                                          |
//! | capturing     | capture (0220) may have been sent              | re-send it as a repeat (0221): the network replays its recorded answer or processes it now; record the capture, or make the intent capturable again |
//! | refunding     | refund (0200/20) may have been sent            | re-send it as a repeat (0201); record the refund as succeeded or failed accordingly |

use crate::capture::{Answer, FollowUpRecord, resend};
use crate::models::{Charge, PaymentIntent, from_value, pi_status, to_value};
use crate::outbox::{event, update};
use crate::state::AppState;
use paygate_network::link::NetRef;
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde_json::json;

/// Longest a recovery waits for the network per attempt; an unanswered one is retried by the
/// next sweep, so start-up and the sweeper never hang on a dead network.
const NETWORK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

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
        let cur = a.data["currency_numeric"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(0);
        tokio::time::timeout(NETWORK_WAIT, st.link.reverse(&net_ref, amount, cur))
            .await
            .map_err(|_| "the network did not answer the reversal in time".to_string())?
            .map_err(|e| e.to_string())?;
        crate::metrics::Metrics::incr(&st.metrics.reversals);
    }
    let pi_id = a.data["payment_intent"].as_str().unwrap_or_default();
    let interrupted = match kind {
        "authorization" => fail_intent(st, &scope, pi_id, &mut unit).await?,
        "cancel" => cancel_intent(st, &scope, pi_id, &mut unit).await?,
        "capture" => finish_capture(st, &scope, a, &mut unit).await?,
        "refund" => finish_refund(st, &scope, a, &mut unit).await?,
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
    st.store
        .commit(unit)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn load_pi(
    st: &AppState,
    scope: &Scope,
    id: &str,
) -> Result<Option<(i64, PaymentIntent)>, String> {
    let Some(row) = st
        .store
        .get_object(scope, id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let pi: PaymentIntent = from_value(row.data).map_err(|e| e.message)?;
    Ok(Some((row.version, pi)))
}

async fn fail_intent(
    st: &AppState,
    scope: &Scope,
    pi_id: &str,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
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
    unit.ops.push(event(
        scope,
        "payment_intent.payment_failed",
        &doc,
        None,
        now,
    ));
    Ok(true)
}

async fn cancel_intent(
    st: &AppState,
    scope: &Scope,
    pi_id: &str,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
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
    unit.ops
        .push(event(scope, "payment_intent.canceled", &doc, None, now));
    Ok(true)
}

/// A capture whose answer was lost: ask again with a repeat and record what the network says.
async fn finish_capture(
    st: &AppState,
    scope: &Scope,
    a: &AttemptRow,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
    let pi_id = a.data["payment_intent"].as_str().unwrap_or_default();
    let Some((pi_version, pi)) = load_pi(st, scope, pi_id).await? else {
        return Ok(false);
    };
    if pi.status != pi_status::PROCESSING {
        return Ok(false);
    }
    let (record, approved, ch_version, ch) = resend_for(st, scope, a).await?;
    let merchant = st
        .merchant(&scope.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("merchant missing")?;
    let now = crate::ids::now();
    let (u, _, _) = crate::capture::capture_unit(
        scope,
        &merchant,
        pi,
        pi_version,
        ch,
        ch_version,
        record.amount,
        approved,
        None,
        now,
    )
    .map_err(|e| e.message)?;
    unit.ops.extend(u.ops);
    Ok(true)
}

/// Re-sends the attempt's follow-up and loads its charge: (record, approved, charge version, charge).
async fn resend_for(
    st: &AppState,
    scope: &Scope,
    a: &AttemptRow,
) -> Result<(FollowUpRecord, bool, i64, Charge), String> {
    let record: FollowUpRecord =
        serde_json::from_value(a.data["follow_up"].clone()).map_err(|e| e.to_string())?;
    let approved = match resend(st, &record, NETWORK_WAIT).await {
        Answer::Approved => true,
        Answer::Refused(_) => false,
        Answer::Unknown(why) => return Err(why),
    };
    let ch_id = a.data["charge"].as_str().unwrap_or_default();
    let row = st
        .store
        .get_object(scope, ch_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("charge missing")?;
    let ch: Charge = from_value(row.data).map_err(|e| e.message)?;
    Ok((record, approved, row.version, ch))
}

/// A refund whose answer was lost: ask again with a repeat and record what the network says.
async fn finish_refund(
    st: &AppState,
    scope: &Scope,
    a: &AttemptRow,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
    let (record, ok, ch_version, ch) = resend_for(st, scope, a).await?;
    let ch_id = ch.id.clone();
    let draft = crate::api::refunds::RefundDraft {
        id: a.data["refund"].as_str().unwrap_or_default().to_string(),
        amount: record.amount,
        reason: a.data["reason"].as_str().map(str::to_string),
        metadata: a.data["metadata"].as_object().cloned().unwrap_or_default(),
    };
    let now = crate::ids::now();
    let (u, _) = crate::api::refunds::refund_unit(scope, ch, ch_version, draft, ok, None, now)
        .map_err(|e| e.message)?;
    tracing::info!(charge = %ch_id, refund_approved = ok, "finished an interrupted refund from the network's recorded answer");
    unit.ops.extend(u.ops);
    Ok(true)
}
