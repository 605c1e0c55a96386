//! Cancel of an intent; an authorized one is reversed at the network first, in phases like
//! `confirm`.

use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::models::{Charge, PaymentIntent, to_value};
use crate::records::{event, update};
use crate::render::{expand, public};
use axum::http::StatusCode;
use paygate_payments::{AttemptRecord, ConnectorRef, PaymentIntentStatus as Status};
use paygate_store::{AttemptRow, Op, WriteUnit};
use serde_json::{Value, json};

/// Cancels an intent; an authorized one is reversed at the network first.
pub async fn cancel(
    ctx: &mut Ctx,
    mut pi: PaymentIntent,
    version: i64,
    reason: Option<String>,
    expands: Vec<String>,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let mut unit = WriteUnit::default();
    let mut ch_update = None;
    let mut version = version;
    if pi.status == Status::RequiresCapture {
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
        let mut ch: Charge = crate::models::from_value(ch_row.data.clone())?;
        let net = ch
            .net
            .clone()
            .ok_or_else(|| ApiError::internal("charge without network reference"))?;
        let net_ref = ConnectorRef(json!(net.net_ref));
        // Phase 1: the intent is being canceled; recovery finishes the reversal if we die.
        let attempt_id = format!("{}:cancel", pi.id);
        let status_before = pi.status;
        pi.status = Status::Processing;
        let mut first = WriteUnit::default();
        ctx.begin(&mut first);
        first.ops.push(update(&pi.id, version, &to_value(&pi)));
        first.ops.push(Op::PutAttempt(AttemptRow {
            id: attempt_id.clone(),
            merchant_id: scope.merchant_id.clone(),
            livemode: scope.livemode,
            owner_node: ctx.st.cfg.node_id.clone(),
            state: "reversing".into(),
            created: ctx.now,
            data: AttemptRecord::Cancel {
                payment_intent: pi.id.clone(),
                net_ref: net_ref.clone(),
                amount: pi.amount,
                currency_numeric: net.currency_numeric,
                idempotency_key: ctx.idempotency_key().map(str::to_string),
            }
            .to_stored(),
        }));
        ctx.commit(first).await?;
        version += 1;
        if let Err(e) = ctx
            .st
            .connector
            .reverse(&net_ref, pi.amount, net.currency_numeric)
            .await
        {
            pi.status = status_before;
            let mut undo = WriteUnit::default();
            undo.ops.push(update(&pi.id, version, &to_value(&pi)));
            undo.ops.push(Op::DeleteAttempt { id: attempt_id });
            let err = ApiError::internal(format!("reversal failed: {e}"));
            ctx.commit_outcome(undo).await?;
            return Err(err);
        }
        crate::metrics::Metrics::incr(&ctx.st.metrics.reversals);
        ch.amount_refunded = ch.amount;
        ch.refunded = true;
        ch_update = Some((ch_row.version, ch));
        unit.ops.push(Op::DeleteAttempt { id: attempt_id });
    }
    pi.status = Status::Canceled;
    pi.canceled_at = Some(ctx.now);
    pi.cancellation_reason = reason;
    pi.amount_capturable = 0;
    let pi_doc = to_value(&pi);
    unit.ops.push(update(&pi.id, version, &pi_doc));
    if let Some((v, ch)) = ch_update {
        let ch_doc = to_value(&ch);
        unit.ops.push(update(&ch.id, v, &ch_doc));
        unit.ops.push(event(
            &scope,
            "charge.refunded",
            &ch_doc,
            ctx.idempotency_key(),
            ctx.now,
        ));
    }
    unit.ops.push(event(
        &scope,
        "payment_intent.canceled",
        &pi_doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    let body = expand(&ctx.st, &ctx.caller, public(pi_doc), &expands).await?;
    ctx.finish(&mut unit, StatusCode::OK, &body);
    ctx.commit_outcome(unit).await?;
    Ok(body)
}
