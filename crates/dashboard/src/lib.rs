//! paygate's dashboard at `/dashboard`: merchants' users and operators log in (Argon2id
//! password + TOTP, [`users`], [`totp`], [`session`]), search and export payments
//! ([`payments`]), look at one with its timeline and refund, capture or cancel it
//! ([`detail`]); every login and action goes into a hash-chained audit log ([`audit`]).
//!
//! Its own crate above the gateway: the gateway compiles without it, and it drives the
//! gateway's own API handlers for every operation that moves money. Pages are server-rendered
//! with `paygate-payer-pages`' escaping builder ([`paygate_payer_pages::html::Html`]), CSP
//! nonces and CSRF keys; the texts are this crate's own catalog ([`catalog`]). docs/DASHBOARD.md.

pub mod audit;
pub mod catalog;
pub mod detail;
pub mod error;
pub mod layout;
pub mod login;
pub mod payments;
pub mod session;
pub mod totp;
pub mod users;
pub mod web;

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
        .route("/dashboard/payments.csv", get(payments::csv))
        .route("/dashboard/payments/{id}", get(detail::show))
        .route(
            "/dashboard/payments/{id}/{action}",
            get(detail::confirm).post(detail::run),
        )
        .with_state(state)
}

async fn home() -> axum::response::Response {
    web::see_other("/dashboard/payments", &[])
}
