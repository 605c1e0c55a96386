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
    pub confirmation_method: ConfirmationMethod,
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
    /// Stripe's automatic payment methods (`automatic_payment_methods[enabled]=true`).
    #[serde(default)]
    pub automatic_payment_methods: Option<AutomaticPaymentMethods>,
    /// Where the goods go (Stripe's `shipping`).
    #[serde(default)]
    pub shipping: Option<Shipping>,
    /// How many authorizations were attempted (names crash-recovery records).
    #[serde(rename = "_attempts", default)]
    pub attempts: u32,
    /// Where a payer is sent back after a redirect payment method (`return_url`); Stripe's
    /// PaymentIntent has no top-level `return_url`, so it is kept internal.
    #[serde(
        rename = "_return_url",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub return_url: Option<String>,
    /// `error_on_requires_action=true`: fail the attempt instead of entering `requires_action`.
    #[serde(
        rename = "_error_on_requires_action",
        default,
        skip_serializing_if = "is_false"
    )]
    pub error_on_requires_action: bool,
    /// `use_stripe_sdk=true`: the confirm came from Stripe.js, which handles next actions itself.
    #[serde(rename = "_use_stripe_sdk", default, skip_serializing_if = "is_false")]
    pub use_stripe_sdk: bool,
    /// `payment_method_options[card][request_three_d_secure]` of the current attempt.
    #[serde(
        rename = "_request_three_d_secure",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_three_d_secure: Option<RequestThreeDSecure>,
    /// The 3-D Secure challenge of the current attempt, kept until the payer is back. After
    /// the RReq it holds the CAVV: sensitive, never rendered, cleared when the authorization
    /// is sent.
    #[serde(rename = "_three_ds", default, skip_serializing_if = "Option::is_none")]
    pub three_ds: Option<ThreeDsAttempt>,
    /// `setup_future_usage`: save the card for later payments when this one is approved
    /// (the charge is then the stored credential's initial use).
    #[serde(default)]
    pub setup_future_usage: Option<paygate_payments::SetupUsage>,
    /// `off_session` of the current attempt: the customer is not present (a
    /// merchant-initiated charge of a saved card; no 3-D Secure is attempted).
    #[serde(
        rename = "_off_session",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub off_session: Option<crate::engine::credential_on_file::OffSession>,
    /// The Checkout Session that made the intent (its delayed steps follow the intent's).
    #[serde(
        rename = "_checkout_session",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checkout_session: Option<String>,
    /// 할부: the monthly instalments of a card payment
    /// (`payment_method_options[card][installments][plan][count]`; none = 일시불).
    #[serde(
        rename = "_installments",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub installments: Option<u8>,
}

/// A 3-D Secure challenge of an intent, as stored in it (`_three_ds`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThreeDsAttempt {
    /// The transaction as the 3DS Server needs it for the RReq and the CRes.
    pub pending: paygate_three_ds::PendingAuthentication,
    /// The CReq the payer's browser posts to the ACS (form field `creq`).
    pub creq: String,
}

/// Stripe's `payment_method_options[card][request_three_d_secure]`: when to authenticate the
/// cardholder with 3-D Secure (안심클릭).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestThreeDSecure {
    /// When the issuer requires it for the card, or a rule of the gateway does.
    #[default]
    Automatic,
    /// Whenever the card is enrolled.
    Any,
    /// Always, with a challenge.
    Challenge,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Stripe's `automatic_payment_methods` of a PaymentIntent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomaticPaymentMethods {
    pub enabled: bool,
    pub allow_redirects: AllowRedirects,
}

/// Whether automatic payment methods may include ones that redirect the payer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowRedirects {
    Always,
    Never,
}

/// How a PaymentIntent may be confirmed (Stripe's `confirmation_method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationMethod {
    /// With a secret key, or a publishable key and the client secret.
    #[default]
    Automatic,
    /// With a secret key only.
    Manual,
}

/// A postal address as Stripe renders it (every part present, null when not given).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

/// Stripe's `shipping` of a PaymentIntent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipping {
    pub address: PostalAddress,
    pub carrier: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub tracking_number: Option<String>,
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
    /// Where the money went when not back to the card: `{"type": "kr_bank_transfer",
    /// "kr_bank_transfer": {bank_code, bank_name, account_number (masked), holder_name}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_details: Option<Value>,
}

impl Refund {
    /// Whether the money went by transfer to a bank account (`refund_account`) rather than
    /// back through the charge's processor.
    pub fn to_bank_account(&self) -> bool {
        self.destination_details
            .as_ref()
            .is_some_and(|d| d["type"] == "kr_bank_transfer")
    }
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
    let kind = match v.get("object").and_then(Value::as_str) {
        Some("payment_intent") => "payment_intent",
        Some("charge") => "charge",
        Some("refund") => "refund",
        _ => "object",
    };
    serde_json::from_value(v).map_err(|e| crate::error::GatewayError::corrupt(kind, e).into())
}
