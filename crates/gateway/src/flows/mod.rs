//! Payment flows that talk to the card network, built as atomic phases.
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

use outcome::{approved, failed, spawn_reversal};

pub use cancel::cancel;
pub use outcome::{expand_with, post_capture};

use crate::cards::{AuthCard, card_from_params, decline_for, network_failure, saved_card};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::models::{PaymentIntent, to_value};
use crate::records::update;
use paygate_ledger::Currency;
use paygate_network::link::{AuthKind, AuthRequest};
use paygate_payments::{AttemptRecord, CaptureMethod, ConnectorRef, PaymentIntentStatus as Status};
use paygate_store::{AttemptRow, Op, WriteUnit};
use serde_json::{Value, json};

/// DE 22 for card-not-present e-commerce (PAN keyed by the cardholder, no PIN capability).
pub const POS_ENTRY_ECOMMERCE: &str = "812";

/// The card-acceptor id (DE 42, 15 characters) for a merchant.
pub fn acceptor_id(merchant_id: &str) -> String {
    let tail: String = merchant_id
        .chars()
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{tail:<15}")
}

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
    let auto = pi.capture_method == CaptureMethod::Automatic;
    let cvc = card.cvc.as_ref().map(|c| c.expose().to_string());
    let expiry = card.expiry.yymm();
    let merchant = acceptor_id(&scope.merchant_id);
    let prepared = ctx
        .st
        .link
        .prepare_auth(&AuthRequest {
            kind: if auto {
                AuthKind::Purchase
            } else {
                AuthKind::Authorization
            },
            pan: card.pan.expose(),
            expiry_yymm: &expiry,
            cvc: cvc.as_deref(),
            amount_minor: pi.amount,
            currency_numeric: currency.numeric(),
            merchant_id: &merchant,
            pos_entry_mode: POS_ENTRY_ECOMMERCE,
            eci: None,
            cavv_b64: None,
            track2: None,
            icc: None,
        })
        .map_err(ApiError::internal)?;
    drop(cvc);
    let net_ref = prepared.net_ref.clone();

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
            net_ref: ConnectorRef(json!(net_ref)),
            amount: pi.amount,
            currency_numeric: currency.numeric(),
            idempotency_key: ctx.idempotency_key().map(str::to_string),
        }
        .to_stored(),
    }));
    ctx.commit(unit).await?;

    // Phase 2: the network.
    let outcome = ctx.st.link.send_auth(prepared).await;
    if ctx.st.cfg.fault_delay_after_auth_ms > 0 {
        tracing::warn!("fault injection: delaying the outcome commit");
        tokio::time::sleep(std::time::Duration::from_millis(
            ctx.st.cfg.fault_delay_after_auth_ms,
        ))
        .await;
    }

    // Phase 3: the outcome.
    match outcome {
        Ok(o) if o.approved() => {
            approved(
                ctx,
                pi,
                pi_version,
                &card,
                o,
                currency,
                &attempt_id,
                expands,
            )
            .await
        }
        Ok(o) => {
            crate::metrics::Metrics::incr(&ctx.st.metrics.payments_declined);
            let decline = decline_for(&o.response_code);
            failed(
                ctx,
                pi,
                pi_version,
                &card,
                Some(o),
                decline,
                currency,
                &attempt_id,
                None,
            )
            .await
        }
        Err(e) => {
            crate::metrics::Metrics::incr(&ctx.st.metrics.payments_failed_network);
            tracing::warn!(payment_intent = %pi.id, error = %e, "authorization failed on the link; reversing");
            let reversal = spawn_reversal(
                ctx.st.clone(),
                e,
                net_ref,
                pi.amount,
                currency.numeric(),
                attempt_id.clone(),
            );
            failed(
                ctx,
                pi,
                pi_version,
                &card,
                None,
                network_failure(),
                currency,
                &attempt_id,
                Some(reversal),
            )
            .await
        }
    }
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
