//! The Checkout Session document (Stripe's `checkout.session` shape; `_`-prefixed fields are
//! internal) and its status table.

use crate::error::{ApiError, ApiResult};
use crate::models::from_value;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// `status`: a session is `open` until its payment succeeds (`complete`) or it runs out of
/// time or is expired by the merchant (`expired`). Both ends are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
}

/// What can happen to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionOp {
    /// The payer pays (or saves a card) on the page.
    Pay,
    /// Its intent succeeded.
    Complete,
    /// The merchant's `expire`, or `expires_at` passed.
    Expire,
}

/// The one table of what each status allows.
pub fn allowed(status: SessionStatus, op: SessionOp) -> bool {
    match (status, op) {
        (SessionStatus::Open, SessionOp::Pay | SessionOp::Complete | SessionOp::Expire) => true,
        (SessionStatus::Complete | SessionStatus::Expired, _) => false,
    }
}

/// A step of a payment whose money arrives later (가상계좌: Stripe's delayed-notification
/// methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delayed {
    /// The payer chose the method and got the account: the session completes `unpaid`.
    Chosen,
    /// The money arrived: `paid`.
    Succeeded,
    /// It never will (the account expired).
    Failed,
}

/// The one table of a delayed payment's steps: from (status, payment_status), the new
/// payment_status and the events, in order (`None`: the step does not apply). A session
/// still open when the money arrives or fails (its page never saw the choice) is completed
/// first, so its events follow Stripe's order.
pub fn delayed_step(
    status: SessionStatus,
    paid: PaymentStatus,
    step: Delayed,
) -> Option<(PaymentStatus, &'static [&'static str])> {
    const COMPLETED: &str = "checkout.session.completed";
    const SUCCEEDED: &str = "checkout.session.async_payment_succeeded";
    const FAILED: &str = "checkout.session.async_payment_failed";
    use PaymentStatus::{Paid, Unpaid};
    match (status, paid, step) {
        (SessionStatus::Open, Unpaid, Delayed::Chosen) => Some((Unpaid, &[COMPLETED])),
        (SessionStatus::Open, Unpaid, Delayed::Succeeded) => Some((Paid, &[COMPLETED, SUCCEEDED])),
        (SessionStatus::Open, Unpaid, Delayed::Failed) => Some((Unpaid, &[COMPLETED, FAILED])),
        (SessionStatus::Complete, Unpaid, Delayed::Succeeded) => Some((Paid, &[SUCCEEDED])),
        (SessionStatus::Complete, Unpaid, Delayed::Failed) => Some((Unpaid, &[FAILED])),
        _ => None,
    }
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

/// `payment_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
}

/// `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Payment,
    Setup,
}

/// `locale` of the page: `auto` follows the browser's `Accept-Language`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionLocale {
    Auto,
    Ko,
    En,
}

/// One line item (Stripe's `item`), amounts in minor units of the session's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub id: String,
    pub object: String,
    pub amount_discount: i64,
    pub amount_subtotal: i64,
    pub amount_tax: i64,
    pub amount_total: i64,
    pub currency: String,
    pub description: String,
    pub quantity: i64,
    pub price: Value,
}

/// The stored session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub object: String,
    pub amount_subtotal: Option<i64>,
    pub amount_total: Option<i64>,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub created: i64,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    pub expires_at: i64,
    pub livemode: bool,
    pub locale: SessionLocale,
    pub metadata: Map<String, Value>,
    pub mode: Mode,
    pub payment_intent: Option<String>,
    pub payment_method_types: Vec<String>,
    pub payment_status: PaymentStatus,
    pub setup_intent: Option<String>,
    pub status: SessionStatus,
    pub success_url: String,
    pub url: Option<String>,
    #[serde(rename = "_line_items", default)]
    pub line_items: Vec<LineItem>,
}

impl CheckoutSession {
    /// The stored document, with the fields Stripe's schema requires that paygate does not
    /// model (no tax, custom fields or shipping options) at their empty values.
    pub fn to_doc(&self) -> Value {
        let mut doc = serde_json::to_value(self).unwrap_or(Value::Null);
        doc["automatic_tax"] = json!({"enabled": false, "liability": null, "status": null});
        doc["custom_fields"] = json!([]);
        doc["custom_text"] = json!({"after_submit": null, "shipping_address": null,
            "submit": null, "terms_of_service_acceptance": null});
        doc["shipping_options"] = json!([]);
        doc
    }

    pub fn from_doc(doc: Value) -> ApiResult<CheckoutSession> {
        from_value(doc)
    }

    /// Stripe's error for an operation the status does not allow.
    pub fn state_error(&self, what: &str) -> ApiError {
        ApiError::invalid(
            "session",
            "checkout_session_unexpected_state",
            format!(
                "You cannot {what} this Checkout Session because it has a status of {}.",
                self.status.as_str()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_sessions_change() {
        for op in [SessionOp::Pay, SessionOp::Complete, SessionOp::Expire] {
            assert!(allowed(SessionStatus::Open, op));
            assert!(!allowed(SessionStatus::Complete, op));
            assert!(!allowed(SessionStatus::Expired, op));
        }
    }

    #[test]
    fn a_delayed_payment_completes_unpaid_then_succeeds_or_fails_once() {
        use PaymentStatus::*;
        use SessionStatus::*;
        assert_eq!(
            delayed_step(Open, Unpaid, Delayed::Chosen).map(|s| s.0),
            Some(Unpaid)
        );
        assert_eq!(
            delayed_step(Complete, Unpaid, Delayed::Succeeded),
            Some((Paid, &["checkout.session.async_payment_succeeded"][..]))
        );
        assert_eq!(
            delayed_step(Open, Unpaid, Delayed::Failed).map(|s| s.1.len()),
            Some(2)
        );
        assert_eq!(delayed_step(Complete, Unpaid, Delayed::Chosen), None);
        assert_eq!(delayed_step(Complete, Paid, Delayed::Succeeded), None);
        assert_eq!(delayed_step(Complete, Paid, Delayed::Failed), None);
        assert_eq!(delayed_step(Expired, Unpaid, Delayed::Succeeded), None);
    }
}
