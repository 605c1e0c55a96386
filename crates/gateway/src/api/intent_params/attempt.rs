//! What a payment attempt carries, given on create (with `confirm=true`) or on confirm:
//! `return_url`, `shipping`, `error_on_requires_action`, `use_stripe_sdk`, `off_session` and
//! `setup_future_usage` are checked and kept on the intent; `mandate_data` asks for mandates
//! paygate does not keep yet and is refused by name.

use crate::api::Address;
use crate::engine::credential_on_file::OffSession;
use crate::error::{ApiError, ApiResult};
use crate::methods::installments::{self, COUNT_PARAM, PlanInterval, PlanType};
use crate::models::{PaymentIntent, PostalAddress, RequestThreeDSecure, Shipping};
use crate::params::typed::{Flag, Int, OneOf, Text, Words};
use paygate_payments::SetupUsage;
use serde::Deserialize;
use serde_json::Value;

/// Longest accepted `return_url`, in characters.
pub const RETURN_URL_MAX_CHARS: usize = 2048;

/// What a payment attempt may carry, on create (with `confirm=true`) or confirm.
#[derive(Clone, Debug, Default)]
pub struct AttemptOptions {
    pub return_url: Option<String>,
    pub shipping: Option<Shipping>,
    pub error_on_requires_action: Option<bool>,
    pub use_stripe_sdk: Option<bool>,
    /// `payment_method_options[card][request_three_d_secure]`.
    pub request_three_d_secure: Option<RequestThreeDSecure>,
    /// `off_session`: `true`/`one_off` or `recurring`; `None` = on-session.
    pub off_session: Option<OffSession>,
    /// `setup_future_usage`: save the card when the payment is approved.
    pub setup_future_usage: Option<SetupUsage>,
    /// `payment_method_options[card][installments][plan]`: `Some(None)` = 일시불 asked.
    pub installments: Option<Option<u8>>,
}

impl AttemptOptions {
    /// Writes the given options into the intent.
    pub fn apply(self, pi: &mut PaymentIntent) {
        if let Some(url) = self.return_url {
            pi.return_url = Some(url);
        }
        if let Some(s) = self.shipping {
            pi.shipping = Some(s);
        }
        if let Some(b) = self.error_on_requires_action {
            pi.error_on_requires_action = b;
        }
        if let Some(b) = self.use_stripe_sdk {
            pi.use_stripe_sdk = b;
        }
        if let Some(r) = self.request_three_d_secure {
            pi.request_three_d_secure = Some(r);
        }
        // Whether the customer is present is a property of this attempt, not of the intent:
        // a later on-session confirm (the customer brought back) clears it.
        pi.off_session = self.off_session;
        if let Some(u) = self.setup_future_usage {
            pi.setup_future_usage = Some(u);
        }
        if let Some(n) = self.installments {
            pi.installments = n;
        }
    }
}

/// The attempt fields of a create or confirm form, before their checks.
pub(super) struct AttemptFields {
    pub(super) error_on_requires_action: Option<Flag>,
    pub(super) mandate_data: Option<Value>,
    pub(super) off_session: Option<Text<5000>>,
    pub(super) return_url: Option<Text<RETURN_URL_MAX_CHARS>>,
    pub(super) setup_future_usage: Option<Text<5000>>,
    pub(super) shipping: Option<ShippingForm>,
    pub(super) use_stripe_sdk: Option<Flag>,
    pub(super) payment_method_options: Option<PaymentMethodOptionsForm>,
}

impl Words for RequestThreeDSecure {
    const WORDS: &'static [(&'static str, RequestThreeDSecure)] = &[
        ("automatic", RequestThreeDSecure::Automatic),
        ("any", RequestThreeDSecure::Any),
        ("challenge", RequestThreeDSecure::Challenge),
    ];
}

/// `payment_method_options[...]`: the card's and the virtual account's.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PaymentMethodOptionsForm {
    card: Option<CardOptionsForm>,
    /// Read by the virtual_account method, which names each field in its errors.
    #[allow(dead_code)]
    #[schemars(with = "Option<crate::methods::virtual_account::table::Options>")]
    virtual_account: Option<Value>,
}

/// `payment_method_options[card][...]`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CardOptionsForm {
    request_three_d_secure: Option<OneOf<RequestThreeDSecure>>,
    installments: Option<InstallmentsForm>,
}

/// `payment_method_options[card][installments][...]` (Stripe's shape).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InstallmentsForm {
    #[allow(dead_code)]
    enabled: Option<Flag>,
    plan: Option<PlanForm>,
}

/// `…[installments][plan][...]`: `count` months, `interval=month`, `type=fixed_count`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PlanForm {
    count: Option<Int>,
    #[allow(dead_code)]
    interval: OneOf<PlanInterval>,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: OneOf<PlanType>,
}

impl PlanForm {
    fn check(self) -> ApiResult<Option<u8>> {
        let n = self.count.ok_or_else(|| ApiError::missing(COUNT_PARAM))?;
        installments::count(n.0)
    }
}

impl AttemptFields {
    pub(super) fn check(self) -> ApiResult<AttemptOptions> {
        let mut card = self.payment_method_options.and_then(|o| o.card);
        let off_session = check_off_session(self.off_session)?;
        let setup_future_usage = check_setup_future_usage(self.setup_future_usage)?;
        if self.mandate_data.as_ref().is_some_and(given) {
            return Err(unsupported(
                "mandate_data",
                "mandate_data is not supported: paygate keeps no mandates yet. Omit mandate_data.",
            ));
        }
        Ok(AttemptOptions {
            return_url: self
                .return_url
                .and_then(Text::non_empty)
                .map(check_return_url)
                .transpose()?,
            shipping: self.shipping.map(ShippingForm::check).transpose()?,
            error_on_requires_action: self.error_on_requires_action.map(|f| f.0),
            use_stripe_sdk: self.use_stripe_sdk.map(|f| f.0),
            installments: card
                .as_mut()
                .and_then(|c| c.installments.take())
                .and_then(|i| i.plan)
                .map(PlanForm::check)
                .transpose()?,
            request_three_d_secure: card.and_then(|c| c.request_three_d_secure).map(|r| r.0),
            off_session,
            setup_future_usage,
        })
    }
}

/// Whether a parameter was given a value (the empty string and null mean "not given").
pub(super) fn given(v: &Value) -> bool {
    !v.is_null() && v.as_str() != Some("")
}

pub(super) fn unsupported(param: &str, message: &str) -> ApiError {
    ApiError::invalid(param, "parameter_unsupported", message)
}

/// `off_session`: Stripe's boolean or `one_off` / `recurring` (docs/BILLING.md: `true` and
/// `one_off` are unscheduled merchant-initiated charges, `recurring` recurring ones).
fn check_off_session(v: Option<Text<5000>>) -> ApiResult<Option<OffSession>> {
    match v.as_ref().map(|t| t.0.as_str()) {
        None | Some("false") | Some("") => Ok(None),
        Some("true") | Some("one_off") => Ok(Some(OffSession::OneOff)),
        Some("recurring") => Ok(Some(OffSession::Recurring)),
        Some(other) => Err(ApiError::invalid(
            "off_session",
            "parameter_invalid",
            format!(
                "Invalid off_session: must be true, false, one_off or recurring; got '{}'.",
                crate::error::echo(other)
            ),
        )),
    }
}

/// `setup_future_usage`: `off_session` or `on_session` (empty = none).
fn check_setup_future_usage(v: Option<Text<5000>>) -> ApiResult<Option<SetupUsage>> {
    match v.as_ref().map(|t| t.0.as_str()) {
        None | Some("") => Ok(None),
        Some("off_session") => Ok(Some(SetupUsage::OffSession)),
        Some("on_session") => Ok(Some(SetupUsage::OnSession)),
        Some(other) => Err(ApiError::invalid(
            "setup_future_usage",
            "parameter_invalid",
            format!(
                "Invalid setup_future_usage: must be off_session or on_session; got '{}'.",
                crate::error::echo(other)
            ),
        )),
    }
}

/// An absolute `http`/`https` URL with a host.
fn check_return_url(url: String) -> ApiResult<String> {
    let ok = url::Url::parse(&url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        return Err(ApiError::invalid(
            "return_url",
            "url_invalid",
            format!(
                "Invalid return_url: must be an absolute http or https URL; got '{}'.",
                crate::error::echo(&url)
            ),
        ));
    }
    Ok(url)
}

/// `shipping[...]`: name and address required, as Stripe.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ShippingForm {
    address: Address,
    carrier: Option<Text<5000>>,
    name: Text<5000>,
    phone: Option<Text<20>>,
    tracking_number: Option<Text<5000>>,
}

impl ShippingForm {
    fn check(self) -> ApiResult<Shipping> {
        let name = self
            .name
            .non_empty()
            .ok_or_else(|| ApiError::missing("shipping[name]"))?;
        let a = self.address;
        let line1 = a
            .line1
            .and_then(Text::non_empty)
            .ok_or_else(|| ApiError::missing("shipping[address][line1]"))?;
        let country = a.country.and_then(Text::non_empty);
        if let Some(c) = &country
            && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(ApiError::bad_param(
                "shipping[address][country]",
                format!(
                    "must be a two-letter country code (ISO 3166-1 alpha-2); got '{}'.",
                    crate::error::echo(c)
                ),
            ));
        }
        let phone = self.phone.and_then(Text::non_empty);
        if let Some(p) = &phone
            && !p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(ApiError::bad_param(
                "shipping[phone]",
                "a phone number has only digits, spaces and + - ( ) .",
            ));
        }
        Ok(Shipping {
            address: PostalAddress {
                city: a.city.and_then(Text::non_empty),
                country: country.map(|c| c.to_ascii_uppercase()),
                line1: Some(line1),
                line2: a.line2.and_then(Text::non_empty),
                postal_code: a.postal_code.and_then(Text::non_empty),
                state: a.state.and_then(Text::non_empty),
            },
            carrier: self.carrier.and_then(Text::non_empty),
            name,
            phone,
            tracking_number: self.tracking_number.and_then(Text::non_empty),
        })
    }
}
