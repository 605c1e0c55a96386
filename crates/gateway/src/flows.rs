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

use crate::cards::{AuthCard, Decline, card_from_params, decline_for, network_failure, saved_card};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::models::{Charge, NetState, PaymentIntent, to_value};
use crate::postings::{balance_txn, ledger, merchant_fee, settle_days};
use crate::records::{event, insert, update};
use crate::render::{expand, public};
use crate::state::AppState;
use axum::http::StatusCode;
use paygate_ledger::{Counterparty, Currency};
use paygate_network::link::{AuthKind, AuthOutcome, AuthRequest, LinkError, NetRef};
use paygate_payments::clock::day_plus;
use paygate_payments::{
    AttemptRecord, CaptureMethod, ChargeStatus, ConnectorRef, PaymentIntentStatus as Status,
};
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde_json::{Map, Value, json};
use std::sync::Arc;

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

fn card_details(card: &AuthCard, net: Option<&AuthOutcome>, cvc_check: Option<&str>) -> Value {
    let c = &card.pm["card"];
    let mut checks =
        json!({"address_line1_check": null, "address_postal_code_check": null, "cvc_check": null});
    checks["cvc_check"] = match (card.cvc.is_some(), cvc_check) {
        (false, _) => Value::Null,
        (true, Some(r)) => json!(r),
        (true, None) => json!("unchecked"),
    };
    json!({
        "type": "card",
        "card": {
            "brand": c["brand"],
            "last4": c["last4"],
            "exp_month": c["exp_month"],
            "exp_year": c["exp_year"],
            "fingerprint": c["fingerprint"],
            "funding": c["funding"],
            "country": c["country"],
            "network": c["brand"],
            "checks": checks,
            "network_transaction_id": net.and_then(|o| o.rrn.clone()),
            "authorization_code": net.and_then(|o| o.approval_code.clone()),
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn new_charge(
    pi: &PaymentIntent,
    card: &AuthCard,
    outcome: Option<&AuthOutcome>,
    status: ChargeStatus,
    captured: bool,
    cvc_check: Option<&str>,
    outcome_doc: Value,
    now: i64,
) -> Charge {
    Charge {
        id: new_id("ch"),
        object: "charge".into(),
        amount: pi.amount,
        amount_captured: if captured { pi.amount } else { 0 },
        amount_refunded: 0,
        balance_transaction: None,
        captured,
        created: now,
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        description: pi.description.clone(),
        failure_code: None,
        failure_message: None,
        livemode: pi.livemode,
        metadata: pi.metadata.clone(),
        outcome: outcome_doc,
        paid: status == ChargeStatus::Succeeded,
        payment_intent: Some(pi.id.clone()),
        payment_method: Some(card.pm_id.clone()),
        payment_method_details: card_details(card, outcome, cvc_check),
        refunded: false,
        status,
        net: None,
        processor: Counterparty::CardNetwork,
        refund_reserved: 0,
    }
}

#[allow(clippy::too_many_arguments)]
async fn approved(
    ctx: &Ctx,
    mut pi: PaymentIntent,
    pi_version: i64,
    card: &AuthCard,
    o: AuthOutcome,
    currency: Currency,
    attempt_id: &str,
    expands: Vec<String>,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let auto = pi.capture_method == CaptureMethod::Automatic;
    let outcome_doc = json!({
        "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
        "seller_message": "Payment complete.", "type": "authorized"
    });
    let cvc_check = card.cvc.as_ref().map(|_| "pass");
    let mut ch = new_charge(
        &pi,
        card,
        Some(&o),
        ChargeStatus::Succeeded,
        auto,
        cvc_check,
        outcome_doc,
        ctx.now,
    );
    ch.net = Some(NetState {
        net_ref: o.net_ref.clone(),
        rrn: o.rrn.clone().unwrap_or_default(),
        approval_code: o.approval_code.clone(),
        currency_numeric: currency.numeric(),
    });
    pi.latest_charge = Some(ch.id.clone());
    let mut unit = WriteUnit::default();
    let mut events = Vec::new();
    if auto {
        pi.status = Status::Succeeded;
        pi.amount_received = pi.amount;
        let merchant = ctx.caller.merchant.clone();
        post_capture(
            &scope, &merchant, &mut ch, currency, pi.amount, ctx.now, &mut unit,
        )?;
    } else {
        pi.status = Status::RequiresCapture;
        pi.amount_capturable = pi.amount;
    }
    let pi_doc = to_value(&pi);
    let ch_doc = to_value(&ch);
    events.push(event(
        &scope,
        "charge.succeeded",
        &ch_doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    let pi_event = if auto {
        "payment_intent.succeeded"
    } else {
        "payment_intent.amount_capturable_updated"
    };
    events.push(event(
        &scope,
        pi_event,
        &pi_doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    unit.ops
        .push(insert(&scope, "charge", Some(&pi.id), &ch_doc, ctx.now));
    unit.ops.push(update(&pi.id, pi_version, &pi_doc));
    unit.ops.extend(events);
    unit.ops.push(Op::DeleteAttempt {
        id: attempt_id.to_string(),
    });
    let body = expand(&ctx.st, &ctx.caller, public(pi_doc.clone()), &[]).await?;
    let body = expand_with(ctx, body, &ch_doc, &expands).await?;
    ctx.finish(&mut unit, StatusCode::OK, &body);
    if let Err(e) = ctx.commit_outcome(unit).await {
        // The network approved but the outcome could not be stored: undo it at the network.
        // The attempt record stays, so recovery also reverses it if this process dies now.
        let st = ctx.st.clone();
        let net_ref = o.net_ref.clone();
        let amount = pi.amount;
        tokio::spawn(async move {
            if let Err(err) = st.link.reverse(&net_ref, amount, currency.numeric()).await {
                tracing::error!(error = %err, "reversal after failed commit did not complete; recovery will retry");
            }
        });
        return Err(e);
    }
    crate::metrics::Metrics::incr(&ctx.st.metrics.payments_succeeded);
    Ok(body)
}

/// Expands `latest_charge` from the in-hand charge (it is not committed yet when the body is
/// built), and any other path through the store.
pub async fn expand_with(
    ctx: &Ctx,
    mut body: Value,
    ch_doc: &Value,
    expands: &[String],
) -> ApiResult<Value> {
    let mut rest = Vec::new();
    for e in expands {
        if e == "latest_charge" {
            body["latest_charge"] = public(ch_doc.clone());
        } else if let Some(sub) = e.strip_prefix("latest_charge.") {
            let ch = expand(
                &ctx.st,
                &ctx.caller,
                public(ch_doc.clone()),
                &[sub.to_string()],
            )
            .await?;
            body["latest_charge"] = ch;
        } else {
            rest.push(e.clone());
        }
    }
    expand(&ctx.st, &ctx.caller, body, &rest).await
}

/// Ledger entry, balance transaction and charge fields for capturing `amount`.
pub fn post_capture(
    scope: &Scope,
    merchant: &paygate_store::MerchantRow,
    ch: &mut Charge,
    currency: Currency,
    amount: i64,
    now: i64,
    unit: &mut WriteUnit,
) -> ApiResult<()> {
    let fee = merchant_fee(merchant, currency.code()).compute(amount);
    let txn = balance_txn(
        scope,
        "charge",
        &ch.id,
        currency,
        amount,
        fee,
        day_plus(now, settle_days(merchant)),
        "pending",
        now,
    );
    let entry = paygate_ledger::capture(
        format!("capture:{}", txn.id),
        ch.processor,
        &scope.merchant_id,
        scope.livemode,
        currency,
        amount,
        fee,
        &ch.id,
    )
    .map_err(ApiError::internal)?;
    ch.amount_captured = amount;
    ch.captured = true;
    ch.balance_transaction = Some(txn.id.clone());
    unit.ops.push(ledger(entry, now));
    unit.ops.push(txn.op);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn failed(
    ctx: &Ctx,
    mut pi: PaymentIntent,
    pi_version: i64,
    card: &AuthCard,
    o: Option<AuthOutcome>,
    decline: Decline,
    _currency: Currency,
    attempt_id: &str,
    reversal: Option<tokio::task::JoinHandle<()>>,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let network_status = if o.is_some() {
        "declined_by_network"
    } else {
        "not_sent_to_network"
    };
    let outcome_doc = json!({
        "network_status": network_status,
        "reason": decline.decline_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": decline.outcome_type,
        "network_advice_code": null,
        "network_decline_code": o.as_ref().map(|o| o.response_code.clone()),
    });
    let cvc_check = if decline.code == "incorrect_cvc" {
        Some("fail")
    } else {
        None
    };
    let mut ch = new_charge(
        &pi,
        card,
        o.as_ref(),
        ChargeStatus::Failed,
        false,
        cvc_check,
        outcome_doc,
        ctx.now,
    );
    ch.failure_code = Some(decline.code.into());
    ch.failure_message = Some(decline.message.into());
    let mut err = ApiError::card(decline.code, Some(decline.decline_code), decline.message);
    if decline.code == "incorrect_cvc" {
        err.param = Some("cvc".into());
    }
    let mut last_error: Map<String, Value> = match err.body()["error"].clone() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    last_error.insert("charge".into(), json!(ch.id));
    last_error.insert("payment_method".into(), public(card.pm.clone()));
    pi.status = Status::RequiresPaymentMethod;
    pi.last_payment_error = Some(Value::Object(last_error));
    pi.latest_charge = Some(ch.id.clone());
    pi.payment_method = None;
    let pi_doc = to_value(&pi);
    let ch_doc = to_value(&ch);
    let err = err
        .with_extra("charge", json!(ch.id))
        .with_extra("payment_intent", public(pi_doc.clone()))
        .with_extra("payment_method", public(card.pm.clone()));
    let mut unit = WriteUnit::default();
    unit.ops
        .push(insert(&scope, "charge", Some(&pi.id), &ch_doc, ctx.now));
    unit.ops.push(update(&pi.id, pi_version, &pi_doc));
    unit.ops.push(event(
        &scope,
        "charge.failed",
        &ch_doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    unit.ops.push(event(
        &scope,
        "payment_intent.payment_failed",
        &pi_doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    if reversal.is_none() {
        unit.ops.push(Op::DeleteAttempt {
            id: attempt_id.to_string(),
        });
    }
    // Otherwise the "authorizing" attempt (with its network reference) stays until the
    // background reversal is acknowledged; recovery redoes the reversal if this process dies.
    ctx.finish(&mut unit, err.status, &err.body());
    ctx.commit_outcome(unit).await?;
    Err(err)
}

/// Reverses a failed authorization in the background; deletes the attempt once the network
/// acknowledged it.
fn spawn_reversal(
    st: Arc<AppState>,
    e: LinkError,
    net_ref: NetRef,
    amount: i64,
    currency_numeric: u16,
    attempt_id: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::metrics::Metrics::incr(&st.metrics.reversals);
        let done = match e {
            LinkError::TimedOut { reversal, .. } => reversal.wait().await.is_ok(),
            _ => st
                .link
                .reverse(&net_ref, amount, currency_numeric)
                .await
                .is_ok(),
        };
        if done {
            // Wait until the failure commit removed the "authorizing" state, then clear.
            let unit = WriteUnit {
                ops: vec![Op::DeleteAttempt { id: attempt_id }],
            };
            if let Err(err) = st.store.commit(unit).await {
                tracing::warn!(error = %err, "could not clear a finished reversal; recovery will");
            }
        }
    })
}

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
                net_ref: ConnectorRef(json!(net.net_ref)),
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
            .link
            .reverse(&net.net_ref, pi.amount, net.currency_numeric)
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
