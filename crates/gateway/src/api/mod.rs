//! The merchant API: Stripe's paths and shapes. One module per resource.

pub mod balance;
pub mod checkout_sessions;
pub mod customers;
pub mod docs_page;
pub mod event_stream;
pub mod events;
pub mod intent_params;
pub mod openapi;
pub mod openapi_params;
pub mod operations;
pub mod payment_intents;
pub mod payment_methods;
pub mod refund_params;
pub mod refunds;
pub mod respond;
pub mod setup_intents;
pub mod test_clock;
pub mod test_faults;
pub mod test_sms;
pub mod test_virtual_accounts;
pub mod webhook_endpoints;

use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, json_response};
use crate::params::typed::{Expand, Text};
use crate::state::SharedState;
use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_store::ObjectRow;
use serde::Deserialize;
use serde_json::json;

/// Every route of the merchant API and the operational endpoints (the table in
/// `operations`), the OpenAPI document at `/openapi.json` and its rendering at `/docs`.
pub fn router(state: SharedState) -> Router {
    operations::routes()
        .merge(openapi::routes())
        .merge(stream_routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The server-sent event streams of the developer CLI (`paygate listen`, `paygate logs
/// tail`): outside the OpenAPI table, which describes JSON operations (see `event_stream`).
fn stream_routes() -> Router<SharedState> {
    use axum::routing::get;
    Router::new()
        .route("/v1/events/stream", get(event_stream::stream))
        .route("/v1/request_log/stream", get(crate::request_log::stream))
}

async fn not_found(method: Method, uri: Uri) -> Response {
    crate::http::error_response(ApiError::route_not_found(method.as_str(), uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    crate::http::error_response(ApiError::method_not_allowed(method.as_str(), uri.path()))
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// Ready when the database answers, the store can write (`store_reason` says why not), the
/// card network link is up, a remote vault (if any) answers (`vault_reason` says why not) and
/// the process is not draining (asked to stop).
async fn readyz(State(st): State<SharedState>) -> Response {
    let db = st.store.get_merchant("acct_readiness_probe").await.is_ok();
    let net = st.link.echo().await.is_ok();
    let vault_down = st.card_vault.unready().await;
    let draining = st.draining.load(std::sync::atomic::Ordering::Relaxed);
    let (writable, mut body) = crate::store_health::readiness(&st);
    body["database"] = json!(db);
    body["network"] = json!(net);
    body["draining"] = json!(draining);
    body["vault"] = json!(vault_down.is_none());
    if let Some(why) = vault_down {
        body["vault_reason"] = json!(why);
    }
    let status = if db && net && writable && !draining && body["vault"] == json!(true) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &body)
}

/// A request that takes no parameters.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A request that takes only `expand[]`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpandOnly {
    pub expand: Option<Expand>,
}

/// A postal address (`address[line1]`, …), all parts optional.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub city: Option<Text<5000>>,
    pub country: Option<Text<5000>>,
    pub line1: Option<Text<5000>>,
    pub line2: Option<Text<5000>>,
    pub postal_code: Option<Text<5000>>,
    pub state: Option<Text<5000>>,
}

impl Address {
    /// Stripe's address object (every key present, null when not given).
    pub fn to_value(self) -> serde_json::Value {
        let part = |t: Option<Text<5000>>| serde_json::json!(t.and_then(Text::non_empty));
        serde_json::json!({
            "city": part(self.city), "country": part(self.country),
            "line1": part(self.line1), "line2": part(self.line2),
            "postal_code": part(self.postal_code), "state": part(self.state),
        })
    }
}

/// An object parameter that the empty string clears (`address=` → null).
pub struct Cleared<T>(pub Option<T>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Cleared<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if v.as_str() == Some("") {
            return Ok(Cleared(None));
        }
        T::deserialize(v)
            .map(|t| Cleared(Some(t)))
            .map_err(serde::de::Error::custom)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Cleared<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(g)
    }
}

/// Loads an object of `kind` in the caller's scope, or 404 naming `param`. A deleted object
/// (a tombstone with `deleted: true`) is missing too: it takes no payments, updates or
/// attachments.
pub async fn load(ctx: &Ctx, id: &str, kind: &str, param: &str) -> ApiResult<ObjectRow> {
    ctx.st
        .store
        .get_object(&ctx.scope(), id)
        .await?
        .filter(|r| r.kind == kind && !is_deleted(&r.data))
        .ok_or_else(|| ApiError::not_found(kind, id, param))
}

/// Whether a stored document is a deletion tombstone.
pub fn is_deleted(doc: &serde_json::Value) -> bool {
    doc.get("deleted").and_then(serde_json::Value::as_bool) == Some(true)
}

/// A currency code, or 400 naming `currency`.
pub fn parse_currency(code: &str) -> ApiResult<Currency> {
    Currency::parse(code).map_err(|_| {
        ApiError::invalid(
            "currency",
            "parameter_invalid",
            format!(
                "Invalid currency: {}. paygate supports ISO 4217 currencies such as krw, usd, eur, jpy.",
                crate::error::echo(&code.to_lowercase())
            ),
        )
    })
}

/// A charge amount in minor units must lie within the currency's charge limits (Stripe's
/// minimum, e.g. $0.50 or ₩100, and its eight-digit maximum, e.g. $999,999.99).
pub fn check_amount(amount: i64, currency: Currency) -> ApiResult<i64> {
    let (min, max) = (currency.min_charge_amount(), currency.max_charge_amount());
    if amount < min {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_small",
            format!(
                "Amount must be at least {} (amount={min} in minor units of {}, exponent {}).",
                major(min, currency),
                currency.code(),
                currency.exponent()
            ),
        ));
    }
    if amount > max {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "Amount must be no more than {} (amount={max} in minor units of {}, exponent {}).",
                major(max, currency),
                currency.code(),
                currency.exponent()
            ),
        ));
    }
    Ok(amount)
}

/// A refund or capture amount must be a positive integer (its upper bound is what the charge
/// allows, checked by the caller).
pub fn check_positive(param: &str, amount: i64) -> ApiResult<i64> {
    if amount < 1 {
        return Err(ApiError::invalid(
            param,
            "parameter_invalid_integer",
            format!("Invalid {param}: must be a positive integer (at least 1); got {amount}."),
        ));
    }
    Ok(amount)
}

/// `12345` USD → `123.45 usd`, `100` KRW → `100 krw`.
fn major(minor: i64, currency: Currency) -> String {
    let exp = u32::from(currency.exponent());
    if exp == 0 {
        return format!("{minor} {}", currency.code());
    }
    let scale = 10i64.pow(exp);
    format!(
        "{}.{:0width$} {}",
        minor / scale,
        minor % scale,
        currency.code(),
        width = exp as usize
    )
}
