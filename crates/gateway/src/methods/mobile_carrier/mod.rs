//! 휴대폰 소액결제 (`payment_method_data[type]=mobile_carrier`): the confirm puts the intent in
//! `requires_action` with a redirect to the carrier page (`/pay/mobile_carrier/{pi}?t=…`,
//! `pages`); there the payer names the carrier, phone and birth date and consents, the
//! carrier sends a 6-digit code by SMS, and the code the payer types goes to the engine's
//! `Authorize` as [`CarrierPayment`] — the carrier charges this month's phone bill at once
//! (KRW only, automatic capture). The charge shows the carrier and the phone's last 4 digits,
//! never the number.

pub mod pay;
pub mod refund;

use super::Confirm;
use crate::api::respond::Responder;
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::records::event;
use crate::state::AppState;
use crate::three_ds::confirm::write_intent;
use paygate_payer_pages::{CsrfError, Purpose};
use paygate_payments::{CaptureMethod, NextAction, PaymentIntentStatus as Status};
use paygate_store::{Op, WriteUnit};
use serde_json::{Value, json};

/// What the engine's `Authorize` charges for a carrier payment: the carrier's pending payment,
/// confirmed by the subscriber with the code the carrier sent.
pub struct CarrierPayment {
    /// The `mobile_carrier` PaymentMethod of the payment (carrier, phone's last 4).
    pub pm_id: String,
    pub pm: Value,
    /// Writes that insert that PaymentMethod (phase 1).
    pub new_ops: Vec<Op>,
    /// `skt`, `kt`, `lgu` or `mvno`.
    pub carrier: String,
    /// The carrier's id of the pending payment, confirmed by the subscriber's code.
    pub transaction: String,
}

impl CarrierPayment {
    /// The charge's `payment_method_details`: the carrier and the phone's last 4 digits, and
    /// the carrier's transaction id.
    pub fn charge_details(&self, transaction_id: Option<&str>) -> Value {
        let details = &self.pm["mobile_carrier"];
        json!({"type": "mobile_carrier", "mobile_carrier": {
            "carrier": details["carrier"],
            "phone_last4": details["phone_last4"],
            "transaction_id": transaction_id,
        }})
    }
}

/// The carrier's client from `carrier_url` (none: mobile_carrier is not offered).
pub fn client(
    cfg: &crate::config::Config,
) -> Result<Option<paygate_connector_carrier::CarrierClient>, String> {
    let timeout = std::time::Duration::from_millis(cfg.network_timeout_ms.max(1000));
    cfg.carrier_url
        .as_deref()
        .map(|u| paygate_connector_carrier::CarrierClient::new(u, timeout))
        .transpose()
}

/// The token `t` of `/pay/mobile_carrier/{payment_intent}?t=…`.
pub fn page_token(st: &AppState, payment_intent: &str, expires_at: i64) -> String {
    st.pages
        .csrf
        .issue(Purpose::MobileCarrierPage, payment_intent, expires_at)
}

/// Checks a page token for `payment_intent` at `now`.
pub fn verify_page_token(
    st: &AppState,
    token: &str,
    payment_intent: &str,
    now: i64,
) -> Result<(), CsrfError> {
    st.pages
        .csrf
        .verify(token, Purpose::MobileCarrierPage, payment_intent, now)
}

/// Confirms `c` with mobile_carrier: `requires_action` until the payer typed the carrier's
/// code on the carrier page. KRW only, captured at once.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["mobile_carrier"])?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
    }
    let respond = Responder::new(ctx, c.expands.clone());
    let rc = &ctx.rc;
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    check_terms(&pi)?;
    let Some(return_url) = pi.return_url.clone() else {
        return Err(ApiError::invalid(
            "return_url",
            "parameter_missing",
            "Missing required param: return_url. A mobile_carrier payment redirects the \
             customer to the carrier page: give the return_url they come back to.",
        ));
    };
    if let Some(finish) = crate::three_ds::finish_transaction(&pi) {
        ops.push(finish);
    }
    let due = rc.now + rc.st.cfg.requires_action_ttl_s;
    let token = page_token(&rc.st, &pi.id, due);
    let url = rc
        .st
        .pages
        .url(&format!("/pay/mobile_carrier/{}?t={token}", pi.id));
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::redirect(url, Some(return_url)));
    pi.three_ds = None;
    pi.payment_method = None;
    pi.last_payment_error = None;
    let doc = crate::models::to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, Some(due));
    ops.push(event(
        &rc.scope(),
        "payment_intent.requires_action",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let body = respond
        .body(&Answer {
            primary: doc,
            charge: None,
        })
        .await?;
    commit(rc, ops, body).await
}

async fn commit(rc: &RequestContext, ops: Vec<Op>, body: Value) -> ApiResult<Value> {
    rc.commit_ok(WriteUnit { ops }, body).await
}

/// A carrier bills KRW to this month's phone bill and captures at once.
fn check_terms(pi: &crate::models::PaymentIntent) -> ApiResult<()> {
    let money = pi.money()?;
    if !money.currency().code().eq_ignore_ascii_case("krw") {
        return Err(ApiError::invalid(
            "currency",
            "parameter_invalid",
            "mobile_carrier payments are charged to a Korean phone bill: currency must be krw.",
        ));
    }
    if pi.capture_method != CaptureMethod::Automatic {
        return Err(ApiError::invalid(
            "capture_method",
            "parameter_invalid",
            "mobile_carrier payments are charged at once: capture_method must be automatic.",
        ));
    }
    Ok(())
}
