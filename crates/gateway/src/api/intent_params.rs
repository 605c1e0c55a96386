//! Typed parameters of the PaymentIntent endpoints (create, update, confirm, capture, cancel).
//!
//! Each request's bracket tree is deserialized into a wire struct (`deny_unknown_fields`: an
//! unknown parameter is refused by name) and then checked into the value its handler works
//! with, so a handler sees only valid values and every error names the parameter in full
//! bracket form (`shipping[address][line1]`). No parameter is accepted and ignored: what
//! paygate cannot honour yet (mandates: `mandate_data`) is refused by
//! name with `parameter_unsupported`.

mod attempt;

pub use attempt::{AttemptOptions, RETURN_URL_MAX_CHARS};

use crate::api::{check_amount, parse_currency};
use crate::error::{ApiError, ApiResult};
use crate::models::{AllowRedirects, AutomaticPaymentMethods, ConfirmationMethod};
use crate::params::Params;
use crate::params::typed::{
    Email, Expand, Flag, Id, Int, List, Metadata, OneOf, StatementDescriptor, Text, Words,
};
use attempt::{AttemptFields, PaymentMethodOptionsForm, ShippingForm, given, unsupported};
use paygate_ledger::Currency;
use paygate_payments::CaptureMethod;
use serde::Deserialize;
use serde_json::{Map, Value};

impl Words for CaptureMethod {
    const WORDS: &'static [(&'static str, CaptureMethod)] = &[
        ("automatic", CaptureMethod::Automatic),
        ("automatic_async", CaptureMethod::Automatic),
        ("manual", CaptureMethod::Manual),
    ];
}

impl Words for ConfirmationMethod {
    const WORDS: &'static [(&'static str, ConfirmationMethod)] = &[
        ("automatic", ConfirmationMethod::Automatic),
        ("manual", ConfirmationMethod::Manual),
    ];
}

impl Words for AllowRedirects {
    const WORDS: &'static [(&'static str, AllowRedirects)] = &[
        ("always", AllowRedirects::Always),
        ("never", AllowRedirects::Never),
    ];
}

/// Why an intent was canceled (Stripe's `cancellation_reason` a merchant may give).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancellationReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
    Abandoned,
}

impl CancellationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CancellationReason::Duplicate => "duplicate",
            CancellationReason::Fraudulent => "fraudulent",
            CancellationReason::RequestedByCustomer => "requested_by_customer",
            CancellationReason::Abandoned => "abandoned",
        }
    }
}

impl Words for CancellationReason {
    const WORDS: &'static [(&'static str, CancellationReason)] = &[
        ("duplicate", CancellationReason::Duplicate),
        ("fraudulent", CancellationReason::Fraudulent),
        (
            "requested_by_customer",
            CancellationReason::RequestedByCustomer,
        ),
        ("abandoned", CancellationReason::Abandoned),
    ];
}

/// `automatic_payment_methods[...]`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct AutomaticForm {
    allow_redirects: Option<OneOf<AllowRedirects>>,
    enabled: Flag,
}

/// `POST /v1/payment_intents`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateForm {
    #[schemars(schema_with = "crate::params::schema::charge_amount")]
    amount: Int,
    currency: Id,
    automatic_payment_methods: Option<AutomaticForm>,
    capture_method: Option<OneOf<CaptureMethod>>,
    /// Read by the virtual_account method (현금영수증).
    #[allow(dead_code)]
    #[schemars(with = "Option<crate::methods::virtual_account::table::CashReceipt>")]
    cash_receipt: Option<Value>,
    confirm: Option<Flag>,
    confirmation_method: Option<OneOf<ConfirmationMethod>>,
    customer: Option<Id>,
    description: Option<Text<1000>>,
    error_on_requires_action: Option<Flag>,
    expand: Option<Expand>,
    /// Refused by name (`parameter_unsupported`): not in the document.
    #[schemars(skip)]
    mandate_data: Option<Value>,
    metadata: Option<Metadata>,
    off_session: Option<Text<5000>>,
    payment_method: Option<Id>,
    /// Read by the confirm flow, which names each card field in its errors.
    #[schemars(with = "Option<crate::cards::table::PaymentMethodData>")]
    payment_method_data: Option<Value>,
    payment_method_options: Option<PaymentMethodOptionsForm>,
    payment_method_types: Option<List>,
    receipt_email: Option<Email>,
    return_url: Option<Text<RETURN_URL_MAX_CHARS>>,
    setup_future_usage: Option<Text<5000>>,
    shipping: Option<ShippingForm>,
    statement_descriptor: Option<StatementDescriptor>,
    use_stripe_sdk: Option<Flag>,
}

/// A checked `POST /v1/payment_intents`.
pub struct IntentCreate {
    pub amount: i64,
    pub currency: Currency,
    pub automatic_payment_methods: Option<AutomaticPaymentMethods>,
    pub capture_method: CaptureMethod,
    pub confirm: bool,
    pub confirmation_method: ConfirmationMethod,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub receipt_email: Option<String>,
    pub statement_descriptor: Option<String>,
    pub attempt: AttemptOptions,
    pub expand: Vec<String>,
}

impl IntentCreate {
    /// Reads and checks every parameter of the request.
    pub fn parse(p: &mut Params) -> ApiResult<IntentCreate> {
        let f: CreateForm = p.typed()?;
        let currency = match f.currency.non_empty() {
            Some(code) => parse_currency(&code)?,
            None => return Err(ApiError::missing("currency")),
        };
        let amount = check_amount(f.amount.0, currency)?;
        let confirm = f.confirm.is_some_and(|c| c.0);
        let pmd_given = f.payment_method_data.as_ref().is_some_and(given);
        check_one_payment_method(f.payment_method.as_ref(), pmd_given)?;
        if !confirm && pmd_given {
            return Err(ApiError::bad_param(
                "payment_method_data",
                "payment_method_data can only be given together with confirm=true.",
            ));
        }
        let automatic = f.automatic_payment_methods.and_then(|a| {
            a.enabled.0.then(|| AutomaticPaymentMethods {
                enabled: true,
                allow_redirects: a.allow_redirects.map_or(AllowRedirects::Always, |r| r.0),
            })
        });
        let types = f.payment_method_types.map(|l| l.0);
        if automatic.is_some() && types.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ApiError::invalid(
                "payment_method_types",
                "parameter_invalid",
                "You may only specify one of these parameters: automatic_payment_methods, \
                 payment_method_types.",
            ));
        }
        let attempt = AttemptFields {
            error_on_requires_action: f.error_on_requires_action,
            mandate_data: f.mandate_data,
            off_session: f.off_session,
            return_url: f.return_url,
            setup_future_usage: f.setup_future_usage,
            shipping: f.shipping,
            use_stripe_sdk: f.use_stripe_sdk,
            payment_method_options: f.payment_method_options,
        }
        .check()?;
        if !confirm && attempt.off_session.is_some() {
            return Err(ApiError::bad_param(
                "off_session",
                "off_session can only be given together with confirm=true.",
            ));
        }
        Ok(IntentCreate {
            amount,
            currency,
            automatic_payment_methods: automatic,
            capture_method: f.capture_method.map_or(CaptureMethod::Automatic, |c| c.0),
            confirm,
            confirmation_method: f.confirmation_method.map(|c| c.0).unwrap_or_default(),
            customer: f.customer.and_then(Text::non_empty),
            description: f.description.and_then(Text::non_empty),
            metadata: f.metadata.map(|m| m.0).unwrap_or_default(),
            payment_method: f.payment_method.and_then(Text::non_empty),
            payment_method_types: check_types(types.unwrap_or_default())?,
            receipt_email: f.receipt_email.map(|e| e.0).filter(|e| !e.is_empty()),
            statement_descriptor: f
                .statement_descriptor
                .map(|s| s.0)
                .filter(|s| !s.is_empty()),
            attempt,
            expand: f.expand.unwrap_or_default().0,
        })
    }
}

/// The methods paygate offers (`card`, `isp`), each once, in the order given; no list means
/// `["card"]`.
fn check_types(types: Vec<String>) -> ApiResult<Vec<String>> {
    use crate::methods::PaymentMethodKind;
    let mut out: Vec<String> = Vec::new();
    for t in types {
        if PaymentMethodKind::parse(&t).is_none() {
            return Err(ApiError::bad_param(
                "payment_method_types",
                format!(
                    "The payment method type '{}' is not supported; paygate accepts 'card', \
                     'isp' and 'easy_pay'.",
                    crate::error::echo(&t)
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        out.push("card".into());
    }
    Ok(out)
}

/// `payment_method` and `payment_method_data` together would leave it unclear which card is
/// charged: refused.
fn check_one_payment_method(pm: Option<&Id>, pmd_given: bool) -> ApiResult<()> {
    if pm.is_some_and(|p| !p.0.is_empty()) && pmd_given {
        return Err(ApiError::invalid(
            "payment_method_data",
            "parameter_invalid",
            "You may only specify one of these parameters: payment_method, payment_method_data.",
        ));
    }
    Ok(())
}

/// `POST /v1/payment_intents/{id}`: an empty string unsets a field.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateForm {
    amount: Option<Int>,
    currency: Option<Id>,
    customer: Option<Id>,
    description: Option<Text<1000>>,
    expand: Option<Expand>,
    metadata: Option<Metadata>,
    payment_method: Option<Id>,
    receipt_email: Option<Email>,
}

/// A checked update; `Some(None)` unsets a field. The amount is checked against the charge
/// limits of the intent's (possibly new) currency by the handler.
pub struct IntentUpdate {
    pub amount: Option<i64>,
    pub currency: Option<Currency>,
    pub customer: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub metadata: Option<Map<String, Value>>,
    pub payment_method: Option<Option<String>>,
    pub receipt_email: Option<Option<String>>,
    pub expand: Vec<String>,
}

impl IntentUpdate {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<IntentUpdate> {
        let f: UpdateForm = p.typed()?;
        Ok(IntentUpdate {
            amount: f.amount.map(|a| a.0),
            currency: f.currency.map(|c| parse_currency(&c.0)).transpose()?,
            customer: f.customer.map(Text::non_empty),
            description: f.description.map(Text::non_empty),
            metadata: f.metadata.map(|m| m.0),
            payment_method: f.payment_method.map(Text::non_empty),
            receipt_email: f.receipt_email.map(|e| Some(e.0).filter(|e| !e.is_empty())),
            expand: f.expand.unwrap_or_default().0,
        })
    }
}

/// `GET /v1/payment_intents/{id}`: a publishable key gives the intent's `client_secret`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetrieveForm {
    client_secret: Option<Text<5000>>,
    expand: Option<Expand>,
}

/// A checked retrieve.
pub struct IntentRetrieve {
    pub client_secret: Option<String>,
    pub expand: Vec<String>,
}

impl IntentRetrieve {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<IntentRetrieve> {
        let f: RetrieveForm = p.typed()?;
        Ok(IntentRetrieve {
            client_secret: f.client_secret.and_then(Text::non_empty),
            expand: f.expand.unwrap_or_default().0,
        })
    }
}

/// `POST /v1/payment_intents/{id}/confirm`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmForm {
    capture_method: Option<OneOf<CaptureMethod>>,
    /// Read by the virtual_account method (현금영수증).
    #[allow(dead_code)]
    #[schemars(with = "Option<crate::methods::virtual_account::table::CashReceipt>")]
    cash_receipt: Option<Value>,
    client_secret: Option<Text<5000>>,
    error_on_requires_action: Option<Flag>,
    expand: Option<Expand>,
    /// Refused by name (`parameter_unsupported`): not in the document.
    #[schemars(skip)]
    mandate_data: Option<Value>,
    off_session: Option<Text<5000>>,
    payment_method: Option<Id>,
    /// Read by the confirm flow, which names each card field in its errors.
    #[schemars(with = "Option<crate::cards::table::PaymentMethodData>")]
    payment_method_data: Option<Value>,
    payment_method_options: Option<PaymentMethodOptionsForm>,
    receipt_email: Option<Email>,
    return_url: Option<Text<RETURN_URL_MAX_CHARS>>,
    setup_future_usage: Option<Text<5000>>,
    shipping: Option<ShippingForm>,
    use_stripe_sdk: Option<Flag>,
}

/// A checked confirm.
pub struct IntentConfirm {
    pub capture_method: Option<CaptureMethod>,
    pub client_secret: Option<String>,
    pub payment_method: Option<String>,
    pub receipt_email: Option<Option<String>>,
    pub attempt: AttemptOptions,
    pub expand: Vec<String>,
}

impl IntentConfirm {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<IntentConfirm> {
        let f: ConfirmForm = p.typed()?;
        let pmd_given = f.payment_method_data.as_ref().is_some_and(given);
        check_one_payment_method(f.payment_method.as_ref(), pmd_given)?;
        let attempt = AttemptFields {
            error_on_requires_action: f.error_on_requires_action,
            mandate_data: f.mandate_data,
            off_session: f.off_session,
            return_url: f.return_url,
            setup_future_usage: f.setup_future_usage,
            shipping: f.shipping,
            use_stripe_sdk: f.use_stripe_sdk,
            payment_method_options: f.payment_method_options,
        }
        .check()?;
        Ok(IntentConfirm {
            capture_method: f.capture_method.map(|c| c.0),
            client_secret: f.client_secret.and_then(Text::non_empty),
            payment_method: f.payment_method.and_then(Text::non_empty),
            receipt_email: f.receipt_email.map(|e| Some(e.0).filter(|e| !e.is_empty())),
            attempt,
            expand: f.expand.unwrap_or_default().0,
        })
    }
}

/// `POST /v1/payment_intents/{id}/capture`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptureForm {
    amount_to_capture: Option<Int>,
    expand: Option<Expand>,
    final_capture: Option<Flag>,
    metadata: Option<Metadata>,
    statement_descriptor: Option<StatementDescriptor>,
}

/// A checked capture. `metadata` and `statement_descriptor` update the intent, as Stripe's
/// capture does.
pub struct IntentCapture {
    pub amount_to_capture: Option<i64>,
    pub metadata: Option<Map<String, Value>>,
    pub statement_descriptor: Option<Option<String>>,
    pub expand: Vec<String>,
}

impl IntentCapture {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<IntentCapture> {
        let f: CaptureForm = p.typed()?;
        // One capture releases the rest of the hold (Stripe's default, `final_capture=true`);
        // several partial captures of one authorization are not supported.
        if f.final_capture.is_some_and(|c| !c.0) {
            return Err(unsupported(
                "final_capture",
                "final_capture=false is not supported: a capture releases what it does not \
                 take. Omit final_capture.",
            ));
        }
        Ok(IntentCapture {
            amount_to_capture: f.amount_to_capture.map(|a| a.0),
            metadata: f.metadata.map(|m| m.0),
            statement_descriptor: f
                .statement_descriptor
                .map(|s| Some(s.0).filter(|s| !s.is_empty())),
            expand: f.expand.unwrap_or_default().0,
        })
    }
}

/// `POST /v1/payment_intents/{id}/cancel`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CancelForm {
    cancellation_reason: Option<OneOf<CancellationReason>>,
    expand: Option<Expand>,
}

/// A checked cancel.
pub struct IntentCancel {
    pub reason: Option<CancellationReason>,
    pub expand: Vec<String>,
}

impl IntentCancel {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<IntentCancel> {
        let f: CancelForm = p.typed()?;
        Ok(IntentCancel {
            reason: f.cancellation_reason.map(|r| r.0),
            expand: f.expand.unwrap_or_default().0,
        })
    }
}
