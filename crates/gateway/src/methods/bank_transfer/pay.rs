//! What the return page does once the bank said the payer approved: charge the intent
//! through the engine ([`pay`]); a refusal at the bank fails it with the bank's code
//! (`page_outcome::fail` with [`paygate_connector_bank::transfer::decline`]).

use super::TransferPayment;
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

/// The order the bank says the payer approved.
pub struct Approved<'a> {
    pub bank_code: &'a str,
    pub order_id: &'a str,
    pub account_last4: &'a str,
}

/// Charges the intent in `row` with the approved order `a`: a `bank_transfer`
/// PaymentMethod and the engine's `Authorize` (the bank confirms the debit). Ok is the
/// public intent, Err the Stripe error.
pub async fn pay(st: &SharedState, row: &ObjectRow, a: &Approved<'_>) -> ApiResult<Value> {
    let mut pi: PaymentIntent = from_value(row.data.clone())?;
    check(pi.status, IntentOp::Confirm).map_err(ApiError::from)?;
    let rc = context(st, row).await?;
    let pm = json!({
        "id": new_id("pm"), "object": "payment_method", "type": "bank_transfer",
        "bank_transfer": {
            "bank_code": a.bank_code,
            "bank_name": paygate_connector_bank::bank_name(a.bank_code),
            "account_last4": a.account_last4,
        },
        "billing_details": {"address": null, "email": null, "name": null, "phone": null},
        "created": rc.now, "customer": null, "livemode": row.livemode, "metadata": {},
    });
    let payment = TransferPayment {
        pm_id: pm["id"].as_str().unwrap_or_default().to_owned(),
        new_ops: vec![insert(&rc.scope(), "payment_method", None, &pm, rc.now)],
        pm,
        bank_code: a.bank_code.to_owned(),
        order_id: a.order_id.to_owned(),
    };
    pi.next_action = None;
    let cmd = Authorize {
        intent: pi,
        version: Some(row.version),
        pre: Vec::new(),
        payment: AuthPayment::BankTransfer(payment),
        authentication: None,
        three_d_secure: None,
        isp: None,
        easy_pay: None,
        credential_on_file: None,
        card_present: None,
    };
    authorize(&rc, &Plain, cmd).await
}
