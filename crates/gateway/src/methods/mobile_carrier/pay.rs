//! What the carrier page does to the intent: charge it through the engine once the carrier
//! accepted the subscriber's code ([`pay`]), or fail it with the carrier's refusal ([`fail`]).

use super::CarrierPayment;
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::payment::AuthPayment;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::methods::page_outcome::{Plain, context};
use crate::models::{PaymentIntent, from_value};
use crate::records::insert;
use crate::state::SharedState;
use paygate_payments::IntentOp;
use paygate_payments::intent::check;
use paygate_store::ObjectRow;
use serde_json::{Value, json};

/// The carrier's confirmed payment, as the page knows it.
pub struct Confirmed<'a> {
    pub carrier: &'a str,
    pub transaction: &'a str,
    pub phone_last4: &'a str,
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
/// codes): the intent fails with the carrier's code (`page_outcome::fail`).
pub use crate::methods::page_outcome::fail;
