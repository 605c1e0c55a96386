//! What the carrier page does to the intent: charge it through the engine once the carrier
//! accepted the subscriber's code ([`pay`]), or fail it with the carrier's refusal ([`fail`]).

use super::CarrierPayment;
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::payment::AuthPayment;
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::{event, insert, update};
use crate::render::public;
use crate::state::SharedState;
use paygate_payments::intent::check;
use paygate_payments::{BoxFuture, Decline, IntentOp, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, WriteUnit};
use serde_json::{Value, json};

/// The carrier's confirmed payment, as the page knows it.
pub struct Confirmed<'a> {
    pub carrier: &'a str,
    pub transaction: &'a str,
    pub phone_last4: &'a str,
}

struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

async fn context(st: &SharedState, row: &ObjectRow) -> ApiResult<RequestContext> {
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the intent's merchant is missing"))?;
    Ok(RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant,
        row.livemode,
        None,
    ))
}

/// Charges the intent in `row` with the carrier payment `c`: a `mobile_carrier`
/// PaymentMethod (carrier, last 4 digits) and the engine's `Authorize`. Ok is the public
/// intent, Err the Stripe error (a refusal leaves it in `requires_payment_method`).
pub async fn pay(st: &SharedState, row: &ObjectRow, c: &Confirmed<'_>) -> ApiResult<Value> {
    let pi: PaymentIntent = from_value(row.data.clone())?;
    check(pi.status, IntentOp::Confirm).map_err(ApiError::from)?;
    let rc = context(st, row).await?;
    let pm = json!({
        "id": new_id("pm"), "object": "payment_method", "type": "mobile_carrier",
        "mobile_carrier": {"carrier": c.carrier, "phone_last4": c.phone_last4},
        "billing_details": {"address": null, "email": null, "name": null, "phone": null},
        "created": rc.now, "customer": null, "livemode": row.livemode, "metadata": {},
    });
    let payment = CarrierPayment {
        pm_id: pm["id"].as_str().unwrap_or_default().to_owned(),
        new_ops: vec![insert(&rc.scope(), "payment_method", None, &pm, rc.now)],
        pm,
        carrier: c.carrier.to_owned(),
        transaction: c.transaction.to_owned(),
    };
    let mut pi = pi;
    pi.next_action = None;
    let cmd = Authorize {
        intent: pi,
        version: Some(row.version),
        pre: Vec::new(),
        payment: AuthPayment::MobileCarrier(payment),
        authentication: None,
        three_d_secure: None,
        isp: None,
        easy_pay: None,
        credential_on_file: None,
        card_present: None,
    };
    authorize(&rc, &Plain, cmd).await
}

/// The carrier refused before any charge (no subscriber, a minor, the limit, five wrong
/// codes): the intent goes back to `requires_payment_method` with the carrier's code as
/// `last_payment_error` and `payment_intent.payment_failed` is emitted.
pub async fn fail(st: &SharedState, row: &ObjectRow, decline: Decline) -> ApiResult<()> {
    let mut pi: PaymentIntent = from_value(row.data.clone())?;
    if pi.status != Status::RequiresAction {
        return Ok(());
    }
    let rc = context(st, row).await?;
    pi.status = Status::RequiresPaymentMethod;
    pi.next_action = None;
    pi.payment_method = None;
    let err = ApiError::card(decline.code, Some(decline.decline_code), decline.message);
    pi.last_payment_error = Some(err.body()["error"].clone());
    let doc = to_value(&pi);
    let scope = rc.scope();
    let ops = vec![
        update(&pi.id, row.version, &doc),
        event(&scope, "payment_intent.payment_failed", &doc, None, rc.now),
    ];
    st.store
        .commit(WriteUnit { ops })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(())
}
