//! Payment flows that talk to the counterparty through `AppState::connector`, built as
//! atomic phases.
//!
//! Each flow is: (1) one commit that records the intent to act — the object moves to a
//! transitional state, a recovery record (attempt) names the network message that is about to
//! go out, and the idempotency key is marked in flight; (2) the network round trip;
//! (3) one commit with the outcome — object states, charge, ledger postings, balance
//! transactions, events, stored response — which also deletes the recovery record.
//! A process that dies between (1) and (3) leaves the attempt behind; `recovery` reverses it at
//! the network and returns the payment to a retryable state, so no one is charged without the
//! merchant knowing and no one is charged twice.

mod cancel;
mod outcome;

use outcome::{Approval, Failure, Refusal, approved, failed, spawn_reversal};

pub use cancel::cancel;
pub use outcome::{expand_with, post_capture};

use crate::cards::{AuthCard, card_from_params, saved_card};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::models::{PaymentIntent, to_value};
use crate::records::update;
use paygate_ledger::Currency;
use paygate_payments::{
    AttemptRecord, AuthorizationOutcome, AuthorizationRequest, CaptureMethod,
    PaymentIntentStatus as Status, PaymentMethodData,
};
use paygate_store::{AttemptRow, Op, WriteUnit};
use serde_json::Value;

/// Confirms `pi` with a card: the card comes from `payment_method_data`, a saved
/// PaymentMethod or a test token. `version` is `None` when `pre` inserts the intent.
pub async fn confirm(
    ctx: &mut Ctx,
    mut pi: PaymentIntent,
    version: Option<i64>,
    pre: Vec<Op>,
    expands: Vec<String>,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let card = resolve_card(ctx, &pi).await?;
    let currency = Currency::parse(&pi.currency).map_err(ApiError::internal)?;
    let prepared = ctx
        .st
        .connector
        .prepare_authorization(&AuthorizationRequest {
            method: PaymentMethodData::Card {
                pan: &card.pan,
                expiry: &card.expiry,
                cvc: card.cvc.as_ref(),
            },
            amount: pi.amount,
            currency,
            capture: pi.capture_method == CaptureMethod::Automatic,
            merchant_id: &scope.merchant_id,
            authentication: None,
        })
        .map_err(ApiError::internal)?;
    let net_ref = prepared.reference.clone();

    // Phase 1: record the attempt before anything leaves the building.
    pi.payment_method = Some(card.pm_id.clone());
    pi.status = Status::Processing;
    pi.last_payment_error = None;
    pi.attempts += 1;
    let attempt_id = format!("{}:{}", pi.id, pi.attempts);
    let mut unit = WriteUnit { ops: pre };
    ctx.begin(&mut unit);
    unit.ops.extend(card.new_ops.iter().cloned());
    let doc = to_value(&pi);
    let pi_version = match version {
        Some(v) => {
            unit.ops.push(update(&pi.id, v, &doc));
            v + 1
        }
        None => {
            // `pre` inserts the intent (version 0): insert it as processing right away
            // instead of inserting and then rewriting the same row in this unit.
            let inserted = unit.ops.iter_mut().find_map(|op| match op {
                Op::InsertObject(row) if row.id == pi.id => Some(row),
                _ => None,
            });
            match inserted {
                Some(row) => {
                    row.data = doc;
                    0
                }
                None => {
                    unit.ops.push(update(&pi.id, 0, &doc));
                    1
                }
            }
        }
    };
    unit.ops.push(Op::PutAttempt(AttemptRow {
        id: attempt_id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        owner_node: ctx.st.cfg.node_id.clone(),
        state: "authorizing".into(),
        created: ctx.now,
        data: AttemptRecord::Authorization {
            payment_intent: pi.id.clone(),
            net_ref: net_ref.clone(),
            amount: pi.amount,
            currency_numeric: currency.numeric(),
            idempotency_key: ctx.idempotency_key().map(str::to_string),
        }
        .to_stored(),
    }));
    ctx.commit(unit).await?;

    // Phase 2: the network.
    let outcome = ctx.st.connector.send_authorization(prepared).await;
    if ctx.st.cfg.fault_delay_after_auth_ms > 0 {
        tracing::warn!("fault injection: delaying the outcome commit");
        tokio::time::sleep(std::time::Duration::from_millis(
            ctx.st.cfg.fault_delay_after_auth_ms,
        ))
        .await;
    }

    // Phase 3: the outcome.
    let failure = match outcome {
        AuthorizationOutcome::Approved {
            reference,
            approval_code,
            network_transaction_id,
        } => {
            let answer = Approval {
                reference,
                approval_code,
                network_transaction_id,
            };
            let attempt = attempt_id.as_str();
            return approved(
                ctx, pi, pi_version, &card, answer, currency, attempt, expands,
            )
            .await;
        }
        AuthorizationOutcome::Declined {
            network_code,
            decline,
            network_transaction_id,
        } => {
            crate::metrics::Metrics::incr(&ctx.st.metrics.payments_declined);
            let answer = Refusal {
                network_code,
                network_transaction_id,
            };
            Failure::Declined(answer, decline)
        }
        AuthorizationOutcome::Unknown { why, reversal } => {
            crate::metrics::Metrics::incr(&ctx.st.metrics.payments_failed_network);
            tracing::warn!(payment_intent = %pi.id, error = %why, "authorization failed on the link; reversing");
            let reversal = spawn_reversal(
                ctx.st.clone(),
                reversal,
                net_ref,
                pi.amount,
                currency.numeric(),
                attempt_id.clone(),
            );
            Failure::Reversing(reversal)
        }
        AuthorizationOutcome::RequiresAction(_) => {
            return Err(ApiError::internal(
                "the card connector asked for a payer action it cannot take",
            ));
        }
    };
    failed(ctx, pi, pi_version, &card, failure, &attempt_id).await
}

async fn resolve_card(ctx: &mut Ctx, pi: &PaymentIntent) -> ApiResult<AuthCard> {
    let scope = ctx.scope();
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["card"])?
            .ok_or_else(|| ApiError::missing("payment_method_data[type]"))?;
        let mut card = pmd
            .object("card")?
            .ok_or_else(|| ApiError::missing("payment_method_data[card]"))?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
        return card_from_params(&ctx.st, &scope, &mut card, ctx.now);
    }
    let Some(pm_id) = pi.payment_method.clone() else {
        return Err(ApiError::unexpected_state(
            "payment_intent_unexpected_state",
            "You cannot confirm this PaymentIntent because it's missing a payment method. \
             To confirm the PaymentIntent, pass a payment_method or payment_method_data.",
        )
        .with_param("payment_method"));
    };
    let card = saved_card(&ctx.st, &scope, &pm_id, ctx.now).await?;
    if let (Some(owner), Some(customer)) = (card.pm["customer"].as_str(), pi.customer.as_deref())
        && owner != customer
    {
        return Err(ApiError::bad_param(
            "payment_method",
            "The provided PaymentMethod belongs to another Customer than this PaymentIntent.",
        ));
    }
    Ok(card)
}
