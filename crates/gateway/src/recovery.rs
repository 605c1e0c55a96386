//! Crash recovery: finishes the network work of requests whose process died between phase 1
//! and phase 3 (see `flows`), dispatching on the typed recovery record ([`AttemptRecord`]).
//!
//! | record        | what happened                                  | recovery                                                          |
//! |---------------|------------------------------------------------|-------------------------------------------------------------------|
//! | authorization | auth may or may not have reached the network   | reverse (0400; idempotent, answers 00 for unknown originals), intent back to `requires_payment_method` with a `processing_error`, idempotency key freed |
//! | cancel        | a reversal was started                         | reverse again, then cancel the intent                              |
//! | capture       | capture (0220) may have been sent              | re-send it as a repeat (0221): the network replays its recorded answer or processes it now; record the capture, or make the intent capturable again |
//! | refund        | refund (0200/20) may have been sent            | re-send it as a repeat (0201); record the refund as succeeded or failed accordingly |
//!
//! A record this build cannot read (an unknown kind, a broken document) is logged, counted in
//! the `paygate_unrecoverable_attempts` gauge and left in the table: deleting it would forget
//! money that may have moved at the network.

use crate::capture::resend;
use crate::models::{Charge, PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::state::AppState;
use paygate_payments::{
    AttemptRecord, ConnectorRef, FollowUpAnswer, PaymentIntentStatus as Status,
};
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde_json::json;
use std::sync::atomic::Ordering;

/// Longest a recovery waits for the network per attempt; an unanswered one is retried by the
/// next sweep, so start-up and the sweeper never hang on a dead network.
const NETWORK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Recovers the attempts of this node (at start-up) or, with `stale_before`, those of any node
/// older than that time (a peer that died). Returns how many were finished.
pub async fn recover(st: &AppState, stale_before: Option<i64>) -> Result<usize, String> {
    let rows = match stale_before {
        None => st.store.attempts(Some(&st.cfg.node_id)).await,
        Some(_) => st.store.attempts(None).await,
    }
    .map_err(|e| e.to_string())?;
    let mut done = 0;
    let mut unreadable = 0;
    for a in rows {
        if stale_before.is_some_and(|t| a.created > t) {
            continue;
        }
        let record = match AttemptRecord::from_stored(&a.id, &a.data) {
            Ok(r) => r,
            Err(e) => {
                unreadable += 1;
                tracing::error!(error = %e, "recovery record left in place");
                continue;
            }
        };
        match recover_one(st, &a, &record).await {
            Ok(()) => {
                done += 1;
                crate::metrics::Metrics::incr(&st.metrics.recovered_attempts);
                tracing::info!(attempt = %a.id, state = %a.state, "recovered unfinished payment attempt");
            }
            Err(e) => tracing::warn!(attempt = %a.id, error = %e, "could not recover attempt yet"),
        }
    }
    st.metrics
        .unrecoverable_attempts
        .store(unreadable, Ordering::Relaxed);
    Ok(done)
}

async fn recover_one(st: &AppState, a: &AttemptRow, record: &AttemptRecord) -> Result<(), String> {
    let scope = Scope {
        merchant_id: a.merchant_id.clone(),
        livemode: a.livemode,
    };
    let mut unit = WriteUnit::default();
    let interrupted = match record {
        AttemptRecord::Authorization {
            payment_intent,
            net_ref,
            amount,
            currency_numeric,
            ..
        } => {
            reverse(st, net_ref, *amount, *currency_numeric).await?;
            fail_intent(st, &scope, payment_intent, &mut unit).await?
        }
        AttemptRecord::Cancel {
            payment_intent,
            net_ref,
            amount,
            currency_numeric,
            ..
        } => {
            reverse(st, net_ref, *amount, *currency_numeric).await?;
            cancel_intent(st, &scope, payment_intent, &mut unit).await?
        }
        AttemptRecord::Capture {
            payment_intent,
            charge,
            follow_up,
            ..
        } => finish_capture(st, &scope, payment_intent, charge, follow_up, &mut unit).await?,
        AttemptRecord::Refund { .. } => finish_refund(st, &scope, record, &mut unit).await?,
    };
    // A request that never stored its result gets its key back, so the client's retry runs.
    if let Some(key) = record.idempotency_key().filter(|_| interrupted) {
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

/// Reverses an authorization at the network (idempotent there).
async fn reverse(
    st: &AppState,
    net_ref: &ConnectorRef,
    amount: i64,
    currency_numeric: u16,
) -> Result<(), String> {
    tokio::time::timeout(
        NETWORK_WAIT,
        st.connector.reverse(net_ref, amount, currency_numeric),
    )
    .await
    .map_err(|_| "the network did not answer the reversal in time".to_string())?
    .map_err(|e| e.to_string())?;
    crate::metrics::Metrics::incr(&st.metrics.reversals);
    Ok(())
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
    if pi.status != Status::Processing {
        return Ok(false);
    }
    let now = st.now();
    pi.status = Status::RequiresPaymentMethod;
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
    if pi.status != Status::Processing {
        return Ok(false);
    }
    let now = st.now();
    pi.status = Status::Canceled;
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
    pi_id: &str,
    ch_id: &str,
    follow_up: &ConnectorRef,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
    let Some((pi_version, pi)) = load_pi(st, scope, pi_id).await? else {
        return Ok(false);
    };
    if pi.status != Status::Processing {
        return Ok(false);
    }
    let (amount, approved, ch_version, ch) = resend_for(st, scope, follow_up, ch_id).await?;
    let merchant = st
        .merchant(&scope.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("merchant missing")?;
    let (u, _, _) = crate::capture::capture_unit(
        scope,
        &merchant,
        pi,
        pi_version,
        ch,
        ch_version,
        amount,
        approved,
        None,
        st.now(),
    )
    .map_err(|e| e.message)?;
    unit.ops.extend(u.ops);
    Ok(true)
}

/// Re-sends a follow-up and loads its charge: (amount, approved, charge version, charge).
async fn resend_for(
    st: &AppState,
    scope: &Scope,
    follow_up: &ConnectorRef,
    ch_id: &str,
) -> Result<(i64, bool, i64, Charge), String> {
    let amount = st
        .connector
        .follow_up_amount(follow_up)
        .map_err(|e| e.to_string())?;
    let approved = match resend(st, follow_up, NETWORK_WAIT).await {
        FollowUpAnswer::Approved => true,
        FollowUpAnswer::Refused(_) => false,
        FollowUpAnswer::Unknown(why) => return Err(why),
    };
    let row = st
        .store
        .get_object(scope, ch_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("charge missing")?;
    let ch: Charge = from_value(row.data).map_err(|e| e.message)?;
    Ok((amount, approved, row.version, ch))
}

/// A refund whose answer was lost: ask again with a repeat and record what the network says.
async fn finish_refund(
    st: &AppState,
    scope: &Scope,
    record: &AttemptRecord,
    unit: &mut WriteUnit,
) -> Result<bool, String> {
    let AttemptRecord::Refund {
        charge,
        refund,
        follow_up,
        reason,
        metadata,
        ..
    } = record
    else {
        return Ok(false);
    };
    let (amount, ok, ch_version, ch) = resend_for(st, scope, follow_up, charge).await?;
    let draft = crate::api::refunds::RefundDraft {
        id: refund.clone(),
        amount,
        reason: reason.clone(),
        metadata: metadata.clone(),
    };
    let (u, _) = crate::api::refunds::refund_unit(scope, ch, ch_version, draft, ok, None, st.now())
        .map_err(|e| e.message)?;
    tracing::info!(charge = %charge, refund_approved = ok, "finished an interrupted refund from the network's recorded answer");
    unit.ops.extend(u.ops);
    Ok(true)
}
