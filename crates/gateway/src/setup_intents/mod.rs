//! SetupIntents (`/v1/setup_intents`): save a card for later payments without charging it.
//!
//! A confirm resolves the card (`payment_method_data[card]` or a saved PaymentMethod), checks
//! it at the issuer with an account verification ([`crate::engine::verify`]: ISO 8583 0100,
//! DE 4 = 0, DE 25 = 51, DE 48.46 = initial) and commits what the issuer said in one unit:
//!
//! - verified → `succeeded`; the PaymentMethod (the **billing key**) is attached to the
//!   SetupIntent's customer, its `card.checks.cvc_check` filled, and the verification's
//!   network transaction id kept in its internal `_stored_credential` — the original later
//!   merchant-initiated charges name (DE 48.47); events `setup_intent.succeeded` (and
//!   `payment_method.attached`);
//! - declined → `requires_payment_method` with `last_setup_error` (Stripe's card error),
//!   event `setup_intent.setup_failed`, the 402 answer stored under the idempotency key.
//!
//! When the card requires 3-D Secure (or `payment_method_options[card][request_three_d_secure]`
//! asks for it) the verification carries the issuer's authentication ([`three_ds`]): a
//! frictionless result at once, or `requires_action` with the challenge, the verification
//! running when the payer is back; the stored credential keeps the result. A SetupIntent left
//! in `requires_action` is canceled as `abandoned` ([`expiry`]).
//!
//! No money moves: nothing is posted to the ledger. The verification has no recovery record
//! (it holds nothing at the issuer); the SetupIntent is written only after the answer, so a
//! crash leaves it as it was before the confirm.

pub mod confirm;
pub mod expiry;
pub mod three_ds;

use crate::error::{ApiError, ApiResult};
use crate::models::{RequestThreeDSecure, ThreeDsAttempt, from_value};
use paygate_payments::{SetupIntentStatus, SetupUsage};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The stored SetupIntent document (Stripe's shape; `_`-prefixed fields are internal).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub object: String,
    pub cancellation_reason: Option<String>,
    pub client_secret: String,
    pub created: i64,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub last_setup_error: Option<Value>,
    pub latest_attempt: Option<String>,
    pub livemode: bool,
    pub metadata: Map<String, Value>,
    pub next_action: Option<Value>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub status: SetupIntentStatus,
    pub usage: SetupUsage,
    /// Where the customer returns after a redirect (3-D Secure); internal, as Stripe does
    /// not render it on the SetupIntent.
    #[serde(
        rename = "_return_url",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub return_url: Option<String>,
    /// `payment_method_options[card][request_three_d_secure]` of the current attempt.
    #[serde(
        rename = "_request_three_d_secure",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_three_d_secure: Option<RequestThreeDSecure>,
    /// The 3-D Secure challenge in progress (internal, never rendered).
    #[serde(rename = "_three_ds", default, skip_serializing_if = "Option::is_none")]
    pub three_ds: Option<ThreeDsAttempt>,
}

impl SetupIntent {
    /// The stored document.
    pub fn to_doc(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads a stored document.
    pub fn from_doc(doc: Value) -> ApiResult<SetupIntent> {
        from_value(doc)
    }
}

/// What a saved PaymentMethod keeps of the stored credential it became (internal
/// `_stored_credential` of the PaymentMethod document, never rendered).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredentialRecord {
    /// The network transaction id (RRN) of the initial, customer-initiated use: the setup's
    /// verification or the payment that saved the card.
    pub network_transaction_id: String,
    /// What the customer agreed to when the card was saved.
    pub usage: SetupUsage,
    /// The 3-D Secure authentication of the setup, when the card required one (Stripe's
    /// `three_d_secure` shape: result, flow, ECI, transaction id, version; never the CAVV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<Value>,
}

impl StoredCredentialRecord {
    /// The record of the PaymentMethod document `pm`, if it was saved for later use.
    pub fn of(pm: &Value) -> Option<StoredCredentialRecord> {
        serde_json::from_value(pm.get("_stored_credential")?.clone()).ok()
    }
}

/// Stripe's `setup_intent_unexpected_state` for an operation the status does not allow.
pub fn state_error(si: &SetupIntent, op: &str) -> ApiError {
    ApiError::unexpected_state(
        "setup_intent_unexpected_state",
        format!(
            "You cannot {op} this SetupIntent because it has a status of {}.",
            si.status.as_str()
        ),
    )
    .with_extra("setup_intent", crate::render::public(si.to_doc()))
}

/// The fields of a SetupIntent a publishable key sees (Stripe.js's client view).
pub const CLIENT_FIELDS: &[&str] = &[
    "id",
    "object",
    "cancellation_reason",
    "client_secret",
    "created",
    "description",
    "last_setup_error",
    "livemode",
    "next_action",
    "payment_method",
    "payment_method_types",
    "status",
    "usage",
];
