//! The parameters of `POST /v1/checkout/sessions`, checked into what a session is made of.
//! Every error names the parameter in bracket form (`line_items[1][quantity]`).

use super::methods::CheckoutMethod;
use super::session::{LineItem, Mode, SessionLocale};
use crate::api::{check_amount, parse_currency};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::params::{Params, Sub};
use paygate_ledger::Currency;
use serde_json::{Map, Value, json};

/// Most line items in one session (Stripe's limit).
pub const LINE_ITEMS_MAX: usize = 100;
/// Largest quantity of one line item.
pub const QUANTITY_MAX: i64 = 999_999;
/// A session is open at least 30 minutes and at most 24 hours (Stripe's bounds).
pub const EXPIRES_MIN_S: i64 = 30 * 60;
pub const EXPIRES_MAX_S: i64 = 24 * 3600;
/// Longest `client_reference_id`, product name and URL.
const REFERENCE_MAX: usize = 200;
const NAME_MAX: usize = 5000;
const URL_MAX: usize = 2048;

/// A checked create request.
pub struct SessionCreate {
    pub mode: Mode,
    pub line_items: Vec<LineItem>,
    /// The line items' currency (or `currency` in setup mode).
    pub currency: Option<Currency>,
    /// Sum of the line items, in minor units.
    pub amount_total: Option<i64>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    /// Empty: every method the gateway offers.
    pub payment_method_types: Vec<String>,
    pub locale: SessionLocale,
    pub expires_at: i64,
    pub metadata: Map<String, Value>,
    pub client_reference_id: Option<String>,
}

impl SessionCreate {
    /// Reads and checks the request at time `now`.
    pub fn parse(p: &mut Params, now: i64) -> ApiResult<SessionCreate> {
        let mode = match p.enum_str("mode", &["payment", "setup"])?.as_deref() {
            Some("payment") => Mode::Payment,
            Some(_) => Mode::Setup,
            None => return Err(ApiError::missing("mode")),
        };
        let success_url =
            web_url(p, "success_url")?.ok_or_else(|| ApiError::missing("success_url"))?;
        let cancel_url = web_url(p, "cancel_url")?;
        let items = line_items(p)?;
        let setup_currency = p.str("currency")?.filter(|c| !c.is_empty());
        let (currency, amount_total) = match mode {
            Mode::Payment if items.is_empty() => return Err(ApiError::missing("line_items")),
            Mode::Payment => {
                let (currency, total) = totals(&items)?;
                (Some(currency), Some(total))
            }
            Mode::Setup if !items.is_empty() => {
                return Err(ApiError::invalid(
                    "line_items",
                    "parameter_invalid",
                    "line_items cannot be given in setup mode: nothing is charged.",
                ));
            }
            Mode::Setup => (
                setup_currency.as_deref().map(parse_currency).transpose()?,
                None,
            ),
        };
        let locale = match p.enum_str("locale", &["auto", "ko", "en"])?.as_deref() {
            Some("ko") => SessionLocale::Ko,
            Some("en") => SessionLocale::En,
            _ => SessionLocale::Auto,
        };
        Ok(SessionCreate {
            mode,
            line_items: items.into_iter().map(|i| i.item).collect(),
            currency,
            amount_total,
            success_url,
            cancel_url,
            customer: p.str("customer")?.filter(|s| !s.is_empty()),
            customer_email: email(p)?,
            payment_method_types: method_types(p, mode)?,
            locale,
            expires_at: expires_at(p, now)?,
            metadata: p.metadata()?.unwrap_or_default(),
            client_reference_id: short_text(p, "client_reference_id", REFERENCE_MAX)?,
        })
    }
}

/// An optional absolute http(s) URL of at most [`URL_MAX`] characters.
fn web_url(p: &mut Params, key: &str) -> ApiResult<Option<String>> {
    let Some(url) = p.str(key)?.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let ok = url.len() <= URL_MAX
        && url::Url::parse(&url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        return Err(ApiError::invalid(
            key,
            "url_invalid",
            format!(
                "Invalid {key}: must be an absolute http or https URL of at most {URL_MAX} characters."
            ),
        ));
    }
    Ok(Some(url))
}

fn short_text(p: &mut Params, key: &str, max: usize) -> ApiResult<Option<String>> {
    let v = p.str(key)?.filter(|s| !s.is_empty());
    if v.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(ApiError::invalid(
            key,
            "parameter_invalid",
            format!("Invalid {key}: at most {max} characters."),
        ));
    }
    Ok(v)
}

fn email(p: &mut Params) -> ApiResult<Option<String>> {
    let v = short_text(p, "customer_email", 512)?;
    if let Some(e) = &v {
        let ok = e
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
        if !ok {
            return Err(ApiError::invalid(
                "customer_email",
                "email_invalid",
                "Invalid customer_email: must be an email address like name@example.com.",
            ));
        }
    }
    Ok(v)
}

/// `payment_method_types[]`: each a method checkout offers (and, in setup mode, can save).
fn method_types(p: &mut Params, mode: Mode) -> ApiResult<Vec<String>> {
    let types = p.str_list("payment_method_types")?;
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let m = CheckoutMethod::find(&t).filter(|m| mode == Mode::Payment || m.setup);
        if m.is_none() {
            let offered: Vec<&str> = super::methods::CHECKOUT_METHODS
                .iter()
                .filter(|m| mode == Mode::Payment || m.setup)
                .map(|m| m.kind.as_str())
                .collect();
            return Err(ApiError::invalid(
                "payment_method_types",
                "payment_method_invalid_parameter",
                format!(
                    "Invalid payment_method_types: '{}' is not offered by checkout in this mode (one of {}).",
                    crate::error::echo(&t),
                    offered.join(", ")
                ),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// `expires_at`: Unix seconds 30 minutes to 24 hours from now; default 24 hours.
fn expires_at(p: &mut Params, now: i64) -> ApiResult<i64> {
    match p.int("expires_at")? {
        None => Ok(now + EXPIRES_MAX_S),
        Some(t) if (now + EXPIRES_MIN_S..=now + EXPIRES_MAX_S).contains(&t) => Ok(t),
        Some(_) => Err(ApiError::invalid(
            "expires_at",
            "parameter_invalid",
            "Invalid expires_at: must be between 30 minutes and 24 hours from now (Unix seconds).",
        )),
    }
}

/// A line item with the currency it was given in.
struct Priced {
    item: LineItem,
    currency: Currency,
    /// `line_items[i]`, for errors.
    path: String,
}

/// `line_items[]`: at most [`LINE_ITEMS_MAX`], each with `price_data` and `quantity`.
fn line_items(p: &mut Params) -> ApiResult<Vec<Priced>> {
    let raw = p.root().get("line_items").cloned();
    p.allow(&["line_items"]);
    let list: Vec<Value> = match raw {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(Value::Object(m)) => {
            let mut entries: Vec<(usize, Value)> = Vec::new();
            for (k, v) in m {
                let i = k.parse::<usize>().map_err(|_| {
                    ApiError::bad_param("line_items", "expected a list (line_items[0][…]).")
                })?;
                entries.push((i, v));
            }
            entries.sort_by_key(|(i, _)| *i);
            entries.into_iter().map(|(_, v)| v).collect()
        }
        Some(_) => return Err(ApiError::bad_param("line_items", "expected a list.")),
    };
    if list.len() > LINE_ITEMS_MAX {
        return Err(ApiError::invalid(
            "line_items",
            "parameter_invalid",
            format!("Invalid line_items: at most {LINE_ITEMS_MAX} items."),
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, v)| line_item(i, v))
        .collect()
}

fn line_item(i: usize, v: Value) -> ApiResult<Priced> {
    let path = format!("line_items[{i}]");
    let Value::Object(m) = v else {
        return Err(ApiError::bad_param(&path, "expected an object."));
    };
    let mut item = Sub {
        path: path.clone(),
        inner: Params::from_map(m),
    };
    if item.str("price")?.is_some() {
        return Err(ApiError::invalid(
            &format!("{path}[price]"),
            "parameter_unsupported",
            "Prices by id are not supported: give price_data.",
        ));
    }
    let quantity = item.req_int("quantity")?;
    if !(1..=QUANTITY_MAX).contains(&quantity) {
        return Err(ApiError::invalid(
            &format!("{path}[quantity]"),
            "parameter_invalid_integer",
            format!("Invalid {path}[quantity]: must be 1 to {QUANTITY_MAX}; got {quantity}."),
        ));
    }
    let mut price = item
        .object("price_data")?
        .ok_or_else(|| ApiError::missing(&format!("{path}[price_data]")))?;
    let code = price.req_str("currency")?;
    let currency = parse_currency(&code)
        .map_err(|e| e.with_param(&format!("{path}[price_data][currency]")))?;
    let unit_amount = price.req_int("unit_amount")?;
    if unit_amount < 0 {
        return Err(ApiError::invalid(
            &format!("{path}[price_data][unit_amount]"),
            "parameter_invalid_integer",
            "unit_amount must be a non-negative integer in minor units.",
        ));
    }
    let mut product = price
        .object("product_data")?
        .ok_or_else(|| ApiError::missing(&format!("{path}[price_data][product_data]")))?;
    let name = product.req_str("name")?;
    if name.chars().count() > NAME_MAX {
        return Err(ApiError::invalid(
            &format!("{path}[price_data][product_data][name]"),
            "parameter_invalid",
            format!("The product name is at most {NAME_MAX} characters."),
        ));
    }
    product.deny_unknown()?;
    price.deny_unknown()?;
    item.deny_unknown()?;
    let subtotal = unit_amount
        .checked_mul(quantity)
        .ok_or_else(|| too_large(&path))?;
    let code = currency.code().to_string();
    Ok(Priced {
        item: LineItem {
            id: new_id("li"),
            object: "item".into(),
            amount_discount: 0,
            amount_subtotal: subtotal,
            amount_tax: 0,
            amount_total: subtotal,
            currency: code.clone(),
            description: name.clone(),
            quantity,
            price: json!({"object": "price", "currency": code, "unit_amount": unit_amount,
                "product_data": {"name": name}, "type": "one_time"}),
        },
        currency,
        path,
    })
}

fn too_large(path: &str) -> ApiError {
    ApiError::invalid(
        path,
        "amount_too_large",
        format!("{path}: the amount is too large."),
    )
}

/// The one currency of all items and their total, within the currency's charge limits.
fn totals(items: &[Priced]) -> ApiResult<(Currency, i64)> {
    let currency = items[0].currency;
    let mut total: i64 = 0;
    for it in items {
        if it.currency != currency {
            return Err(ApiError::invalid(
                &format!("{}[price_data][currency]", it.path),
                "parameter_invalid",
                format!(
                    "All line items must be in one currency: {} is not {}.",
                    it.currency.code(),
                    currency.code()
                ),
            ));
        }
        total = total
            .checked_add(it.item.amount_total)
            .ok_or_else(|| too_large("line_items"))?;
    }
    let total = check_amount(total, currency).map_err(|e| e.with_param("line_items"))?;
    Ok((currency, total))
}

/// The parameters [`SessionCreate::parse`] reads, declared for the OpenAPI document
/// (`api::openapi_params`); the test `openapi_params_match_the_parsers` posts every declared
/// key and an undeclared one, so the table cannot drift from the parser.
pub mod table {
    // Declarations for the document only: read through `JsonSchema`, never constructed.
    #![allow(dead_code)]

    use crate::params::typed::{Email, Int, List, Metadata, Text};
    use schemars::JsonSchema;

    /// `line_items[i][price_data][product_data]`.
    #[derive(JsonSchema)]
    pub struct ProductData {
        name: Text<{ super::NAME_MAX }>,
    }

    /// `line_items[i][price_data]`.
    #[derive(JsonSchema)]
    pub struct PriceData {
        /// ISO 4217 code; every line item in one currency.
        currency: Text<3>,
        product_data: ProductData,
        /// In minor units of the currency, at least 0.
        #[schemars(range(min = 0))]
        unit_amount: Int,
    }

    /// `line_items[i]`.
    #[derive(JsonSchema)]
    pub struct LineItem {
        price_data: PriceData,
        #[schemars(range(min = 1, max = super::QUANTITY_MAX))]
        quantity: Int,
    }

    /// `POST /v1/checkout/sessions`.
    #[derive(JsonSchema)]
    pub struct Create {
        cancel_url: Option<Text<{ super::URL_MAX }>>,
        client_reference_id: Option<Text<{ super::REFERENCE_MAX }>>,
        /// In setup mode: the currency of the card set up.
        currency: Option<Text<3>>,
        customer: Option<Text<5000>>,
        customer_email: Option<Email>,
        /// Unix time, 30 minutes to 24 hours from now.
        expires_at: Option<Int>,
        /// Required in payment mode, refused in setup mode.
        line_items: Option<Vec<LineItem>>,
        #[schemars(extend("enum" = ["auto", "ko", "en"]))]
        locale: Option<Text<5000>>,
        metadata: Option<Metadata>,
        #[schemars(extend("enum" = ["payment", "setup"]))]
        mode: Text<5000>,
        payment_method_types: Option<List>,
        /// An absolute http(s) URL.
        success_url: Text<{ super::URL_MAX }>,
    }
}
