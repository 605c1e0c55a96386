//! Capture of an authorized intent (0220 completion), in atomic phases like `flows::confirm`.
//!
//! The completion message is prepared first, so its own network reference (terminal id, STAN,
//! transmission time) is in the recovery record before it is sent. When the answer is lost the
//! same message is re-sent as a repeat (0221) and the network replays its recorded answer, so
//! a capture is never lost and never counted twice — here or in `recovery`.

use crate::error::{ApiError, ApiResult};
use crate::flows::{expand_with, post_capture};
use crate::http::Ctx;
use crate::models::{Charge, PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::render::public;
use axum::http::StatusCode;
use paygate_ledger::Currency;
use paygate_payments::{
    AttemptRecord, ConnectorRef, FollowUpAnswer, FollowUpKind, PaymentIntentStatus as Status,
    PreparedFollowUp,
};
use paygate_store::{AttemptRow, MerchantRow, Op, Scope, WriteUnit};
use serde_json::{Value, json};
use std::time::Duration;

/// Re-sends a follow-up whose answer was lost (`record` as its recovery record holds it),
/// waiting at most `wait`.
pub async fn resend(
    st: &crate::state::AppState,
    record: &ConnectorRef,
    wait: Duration,
) -> FollowUpAnswer {
    match tokio::time::timeout(wait, st.connector.resend_follow_up(record)).await {
        Ok(answer) => answer,
        Err(_) => FollowUpAnswer::Unknown("no answer to the repeat in time".into()),
    }
}

/// Sends a prepared follow-up; a lost answer is asked for again with a repeat.
pub async fn send(
    st: &crate::state::AppState,
    prepared: PreparedFollowUp,
    record: &ConnectorRef,
) -> FollowUpAnswer {
    match st.connector.send_follow_up(prepared).await {
        FollowUpAnswer::Unknown(_) => {
            resend(st, record, Duration::from_millis(st.cfg.network_timeout_ms)).await
        }
        answer => answer,
    }
}

/// Captures `amount` of an authorized intent.
pub async fn capture(
    ctx: &mut Ctx,
    mut pi: PaymentIntent,
    version: i64,
    amount: i64,
    expands: Vec<String>,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let ch_id = pi
        .latest_charge
        .clone()
        .ok_or_else(|| ApiError::internal("requires_capture without charge"))?;
    let ch_row = ctx
        .st
        .store
        .get_object(&scope, &ch_id)
        .await?
        .ok_or_else(|| ApiError::internal("charge missing"))?;
    let ch: Charge = from_value(ch_row.data.clone())?;
    let net = ch
        .net
        .clone()
        .ok_or_else(|| ApiError::internal("charge without network reference"))?;
    let prepared = ctx
        .st
        .connector
        .prepare_follow_up(
            FollowUpKind::Capture,
            &ConnectorRef(json!(net.net_ref)),
            &net.rrn,
            amount,
            net.currency_numeric,
        )
        .map_err(ApiError::internal)?;
    let record = prepared.record.clone();
    // Phase 1: the intent is capturing (serializes concurrent captures/cancels).
    let attempt_id = format!("{}:capture", pi.id);
    pi.status = Status::Processing;
    let mut unit = WriteUnit::default();
    ctx.begin(&mut unit);
    unit.ops.push(update(&pi.id, version, &to_value(&pi)));
    unit.ops.push(Op::PutAttempt(AttemptRow {
        id: attempt_id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        owner_node: ctx.st.cfg.node_id.clone(),
        state: "capturing".into(),
        created: ctx.now,
        data: AttemptRecord::Capture {
            payment_intent: pi.id.clone(),
            charge: ch.id.clone(),
            follow_up: record.clone(),
            idempotency_key: ctx.idempotency_key().map(str::to_string),
        }
        .to_stored(),
    }));
    ctx.commit(unit).await?;
    // Phase 2: the network; a lost answer is asked for again with a repeat.
    let approved = match send(&ctx.st, prepared, &record).await {
        FollowUpAnswer::Approved => true,
        FollowUpAnswer::Refused(_) => false,
        FollowUpAnswer::Unknown(why) => {
            // The recovery record stays; recovery learns the answer and finishes the capture.
            return Err(ApiError::internal(format!(
                "capture outcome unknown: {why}"
            )));
        }
    };
    // Phase 3.
    let merchant = ctx.caller.merchant.clone();
    let (mut unit, pi_doc, ch_doc) = capture_unit(
        &scope,
        &merchant,
        pi,
        version + 1,
        ch,
        ch_row.version,
        amount,
        approved,
        ctx.idempotency_key(),
        ctx.now,
    )?;
    unit.ops.push(Op::DeleteAttempt { id: attempt_id });
    if !approved {
        let err = ApiError::card(
            "processing_error",
            None,
            "The capture was refused by the card network. Try again in a little bit.",
        );
        ctx.finish(&mut unit, err.status, &err.body());
        ctx.commit_outcome(unit).await?;
        return Err(err);
    }
    let body = expand_with(ctx, public(pi_doc), &ch_doc, &expands).await?;
    ctx.finish(&mut unit, StatusCode::OK, &body);
    ctx.commit_outcome(unit).await?;
    Ok(body)
}

/// The writes that record a capture's answer: on approval the charge is captured, the ledger
/// posted and the intent succeeds; on refusal the intent is capturable again.
#[allow(clippy::too_many_arguments)]
pub fn capture_unit(
    scope: &Scope,
    merchant: &MerchantRow,
    mut pi: PaymentIntent,
    pi_version: i64,
    mut ch: Charge,
    ch_version: i64,
    amount: i64,
    approved: bool,
    idempotency_key: Option<&str>,
    now: i64,
) -> ApiResult<(WriteUnit, Value, Value)> {
    let mut unit = WriteUnit::default();
    if !approved {
        pi.status = Status::RequiresCapture;
        let pi_doc = to_value(&pi);
        unit.ops.push(update(&pi.id, pi_version, &pi_doc));
        return Ok((unit, pi_doc, to_value(&ch)));
    }
    let currency = Currency::parse(&pi.currency).map_err(ApiError::internal)?;
    post_capture(scope, merchant, &mut ch, currency, amount, now, &mut unit)?;
    if amount < pi.amount {
        // The uncaptured rest of the hold is released; Stripe reports it as refunded.
        ch.amount_refunded = pi.amount - amount;
    }
    pi.status = Status::Succeeded;
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    let pi_doc = to_value(&pi);
    let ch_doc = to_value(&ch);
    unit.ops.push(update(&ch.id, ch_version, &ch_doc));
    unit.ops.push(update(&pi.id, pi_version, &pi_doc));
    unit.ops.push(event(
        scope,
        "charge.captured",
        &ch_doc,
        idempotency_key,
        now,
    ));
    unit.ops.push(event(
        scope,
        "payment_intent.succeeded",
        &pi_doc,
        idempotency_key,
        now,
    ));
    Ok((unit, pi_doc, ch_doc))
}
