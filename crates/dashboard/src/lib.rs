//! paygate's dashboard at `/dashboard`: merchants' users and operators log in (Argon2id
//! password + TOTP, [`users`], [`totp`], [`session`]), search and export payments
//! ([`payments`]), look at one with its timeline and refund, capture or cancel it
//! ([`detail`]); customers ([`customers`]), webhook endpoints with their delivery attempts and
//! resend ([`webhooks`]), balance, balance transactions and payouts ([`balance`]), API keys
//! with roll and revoke ([`api_keys`]), checkout sessions ([`checkout_sessions`]), charts as
//! server-rendered SVG ([`charts`], [`svg`]) and the payments list's live updates over
//! server-sent events ([`live`]); every list's columns are declared once for its table and its
//! CSV export ([`listing`], [`export`]); every login, action and export goes into a
//! hash-chained audit log ([`audit`]).
//!
//! Its own crate above the gateway: the gateway compiles without it, and it drives the
//! gateway's own API handlers for every operation that moves money. Pages are server-rendered
//! with `paygate-payer-pages`' escaping builder ([`paygate_payer_pages::html::Html`]), CSP
//! nonces and CSRF keys; the texts are this crate's own catalog ([`catalog`]). docs/DASHBOARD.md.

pub mod api_call;
pub mod api_keys;
pub mod audit;
pub mod balance;
pub mod catalog;
pub mod charts;
pub mod checkout_sessions;
pub mod customers;
pub mod detail;
pub mod error;
pub mod export;
pub mod layout;
pub mod listing;
pub mod live;
pub mod login;
pub mod payments;
pub mod session;
pub mod svg;
pub mod tables;
pub mod totp;
pub mod users;
pub mod web;
pub mod webhooks;

use axum::Router;
use axum::routing::get;
use paygate_gateway::state::SharedState;

/// The routes under `/dashboard`, for `paygate_gateway::start_with_routes`.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/dashboard", get(home))
        .route("/dashboard/login", get(login::show).post(login::submit))
        .route(
            "/dashboard/login/totp",
            get(login::show_totp).post(login::submit_totp),
        )
        .route("/dashboard/logout", axum::routing::post(login::logout))
        .route("/dashboard/payments", get(payments::list))
        .route("/dashboard/payments.csv", get(export::payments_csv))
        .route("/dashboard/export/{list}", get(export::csv))
        .route("/dashboard/payments/live", get(live::stream))
        .route("/dashboard/charts", get(charts::show))
        .route("/dashboard/checkout_sessions", get(checkout_sessions::list))
        .route(
            "/dashboard/checkout_sessions/{id}",
            get(checkout_sessions::show),
        )
        .route("/dashboard/payments/{id}", get(detail::show))
        .route(
            "/dashboard/payments/{id}/{action}",
            get(detail::confirm).post(detail::run),
        )
        .route("/dashboard/customers", get(customers::list))
        .route("/dashboard/webhooks", get(webhooks::list))
        .route(
            "/dashboard/webhooks/{id}/resend",
            axum::routing::post(webhooks::resend),
        )
        .route("/dashboard/balance", get(balance::show))
        .route("/dashboard/api_keys", get(api_keys::list))
        .route(
            "/dashboard/api_keys/{id}/{action}",
            axum::routing::post(api_keys::run),
        )
        .with_state(state)
}

async fn home() -> axum::response::Response {
    web::see_other("/dashboard/payments", &[])
}
