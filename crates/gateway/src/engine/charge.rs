//! The Charge documents an authorization creates (approved or failed) and the postings of a
//! capture: one place for what a charge says about its payment method, its network answer and
//! its money.

use super::payment::{AuthPayment, NetIds};
use crate::cards::AuthCard;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::models::{Charge, NetState, PaymentIntent};
use crate::postings::{balance_txn, ledger, merchant_fee, settle_days};
use paygate_ledger::Counterparty;
use paygate_payments::clock::day_plus;
use paygate_payments::{ChargeStatus, ConnectorRef, Decline, Money};
use paygate_store::{MerchantRow, Scope, WriteUnit};
use serde_json::{Value, json};

/// An approval as the connector reported it.
pub struct Approval {
    pub reference: ConnectorRef,
    pub approval_code: Option<String>,
    pub network_transaction_id: Option<String>,
    /// A wallet payment's funding card's last 4 digits, as the network named them.
    pub funding_last4: Option<String>,
}

/// A refusal as the connector reported it.
pub struct Refusal {
    pub network_code: String,
    pub network_transaction_id: Option<String>,
}

/// A card's `payment_method_details`.
pub(super) fn card_details(card: &AuthCard, net: NetIds<'_>, cvc_check: Option<&str>) -> Value {
    // The card's details sit under the PaymentMethod's type (`card`, or `isp`, whose charge
    // details the ISP method rewrites: `crate::methods::isp::evidence`).
    let c = &card.pm[card.pm["type"].as_str().unwrap_or("card")];
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

/// What every new charge of `pi` starts as.
fn new_charge(
    pi: &PaymentIntent,
    payment: &AuthPayment,
    processor: Counterparty,
    now: i64,
) -> Charge {
    Charge {
        id: new_id("ch"),
        object: "charge".into(),
        amount: pi.amount,
        amount_captured: 0,
        amount_refunded: 0,
        balance_transaction: None,
        captured: false,
        created: now,
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        description: pi.description.clone(),
        failure_code: None,
        failure_message: None,
        livemode: pi.livemode,
        metadata: pi.metadata.clone(),
        outcome: Value::Null,
        paid: false,
        payment_intent: Some(pi.id.clone()),
        payment_method: Some(payment.pm_id().to_string()),
        payment_method_details: Value::Null,
        refunded: false,
        status: ChargeStatus::Failed,
        net: None,
        processor,
        refund_reserved: 0,
    }
}

/// The charge of an approved authorization (not captured yet: see [`post_capture`]).
pub fn approved_charge(
    pi: &PaymentIntent,
    payment: &AuthPayment,
    processor: Counterparty,
    approval: &Approval,
    money: Money,
    now: i64,
) -> Charge {
    let mut ch = new_charge(pi, payment, processor, now);
    let net = (
        approval.network_transaction_id.as_deref(),
        approval.approval_code.as_deref(),
    );
    ch.status = ChargeStatus::Succeeded;
    ch.paid = true;
    ch.outcome = json!({
        "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
        "seller_message": "Payment complete.", "type": "authorized"
    });
    let cvc = payment.card().and_then(|c| c.cvc.as_ref());
    ch.payment_method_details = payment.charge_details(net, cvc.map(|_| "pass"));
    ch.net = Some(NetState {
        net_ref: approval.reference.clone(),
        rrn: approval.network_transaction_id.clone().unwrap_or_default(),
        approval_code: approval.approval_code.clone(),
        currency_numeric: money.currency().numeric(),
    });
    ch
}

/// The charge of a refused authorization (`refusal` is `None` when no answer came back).
pub fn failed_charge(
    pi: &PaymentIntent,
    payment: &AuthPayment,
    processor: Counterparty,
    refusal: Option<&Refusal>,
    decline: Decline,
    now: i64,
) -> Charge {
    let mut ch = new_charge(pi, payment, processor, now);
    let network_status = if refusal.is_some() {
        "declined_by_network"
    } else {
        "not_sent_to_network"
    };
    ch.outcome = json!({
        "network_status": network_status,
        "reason": decline.decline_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": decline.outcome_type,
        "network_advice_code": null,
        "network_decline_code": refusal.map(|r| r.network_code.as_str()),
    });
    let cvc_check = (decline.code == "incorrect_cvc").then_some("fail");
    let ntid = refusal.and_then(|r| r.network_transaction_id.as_deref());
    ch.payment_method_details = payment.charge_details((ntid, None), cvc_check);
    ch.failure_code = Some(decline.code.into());
    ch.failure_message = Some(decline.message.into());
    ch
}

/// Ledger entry, balance transaction and charge fields for capturing `amount` of `ch`.
pub fn post_capture(
    scope: &Scope,
    merchant: &MerchantRow,
    ch: &mut Charge,
    amount: Money,
    now: i64,
    unit: &mut WriteUnit,
) -> ApiResult<()> {
    let currency = amount.currency();
    let fee = merchant_fee(merchant, currency.code()).compute(amount.minor());
    let txn = balance_txn(
        scope,
        "charge",
        &ch.id,
        currency,
        amount.minor(),
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
        amount.minor(),
        fee,
        &ch.id,
    )
    .map_err(ApiError::internal)?;
    ch.amount_captured = amount.minor();
    ch.captured = true;
    ch.balance_transaction = Some(txn.id.clone());
    unit.ops.push(ledger(entry, now));
    unit.ops.push(txn.op);
    Ok(())
}
