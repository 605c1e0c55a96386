//! Capture of an authorized intent (the completion of its authorization), in the engine's
//! phases: phase 1 moves the intent to `processing` (which serializes concurrent captures and
//! cancels) and records the completion message; phase 3 captures the charge and posts the
//! ledger, or makes the intent capturable again when the counterparty refused.

use super::charge::post_capture;
use super::follow_up::{self, Resent};
use super::recovery::load_pi;
use super::{Answer, Phases, Recorded, RequestContext, Settled};
use crate::error::{ApiError, ApiResult};
use crate::models::{Charge, PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::state::AppState;
use paygate_payments::{
    AttemptRecord, BoxFuture, Connector, ConnectorRef, FollowUpAnswer, FollowUpKind, Money,
    PaymentIntentStatus as Status, PreparedFollowUp,
};
use paygate_store::{MerchantRow, Op, Scope};
use serde_json::Value;
use std::sync::Arc;

/// Capture `amount` of the authorized `intent`.
pub struct Capture {
    pub intent: PaymentIntent,
    pub version: i64,
    pub amount: Money,
}

struct CapturePhases {
    pi: PaymentIntent,
    version: i64,
    amount: Money,
    charge: Charge,
    charge_version: i64,
    prepared: Option<PreparedFollowUp>,
    record: ConnectorRef,
    /// The connector of the charge's `processor`.
    connector: Arc<dyn Connector>,
}

/// Loads the charge an operation on an authorized intent acts on.
pub async fn authorized_charge(
    rc: &RequestContext,
    pi: &PaymentIntent,
) -> ApiResult<(i64, Charge)> {
    let ch_id = pi
        .latest_charge
        .as_deref()
        .ok_or_else(|| ApiError::internal("requires_capture without charge"))?;
    let row = rc
        .st
        .store
        .get_object(&rc.scope(), ch_id)
        .await?
        .ok_or_else(|| ApiError::internal("charge missing"))?;
    Ok((row.version, from_value(row.data)?))
}

/// Runs the capture of `cmd` through the engine.
pub async fn capture(
    rc: &RequestContext,
    respond: &dyn super::Respond,
    cmd: Capture,
) -> ApiResult<Value> {
    let (charge_version, charge) = authorized_charge(rc, &cmd.intent).await?;
    let net = charge
        .net
        .as_ref()
        .ok_or_else(|| ApiError::internal("charge without network reference"))?;
    let connector = rc.st.connectors.get(charge.processor)?.clone();
    let prepared = connector
        .prepare_follow_up(
            FollowUpKind::Capture,
            &net.net_ref,
            &net.rrn,
            cmd.amount.minor(),
            net.currency_numeric,
        )
        .map_err(ApiError::internal)?;
    let phases = CapturePhases {
        record: prepared.record.clone(),
        prepared: Some(prepared),
        pi: cmd.intent,
        version: cmd.version,
        amount: cmd.amount,
        charge,
        charge_version,
        connector,
    };
    super::run(rc, respond, phases).await
}

impl Phases for CapturePhases {
    type Reply = FollowUpAnswer;

    fn record(&mut self, rc: &RequestContext) -> ApiResult<Recorded> {
        self.pi.status = Status::Processing;
        Ok(Recorded {
            ops: vec![update(&self.pi.id, self.version, &to_value(&self.pi))],
            attempt_id: format!("{}:capture", self.pi.id),
            attempt: AttemptRecord::Capture {
                payment_intent: self.pi.id.clone(),
                charge: self.charge.id.clone(),
                follow_up: self.record.clone(),
                processor: Some(self.charge.processor),
                idempotency_key: rc.idempotency_key().map(str::to_string),
            },
        })
    }

    fn call<'a>(&'a mut self, rc: &'a RequestContext) -> BoxFuture<'a, FollowUpAnswer> {
        follow_up::call(rc, &*self.connector, &mut self.prepared, &self.record)
    }

    fn settle(
        self,
        rc: &RequestContext,
        reply: FollowUpAnswer,
    ) -> BoxFuture<'_, ApiResult<Settled>> {
        Box::pin(async move {
            // Unknown: the recovery record stays; recovery learns the answer and finishes.
            let approved = follow_up::approved(reply, "capture")?;
            let outcome = CaptureOutcome {
                pi: self.pi,
                pi_version: self.version + 1,
                charge: self.charge,
                charge_version: self.charge_version,
                amount: self.amount,
                approved,
            };
            let (ops, answer) =
                outcome.writes(&rc.scope(), &rc.merchant, rc.idempotency_key(), rc.now)?;
            let answer = if approved {
                Ok(answer)
            } else {
                Err(ApiError::card(
                    "processing_error",
                    None,
                    "The capture was refused by the card network. Try again in a little bit.",
                ))
            };
            Ok(Settled {
                ops,
                answer,
                keep_attempt: false,
                undo: None,
                counter: None,
            })
        })
    }
}

/// A capture's answer, to be written.
struct CaptureOutcome {
    pi: PaymentIntent,
    pi_version: i64,
    charge: Charge,
    charge_version: i64,
    amount: Money,
    approved: bool,
}

impl CaptureOutcome {
    /// The writes that record a capture's answer: on approval the charge is captured, the
    /// ledger posted and the intent succeeds; on refusal the intent is capturable again.
    fn writes(
        self,
        scope: &Scope,
        merchant: &MerchantRow,
        key: Option<&str>,
        now: i64,
    ) -> ApiResult<(Vec<Op>, Answer)> {
        let CaptureOutcome {
            mut pi,
            mut charge,
            amount,
            ..
        } = self;
        if !self.approved {
            pi.status = Status::RequiresCapture;
            let pi_doc = to_value(&pi);
            let ops = vec![update(&pi.id, self.pi_version, &pi_doc)];
            let answer = Answer {
                primary: pi_doc,
                charge: Some(to_value(&charge)),
            };
            return Ok((ops, answer));
        }
        let mut unit = paygate_store::WriteUnit::default();
        post_capture(scope, merchant, &mut charge, amount, now, &mut unit)?;
        if amount.minor() < pi.amount {
            // The uncaptured rest of the hold is released; Stripe reports it as refunded.
            charge.amount_refunded = pi.amount - amount.minor();
        }
        pi.status = Status::Succeeded;
        pi.amount_received = amount.minor();
        pi.amount_capturable = 0;
        let pi_doc = to_value(&pi);
        let ch_doc = to_value(&charge);
        unit.ops
            .push(update(&charge.id, self.charge_version, &ch_doc));
        unit.ops.push(update(&pi.id, self.pi_version, &pi_doc));
        unit.ops
            .push(event(scope, "charge.captured", &ch_doc, key, now));
        unit.ops
            .push(event(scope, "payment_intent.succeeded", &pi_doc, key, now));
        let answer = Answer {
            primary: pi_doc,
            charge: Some(ch_doc),
        };
        Ok((unit.ops, answer))
    }
}

/// Recovery of a capture whose answer was lost: ask again with a repeat and record what the
/// counterparty says. True when the request never stored its result.
pub async fn recover(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    payment_intent: &str,
    charge: &str,
    follow_up: &ConnectorRef,
    ops: &mut Vec<Op>,
) -> Result<bool, String> {
    let Some((pi_version, pi)) = load_pi(st, scope, payment_intent).await? else {
        return Ok(false);
    };
    if pi.status != Status::Processing {
        return Ok(false);
    }
    let Resent {
        amount,
        approved,
        charge_version,
        charge,
    } = follow_up::resend_for(st, connector, scope, follow_up, charge).await?;
    let merchant = st
        .merchant(&scope.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("merchant missing")?;
    let amount = charge.money(amount).map_err(super::recovery::detail)?;
    let outcome = CaptureOutcome {
        pi,
        pi_version,
        charge,
        charge_version,
        amount,
        approved,
    };
    let (writes, _) = outcome
        .writes(scope, &merchant, None, st.now())
        .map_err(super::recovery::detail)?;
    ops.extend(writes);
    Ok(true)
}
