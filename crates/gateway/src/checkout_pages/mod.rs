//! The hosted checkout page (`url` of a Checkout Session) and `paygate.js`:
//!
//! - `GET /pay/checkout/{cs}[?locale=ko|en]` — the page ([`paygate_payer_pages::checkout_page`]);
//!   the session id (95 random bits) is the capability, as Stripe's checkout URL is.
//! - `POST /pay/checkout/{cs}` — the form (`t` CSRF token, `payment_method_type`, the card
//!   fields): the session's intent is confirmed through the API's own confirm
//!   ([`pay`]); success → 303 to `success_url`, a redirect method → 303 to its page, whose
//!   `return_url` is …
//! - `GET /pay/checkout/{cs}/return` — … back here: completes the session when the intent
//!   succeeded and sends the payer to `success_url`, else shows the page with the error.
//! - A session paid by a method whose money arrives later (가상계좌) completes `unpaid` when
//!   the account is issued: its page then shows the transfer instructions ([`transfer`]).
//! - `POST /pay/checkout/{cs}/wallet`, `…/apple_pay/session`, `GET /pay/checkout/wallets.js`
//!   — the Apple Pay / Samsung Pay buttons' calls and script ([`wallet`]).
//! - `GET /v1/paygate.js` — the embeddable client ([`SCRIPT`]).

pub mod cors;
mod pay;
mod transfer;
mod view;
mod wallet;

use crate::pages::respond;
use crate::state::SharedState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use paygate_payer_pages as pp;

/// The embeddable card client (hand-written, no build step): docs/CHECKOUT.md.
pub const SCRIPT: &str = include_str!("paygate.js");
/// Where [`SCRIPT`] is served.
pub const SCRIPT_PATH: &str = "/v1/paygate.js";

/// The page's routes and the script's.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/checkout/{id}", get(pay::show).post(pay::submit))
        .route("/pay/checkout/{id}/return", get(pay::back))
        .route("/pay/checkout/{id}/wallet", post(wallet::pay))
        .route(
            "/pay/checkout/{id}/apple_pay/session",
            post(wallet::merchant_session),
        )
        .route(pp::WALLETS_SCRIPT_PATH, get(wallet::script))
        .route(SCRIPT_PATH, get(script))
        .with_state(state)
}

/// `paygate.js`: cacheable for an hour, never sniffed, loadable from merchants' pages.
async fn script() -> Response {
    let mut r = SCRIPT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    r
}

/// A page response that may never be framed (CSP `frame-ancestors 'none'` says so to
/// current browsers, `X-Frame-Options` to older ones).
fn framed_never(page: paygate_payer_pages::Page) -> Response {
    let mut r = respond(page);
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    r
}
