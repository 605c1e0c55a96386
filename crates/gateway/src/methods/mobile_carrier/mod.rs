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
use super::PaymentMethodKind;
use super::page_redirect::PayerPage;
use crate::error::ApiResult;
use crate::http::Ctx;
use crate::state::AppState;
use paygate_payer_pages::{CsrfError, Purpose};
use paygate_store::Op;
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

/// The carrier page of an intent (`/pay/mobile_carrier/{pi}?t=…`).
pub const PAGE: PayerPage = PayerPage {
    method: PaymentMethodKind::MobileCarrier,
    purpose: Purpose::MobileCarrierPage,
    place: "the carrier page",
};

/// Checks a page token for `payment_intent` at `now`.
pub fn verify_page_token(
    st: &AppState,
    token: &str,
    payment_intent: &str,
    now: i64,
) -> Result<(), CsrfError> {
    PAGE.verify(st, token, payment_intent, now)
}

/// Confirms `c` with mobile_carrier: `requires_action` until the payer typed the carrier's
/// code on the carrier page. KRW only, captured at once.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    super::page_redirect::confirm(ctx, c, PAGE).await
}
