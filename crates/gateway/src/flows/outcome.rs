//! The outcome of an authorization (phase 3 of `confirm`): the charge, the intent, the ledger
//! entry and events for an approval; the failed charge and error for a decline or a failure
//! on the link, with the reversal that undoes a message whose answer was lost.

use crate::cards::AuthCard;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::models::{Charge, NetState, PaymentIntent, to_value};
use crate::postings::{balance_txn, ledger, merchant_fee, settle_days};
use crate::records::{event, insert, update};
use crate::render::{expand, public};
use crate::state::AppState;
use axum::http::StatusCode;
use paygate_ledger::Currency;
use paygate_network::link::NetRef;
use paygate_payments::clock::day_plus;
use paygate_payments::{
    BoxFuture, CaptureMethod, ChargeStatus, ConnectorError, ConnectorRef, Decline,
    PaymentIntentStatus as Status,
};
use paygate_store::{Op, Scope, WriteUnit};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// An approval as the connector reported it.
pub(super) struct Approval {
    pub reference: ConnectorRef,
    pub approval_code: Option<String>,
    pub network_transaction_id: Option<String>,
}

/// A refusal as the connector reported it.
pub(super) struct Refusal {
    pub network_code: String,
    pub network_transaction_id: Option<String>,
}

/// Why an authorization failed.
pub(super) enum Failure {
    /// The counterparty said no.
    Declined(Refusal, Decline),
    /// No trustworthy answer; the authorization is being reversed in the background.
    Reversing(tokio::task::JoinHandle<()>),
}

/// The network's names of the answer: (transaction id, approval code).
type NetIds<'a> = (Option<&'a str>, Option<&'a str>);

fn card_details(card: &AuthCard, net: NetIds<'_>, cvc_check: Option<&str>) -> Value {
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
            "network_transaction_id": net.0,
            "authorization_code": net.1,
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn new_charge(
    pi: &PaymentIntent,
    card: &AuthCard,
    net: NetIds<'_>,
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
        payment_method_details: card_details(card, net, cvc_check),
        refunded: false,
        status,
        net: None,
        processor: paygate_ledger::Counterparty::CardNetwork,
        refund_reserved: 0,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn approved(
    ctx: &Ctx,
    mut pi: PaymentIntent,
    pi_version: i64,
    card: &AuthCard,
    o: Approval,
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
        (
            o.network_transaction_id.as_deref(),
            o.approval_code.as_deref(),
        ),
        ChargeStatus::Succeeded,
        auto,
        cvc_check,
        outcome_doc,
        ctx.now,
    );
    ch.processor = ctx.st.connector.counterparty();
    ch.net = Some(NetState {
        net_ref: NetRef::deserialize(&o.reference.0).map_err(ApiError::internal)?,
        rrn: o.network_transaction_id.clone().unwrap_or_default(),
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
        let net_ref = o.reference;
        let amount = pi.amount;
        tokio::spawn(async move {
            let reversal = st.connector.reverse(&net_ref, amount, currency.numeric());
            if let Err(err) = reversal.await {
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

pub(super) async fn failed(
    ctx: &Ctx,
    mut pi: PaymentIntent,
    pi_version: i64,
    card: &AuthCard,
    failure: Failure,
    attempt_id: &str,
) -> ApiResult<Value> {
    let scope = ctx.scope();
    let (refusal, decline, reversal) = match failure {
        Failure::Declined(r, d) => (Some(r), d, None),
        Failure::Reversing(h) => (None, Decline::PROCESSING_ERROR, Some(h)),
    };
    let network_status = if refusal.is_some() {
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
        "network_decline_code": refusal.as_ref().map(|r| r.network_code.as_str()),
    });
    let cvc_check = if decline.code == "incorrect_cvc" {
        Some("fail")
    } else {
        None
    };
    let mut ch = new_charge(
        &pi,
        card,
        (
            refusal
                .as_ref()
                .and_then(|r| r.network_transaction_id.as_deref()),
            None,
        ),
        ChargeStatus::Failed,
        false,
        cvc_check,
        outcome_doc,
        ctx.now,
    );
    ch.processor = ctx.st.connector.counterparty();
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
pub(super) fn spawn_reversal(
    st: Arc<AppState>,
    running: Option<BoxFuture<'static, Result<(), ConnectorError>>>,
    net_ref: ConnectorRef,
    amount: i64,
    currency_numeric: u16,
    attempt_id: String,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::metrics::Metrics::incr(&st.metrics.reversals);
        let done = match running {
            Some(reversal) => reversal.await.is_ok(),
            None => st
                .connector
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
