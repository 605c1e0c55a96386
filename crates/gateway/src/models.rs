//! The stored documents of the payment objects. Each is exactly the API object plus internal
//! fields whose names start with `_` (removed by `render::public`).

use paygate_payments::{
    CaptureMethod, ChargeStatus, Money, NextAction, PaymentIntentStatus, RefundStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub capture_method: CaptureMethod,
    pub client_secret: String,
    pub confirmation_method: String,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub last_payment_error: Option<Value>,
    pub latest_charge: Option<String>,
    pub livemode: bool,
    pub metadata: Map<String, Value>,
    pub next_action: Option<NextAction>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub receipt_email: Option<String>,
    pub statement_descriptor: Option<String>,
    pub status: PaymentIntentStatus,
    /// How many authorizations were attempted (names crash-recovery records).
    #[serde(rename = "_attempts", default)]
    pub attempts: u32,
}

/// What the gateway keeps of a charge's network transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetState {
    /// The counterparty's own name of the authorization (opaque here).
    pub net_ref: paygate_payments::ConnectorRef,
    pub rrn: String,
    pub approval_code: Option<String>,
    pub currency_numeric: u16,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Charge {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    pub balance_transaction: Option<String>,
    pub captured: bool,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub livemode: bool,
    pub metadata: Map<String, Value>,
    pub outcome: Value,
    pub paid: bool,
    pub payment_intent: Option<String>,
    pub payment_method: Option<String>,
    pub payment_method_details: Value,
    pub refunded: bool,
    pub status: ChargeStatus,
    #[serde(rename = "_net", default)]
    pub net: Option<NetState>,
    /// The counterparty that processed the charge (whose receivable its capture debits);
    /// charges stored before this field existed were all the card network's.
    #[serde(rename = "_processor", default = "card_network")]
    pub processor: paygate_ledger::Counterparty,
    /// Refund amount reserved by refunds still talking to the network.
    #[serde(rename = "_refund_reserved", default)]
    pub refund_reserved: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub balance_transaction: Option<String>,
    pub charge: String,
    pub created: i64,
    pub currency: String,
    pub failure_reason: Option<String>,
    pub metadata: Map<String, Value>,
    pub payment_intent: Option<String>,
    pub reason: Option<String>,
    pub status: RefundStatus,
}

fn card_network() -> paygate_ledger::Counterparty {
    paygate_ledger::Counterparty::CardNetwork
}

impl PaymentIntent {
    /// The intent's amount in its currency.
    pub fn money(&self) -> crate::error::ApiResult<Money> {
        money_of(self.amount, &self.currency)
    }
}

impl Charge {
    /// `amount` minor units in the charge's currency.
    pub fn money(&self, amount: i64) -> crate::error::ApiResult<Money> {
        money_of(amount, &self.currency)
    }
}

/// `amount` minor units of a stored currency code; a stored document that breaks the rules of
/// money is corrupt (a server error).
pub fn money_of(amount: i64, currency: &str) -> crate::error::ApiResult<Money> {
    let currency = paygate_ledger::Currency::parse(currency)
        .map_err(|e| crate::error::ApiError::internal(format!("corrupt stored currency: {e}")))?;
    Money::non_negative(amount, currency)
        .map_err(|e| crate::error::ApiError::internal(format!("corrupt stored amount: {e}")))
}

/// Serializes a document; our own structs always serialize.
pub fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Reads a stored document back into its struct.
pub fn from_value<T: for<'de> Deserialize<'de>>(v: Value) -> Result<T, crate::error::ApiError> {
    serde_json::from_value(v)
        .map_err(|e| crate::error::ApiError::internal(format!("corrupt stored object: {e}")))
}
