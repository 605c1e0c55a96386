//! The merchant API: Stripe's paths and shapes. One module per resource.

pub mod balance;
pub mod customers;
pub mod events;
pub mod payment_intents;
pub mod payment_methods;
pub mod refunds;
pub mod webhook_endpoints;

use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, json_response};
use crate::params::Params;
use crate::state::SharedState;
use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use paygate_ledger::Currency;
use paygate_store::ObjectRow;
use serde_json::json;

/// Every route of the merchant API and the operational endpoints.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/v1/payment_intents",
            post(payment_intents::create).get(payment_intents::list),
        )
        .route(
            "/v1/payment_intents/{id}",
            get(payment_intents::retrieve).post(payment_intents::update_pi),
        )
        .route(
            "/v1/payment_intents/{id}/confirm",
            post(payment_intents::confirm),
        )
        .route(
            "/v1/payment_intents/{id}/capture",
            post(payment_intents::capture),
        )
        .route(
            "/v1/payment_intents/{id}/cancel",
            post(payment_intents::cancel),
        )
        .route("/v1/charges", get(refunds::list_charges))
        .route("/v1/charges/{id}", get(refunds::retrieve_charge))
        .route("/v1/refunds", post(refunds::create).get(refunds::list))
        .route(
            "/v1/refunds/{id}",
            get(refunds::retrieve).post(refunds::update),
        )
        .route(
            "/v1/customers",
            post(customers::create).get(customers::list),
        )
        .route(
            "/v1/customers/{id}",
            get(customers::retrieve)
                .post(customers::update)
                .delete(customers::delete),
        )
        .route(
            "/v1/customers/{id}/payment_methods",
            get(payment_methods::list_for_customer),
        )
        .route(
            "/v1/payment_methods",
            post(payment_methods::create).get(payment_methods::list),
        )
        .route(
            "/v1/payment_methods/{id}",
            get(payment_methods::retrieve).post(payment_methods::update),
        )
        .route(
            "/v1/payment_methods/{id}/attach",
            post(payment_methods::attach),
        )
        .route(
            "/v1/payment_methods/{id}/detach",
            post(payment_methods::detach),
        )
        .route("/v1/events", get(events::list))
        .route("/v1/events/{id}", get(events::retrieve))
        .route("/v1/events/{id}/delivery_attempts", get(events::attempts))
        .route(
            "/v1/webhook_endpoints",
            post(webhook_endpoints::create).get(webhook_endpoints::list),
        )
        .route(
            "/v1/webhook_endpoints/{id}",
            get(webhook_endpoints::retrieve)
                .post(webhook_endpoints::update)
                .delete(webhook_endpoints::delete),
        )
        .route(
            "/v1/webhook_endpoints/{id}/resend",
            post(webhook_endpoints::resend),
        )
        .route("/v1/balance", get(balance::retrieve))
        .route("/v1/balance_transactions", get(balance::list_txns))
        .route("/v1/balance_transactions/{id}", get(balance::retrieve_txn))
        .route(
            "/v1/payouts",
            post(balance::create_payout).get(balance::list_payouts),
        )
        .route("/v1/payouts/{id}", get(balance::retrieve_payout))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    crate::http::error_response(ApiError::route_not_found(method.as_str(), uri.path()))
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// Ready when the database answers and the card network link is up.
async fn readyz(State(st): State<SharedState>) -> Response {
    let db = st.store.get_merchant("acct_readiness_probe").await.is_ok();
    let net = st.link.echo().await.is_ok();
    let status = if db && net {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &json!({"database": db, "network": net}))
}

/// Loads an object of `kind` in the caller's scope, or 404 naming `param`.
pub async fn load(ctx: &Ctx, id: &str, kind: &str, param: &str) -> ApiResult<ObjectRow> {
    ctx.st
        .store
        .get_object(&ctx.scope(), id)
        .await?
        .filter(|r| r.kind == kind)
        .ok_or_else(|| ApiError::not_found(kind, id, param))
}

/// `amount` and `currency`, validated together (the exponent bounds the amount).
pub fn parse_amount_currency(p: &mut Params) -> ApiResult<(i64, Currency)> {
    let amount = p.req_int("amount")?;
    let code = p.req_str("currency")?;
    let currency = Currency::parse(&code).map_err(|_| {
        ApiError::invalid(
            "currency",
            "parameter_invalid",
            format!("Invalid currency: {}. paygate supports ISO 4217 currencies such as krw, usd, eur, jpy.", code.to_lowercase()),
        )
    })?;
    Ok((check_amount(amount, currency)?, currency))
}

/// An amount in minor units must be at least 1 and at most the currency's maximum.
pub fn check_amount(amount: i64, currency: Currency) -> ApiResult<i64> {
    if amount < 1 {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_small",
            format!(
                "Amount must be at least 1 {} (minor units, exponent {}).",
                currency.code(),
                currency.exponent()
            ),
        ));
    }
    if amount > currency.max_amount() {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "Amount must be no more than {} {} (minor units, exponent {}).",
                currency.max_amount(),
                currency.code(),
                currency.exponent()
            ),
        ));
    }
    Ok(amount)
}
