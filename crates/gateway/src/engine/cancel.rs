//! Cancel of an intent. An authorized one (`requires_capture`) is reversed at the counterparty
//! first, in the engine's phases; one that never reached the counterparty is canceled in one
//! commit.

use super::capture::authorized_charge;
use super::{Answer, Phases, Recorded, RequestContext, Settled};
use crate::error::{ApiError, ApiResult};
use crate::models::{Charge, PaymentIntent, to_value};
use crate::records::{event, update};
use crate::state::AppState;
use paygate_payments::{
    AttemptRecord, BoxFuture, Connector, ConnectorError, ConnectorRef, Money,
    PaymentIntentStatus as Status,
};
use paygate_store::{Op, Scope, WriteUnit};
use serde_json::Value;
use std::sync::Arc;

/// Cancel `intent` for `reason` (Stripe's `cancellation_reason`).
pub struct Cancel {
    pub intent: PaymentIntent,
    pub version: i64,
    pub reason: Option<String>,
}

/// Runs the cancel of `cmd`: through the engine when there is an authorization to reverse.
pub async fn cancel(
    rc: &RequestContext,
    respond: &dyn super::Respond,
    cmd: Cancel,
) -> ApiResult<Value> {
    if cmd.intent.status != Status::RequiresCapture {
        let (ops, answer) = canceled(&rc.scope(), cmd, None, rc.idempotency_key(), rc.now);
        let mut unit = WriteUnit { ops };
        let body = respond.body(&answer).await?;
        rc.finish(&mut unit, axum::http::StatusCode::OK, &body);
        rc.commit_outcome(unit).await?;
        return Ok(body);
    }
    let (charge_version, charge) = authorized_charge(rc, &cmd.intent).await?;
    let net = charge
        .net
        .as_ref()
        .ok_or_else(|| ApiError::internal("charge without network reference"))?;
    let phases = ReversePhases {
        connector: rc.st.connectors.get(charge.processor)?.clone(),
        reference: net.net_ref.clone(),
        amount: cmd.intent.money()?,
        cmd,
        charge,
        charge_version,
    };
    super::run(rc, respond, phases).await
}

struct ReversePhases {
    cmd: Cancel,
    charge: Charge,
    charge_version: i64,
    reference: ConnectorRef,
    amount: Money,
    /// The connector of the charge's `processor`.
    connector: Arc<dyn Connector>,
}

impl Phases for ReversePhases {
    type Reply = Result<(), ConnectorError>;

    fn record(&mut self, rc: &RequestContext) -> ApiResult<Recorded> {
        let pi = &mut self.cmd.intent;
        pi.status = Status::Processing;
        Ok(Recorded {
            ops: vec![update(&pi.id, self.cmd.version, &to_value(&*pi))],
            attempt_id: format!("{}:cancel", pi.id),
            attempt: AttemptRecord::Cancel {
                payment_intent: pi.id.clone(),
                net_ref: self.reference.clone(),
                amount: self.amount.minor(),
                currency_numeric: self.amount.currency().numeric(),
                processor: Some(self.charge.processor),
                idempotency_key: rc.idempotency_key().map(str::to_string),
            },
        })
    }

    fn call<'a>(&'a mut self, _rc: &'a RequestContext) -> BoxFuture<'a, Self::Reply> {
        let amount = self.amount;
        self.connector
            .reverse(&self.reference, amount.minor(), amount.currency().numeric())
    }

    fn settle(
        mut self,
        rc: &RequestContext,
        reply: Self::Reply,
    ) -> BoxFuture<'_, ApiResult<Settled>> {
        Box::pin(async move {
            self.cmd.version += 1;
            if let Err(e) = reply {
                // Not reversed: the intent is capturable again; the key is freed for a retry.
                let pi = &mut self.cmd.intent;
                pi.status = Status::RequiresCapture;
                return Ok(Settled {
                    ops: vec![update(&pi.id, self.cmd.version, &to_value(&*pi))],
                    answer: Err(ApiError::internal(format!("reversal failed: {e}"))),
                    keep_attempt: false,
                    undo: None,
                    counter: None,
                });
            }
            let mut ch = self.charge;
            ch.amount_refunded = ch.amount;
            ch.refunded = true;
            let charge = Some((self.charge_version, ch));
            let (ops, answer) =
                canceled(&rc.scope(), self.cmd, charge, rc.idempotency_key(), rc.now);
            Ok(Settled {
                ops,
                answer: Ok(answer),
                keep_attempt: false,
                undo: None,
                counter: Some(crate::metrics::Counted::Reversal),
            })
        })
    }
}

/// The writes of a canceled intent (and of its reversed charge, with its version).
fn canceled(
    scope: &Scope,
    cmd: Cancel,
    charge: Option<(i64, Charge)>,
    key: Option<&str>,
    now: i64,
) -> (Vec<Op>, Answer) {
    let mut pi = cmd.intent;
    let finish = crate::three_ds::finish_transaction(&pi);
    pi.status = Status::Canceled;
    pi.canceled_at = Some(now);
    pi.cancellation_reason = cmd.reason;
    pi.amount_capturable = 0;
    pi.next_action = None;
    // A 3-D Secure challenge still running ends here (its CAVV, if any, with it).
    pi.three_ds = None;
    let pi_doc = to_value(&pi);
    let mut ops = vec![update(&pi.id, cmd.version, &pi_doc)];
    ops.extend(finish);
    let mut ch_doc = None;
    if let Some((version, ch)) = charge {
        let doc = to_value(&ch);
        ops.push(update(&ch.id, version, &doc));
        ops.push(event(scope, "charge.refunded", &doc, key, now));
        ch_doc = Some(doc);
    }
    ops.push(event(scope, "payment_intent.canceled", &pi_doc, key, now));
    let answer = Answer {
        primary: pi_doc,
        charge: ch_doc,
    };
    (ops, answer)
}

/// Recovery of an interrupted cancel: reverse again (idempotent at the counterparty), then
/// cancel the intent.
pub async fn recover(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    payment_intent: &str,
    reference: &ConnectorRef,
    amount: Money,
    ops: &mut Vec<Op>,
) -> Result<bool, String> {
    let loaded =
        super::recovery::reverse_then_load(st, connector, scope, payment_intent, reference, amount)
            .await?;
    let Some((version, pi)) = loaded else {
        return Ok(false);
    };
    // The reversed authorization's charge is refunded in full, as in the request.
    let mut charge = None;
    if let Some(ch_id) = pi.latest_charge.as_deref() {
        let row = st
            .store
            .get_object(scope, ch_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(row) = row {
            let mut ch: Charge =
                crate::models::from_value(row.data).map_err(super::recovery::detail)?;
            if !ch.captured {
                ch.amount_refunded = ch.amount;
                ch.refunded = true;
                charge = Some((row.version, ch));
            }
        }
    }
    let cmd = Cancel {
        intent: pi,
        version,
        reason: None,
    };
    let (writes, _) = canceled(scope, cmd, charge, None, st.now());
    ops.extend(writes);
    Ok(true)
}
