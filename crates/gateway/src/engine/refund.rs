//! Refund of a captured charge, in the engine's phases: phase 1 reserves the amount on the
//! charge (which serializes concurrent refunds and keeps them under the captured amount) and
//! records the refund message; phase 3 writes the refund, releases the reservation and posts
//! the ledger when the counterparty approved.

use super::follow_up::{self, Resent};
use super::{Answer, Phases, Recorded, RequestContext, Settled};
use crate::error::{ApiError, ApiResult};
use crate::models::{Charge, Refund as RefundDoc, to_value};
use crate::postings::{balance_txn, ledger};
use crate::records::{event, insert, update};
use crate::state::AppState;
use paygate_ledger::Counterparty;
use paygate_payments::{
    AttemptRecord, BoxFuture, ChargeStatus, Connector, ConnectorRef, FollowUpAnswer, FollowUpKind,
    Money, PreparedFollowUp, RefundStatus,
};
use paygate_store::{Op, Scope};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Refund `amount` of `charge`.
pub struct Refund {
    pub charge: Charge,
    pub charge_version: i64,
    /// `None` refunds what is left.
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub metadata: Map<String, Value>,
    /// Transfer the refund to this bank account (cash-type payments, carrier charges after
    /// their month: [`super::refund_account`]).
    pub refund_account: Option<paygate_payments::BankAccount>,
}

/// Refunded amount that came out of the captured amount (a partial capture reports the
/// released rest of the hold as refunded too, which is not refundable again).
fn refunded_of_captured(ch: &Charge) -> i64 {
    let released = ch.amount - ch.amount_captured;
    ch.amount_refunded - released.min(ch.amount_refunded)
}

/// Checks that `amount` (or, when `None`, what is left) can be refunded from `ch` and returns
/// it as money.
pub fn refundable(ch: &Charge, amount: Option<i64>) -> ApiResult<Money> {
    if !ch.captured || ch.status != ChargeStatus::Succeeded {
        return Err(ApiError::unexpected_state(
            "charge_not_refundable",
            format!(
                "Charge {} has not been captured and cannot be refunded; cancel the PaymentIntent instead.",
                ch.id
            ),
        ));
    }
    let left = ch.amount_captured - refunded_of_captured(ch) - ch.refund_reserved;
    if left <= 0 {
        return Err(ApiError::unexpected_state(
            "charge_already_refunded",
            format!("Charge {} has already been refunded.", ch.id),
        ));
    }
    let amount = amount.unwrap_or(left);
    if amount > left {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})."
            ),
        ));
    }
    ch.money(amount)
}

struct RefundPhases {
    draft: Draft,
    charge: Charge,
    charge_version: i64,
    prepared: Option<PreparedFollowUp>,
    record: ConnectorRef,
    /// The connector of the charge's `processor`.
    connector: Arc<dyn Connector>,
}

/// A refund as requested, before the counterparty answered.
struct Draft {
    id: String,
    amount: Money,
    reason: Option<String>,
    metadata: Map<String, Value>,
    /// `destination_details` of a transfer to a bank account.
    destination: Option<Value>,
}

/// Runs the refund of `cmd` through the engine.
pub async fn refund(
    rc: &RequestContext,
    respond: &dyn super::Respond,
    cmd: Refund,
) -> ApiResult<Value> {
    super::refund_account::check(&cmd.charge, rc.now, cmd.refund_account.as_ref())?;
    let to_payer = super::refund_account::is_bank_transfer(&cmd.charge);
    let amount = refundable(&cmd.charge, cmd.amount)?;
    let id = crate::ids::new_id("re");
    let (connector, prepared) = match &cmd.refund_account {
        Some(to) => {
            let connector = rc.st.connectors.get(Counterparty::Bank)?.clone();
            let prepared = connector
                .prepare_transfer(&id, to, amount.minor(), amount.currency().numeric())
                .map_err(ApiError::internal)?;
            (connector, prepared)
        }
        None => {
            let net = cmd
                .charge
                .net
                .as_ref()
                .ok_or_else(|| ApiError::internal("charge without network reference"))?;
            let connector = rc.st.connectors.get(cmd.charge.processor)?.clone();
            let prepared = if to_payer {
                connector.prepare_payer_refund(
                    &id,
                    &net.net_ref,
                    amount.minor(),
                    net.currency_numeric,
                )
            } else {
                connector.prepare_follow_up(
                    FollowUpKind::Refund,
                    &net.net_ref,
                    &net.rrn,
                    amount.minor(),
                    net.currency_numeric,
                )
            }
            .map_err(ApiError::internal)?;
            (connector, prepared)
        }
    };
    let phases = RefundPhases {
        draft: Draft {
            id,
            amount,
            reason: cmd.reason,
            metadata: cmd.metadata,
            destination: match &cmd.refund_account {
                Some(a) => Some(super::refund_account::destination_details(a)),
                None if to_payer => Some(super::refund_account::payer_destination(&cmd.charge)),
                None => None,
            },
        },
        record: prepared.record.clone(),
        prepared: Some(prepared),
        charge: cmd.charge,
        charge_version: cmd.charge_version,
        connector,
    };
    super::run(rc, respond, phases).await
}

impl Phases for RefundPhases {
    type Reply = FollowUpAnswer;

    fn record(&mut self, rc: &RequestContext) -> ApiResult<Recorded> {
        let ch = &mut self.charge;
        ch.refund_reserved += self.draft.amount.minor();
        Ok(Recorded {
            ops: vec![update(&ch.id, self.charge_version, &to_value(&*ch))],
            attempt_id: format!("{}:refund", self.draft.id),
            attempt: AttemptRecord::Refund {
                charge: ch.id.clone(),
                refund: self.draft.id.clone(),
                follow_up: self.record.clone(),
                processor: Some(self.connector.counterparty()),
                reason: self.draft.reason.clone(),
                metadata: self.draft.metadata.clone(),
                idempotency_key: rc.idempotency_key().map(str::to_string),
                destination: self.draft.destination.clone(),
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
            let ok = follow_up::approved(reply, "refund")?;
            let processor = self.connector.counterparty();
            let (ops, refund) = writes(
                &rc.scope(),
                processor,
                self.charge,
                self.charge_version + 1,
                self.draft,
                ok,
                rc.idempotency_key(),
                rc.now,
            )?;
            Ok(Settled {
                ops,
                answer: Ok(Answer {
                    primary: refund,
                    charge: None,
                }),
                keep_attempt: false,
                undo: None,
                counter: ok.then_some(crate::metrics::Counted::Refund),
            })
        })
    }
}

/// The writes that record a refund's answer: the refund object, the charge (reservation
/// released, refunded amount on success), the ledger entry and balance transaction, events.
#[allow(clippy::too_many_arguments)]
fn writes(
    scope: &Scope,
    processor: Counterparty,
    mut ch: Charge,
    ch_version: i64,
    draft: Draft,
    ok: bool,
    key: Option<&str>,
    now: i64,
) -> ApiResult<(Vec<Op>, Value)> {
    let amount = draft.amount;
    ch.refund_reserved = (ch.refund_reserved - amount.minor()).max(0);
    let mut re = RefundDoc {
        id: draft.id,
        object: "refund".into(),
        amount: amount.minor(),
        balance_transaction: None,
        charge: ch.id.clone(),
        created: now,
        currency: ch.currency.clone(),
        failure_reason: None,
        metadata: draft.metadata,
        payment_intent: ch.payment_intent.clone(),
        reason: draft.reason,
        status: RefundStatus::Succeeded,
        destination_details: draft.destination,
    };
    let mut ops = Vec::new();
    if ok {
        let (posting, txn_id) = refund_postings(scope, processor, &re.id, amount, now)?;
        ops.extend(posting);
        re.balance_transaction = Some(txn_id);
        ch.amount_refunded += amount.minor();
        ch.refunded = refunded_of_captured(&ch) >= ch.amount_captured;
    } else {
        re.status = RefundStatus::Failed;
        re.failure_reason = Some("declined".into());
    }
    let re_doc = to_value(&re);
    let ch_doc = to_value(&ch);
    ops.push(insert(scope, "refund", Some(&ch.id), &re_doc, now));
    ops.push(update(&ch.id, ch_version, &ch_doc));
    ops.push(event(scope, "refund.created", &re_doc, key, now));
    let (follow, doc) = if ok {
        ("charge.refunded", &ch_doc)
    } else {
        ("refund.failed", &re_doc)
    };
    ops.push(event(scope, follow, doc, key, now));
    Ok((ops, re_doc))
}

/// The ledger entry and balance transaction of an approved refund: the money goes back from
/// the merchant's balance through the processor's receivable. Returns the ops and the balance
/// transaction's id.
fn refund_postings(
    scope: &Scope,
    processor: paygate_ledger::Counterparty,
    refund_id: &str,
    amount: Money,
    now: i64,
) -> ApiResult<(Vec<Op>, String)> {
    let currency = amount.currency();
    let txn = balance_txn(
        scope,
        "refund",
        refund_id,
        currency,
        -amount.minor(),
        0,
        now,
        "available",
        now,
    );
    let entry = paygate_ledger::refund(
        format!("refund:{refund_id}"),
        processor,
        &scope.merchant_id,
        scope.livemode,
        currency,
        amount.minor(),
        refund_id,
    )
    .map_err(ApiError::internal)?;
    Ok((vec![ledger(entry, now), txn.op], txn.id))
}

/// Recovery of a refund whose answer was lost: ask again with a repeat and record what the
/// counterparty says.
pub async fn recover(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    record: &AttemptRecord,
    ops: &mut Vec<Op>,
) -> Result<bool, String> {
    let AttemptRecord::Refund {
        charge,
        refund,
        follow_up,
        reason,
        metadata,
        idempotency_key,
        destination,
        ..
    } = record
    else {
        return Ok(false);
    };
    let Resent {
        amount,
        approved,
        charge_version,
        charge: ch,
    } = follow_up::resend_for(st, connector, scope, follow_up, charge).await?;
    let draft = Draft {
        id: refund.clone(),
        amount: ch.money(amount).map_err(super::recovery::detail)?,
        reason: reason.clone(),
        metadata: metadata.clone(),
        destination: destination.clone(),
    };
    let (writes, refund) = writes(
        scope,
        record.processor(),
        ch,
        charge_version,
        draft,
        approved,
        None,
        st.now(),
    )
    .map_err(super::recovery::detail)?;
    tracing::info!(charge = %charge, refund_approved = approved, "finished an interrupted refund from the network's recorded answer");
    ops.extend(writes);
    // The refund happened (or was declined) at the network: the client's retry with the same
    // key must get this refund back, not make a second one (`paygate chaos` found the double
    // refund a released key allowed). The stored answer is the refund as the request would
    // have answered it (without `expand[]`).
    let Some(key) = idempotency_key else {
        return Ok(false);
    };
    // Only a key still in flight (a pruned one is gone; a finished one keeps its answer).
    let in_flight = st
        .store
        .idempotency_get(scope, key)
        .await
        .map_err(|e| e.to_string())?
        .is_some_and(|row| row.state == "in_flight");
    if !in_flight {
        return Ok(false);
    }
    ops.push(Op::IdempotencyFinish {
        scope: scope.clone(),
        key: key.clone(),
        status: 200,
        body: crate::render::public(refund).to_string(),
    });
    Ok(false)
}
