//! The 간편결제 wallet page under `/pay/easy_pay/{pi}` — plain HTML forms built by
//! `paygate_payer_pages::easy_pay_page` (script only for the optional shuffled PIN pad,
//! `GET /pay/easy_pay/pin_pad.js`), on the shared payer-flow helper [`crate::payer_flow`]:
//!
//! - `GET /pay/easy_pay/{pi}?t=…[&locale=ko|en]` — `next_action.redirect_to_url.url` of an
//!   `easy_pay` intent; `t` is its page token (`Purpose::EasyPayPage`). A device that proved
//!   its wallet's phone before (cookie `ep_device`, a token bound to the wallet id) goes
//!   straight to the PIN form; else the phone form.
//! - `POST /pay/easy_pay/{pi}` with `t` and `step`: `phone` → `otp` → (`register`: a card and
//!   a PIN; through the issuer's 3-D Secure challenge when the card requires it,
//!   [`three_ds`]) → `pay` (`pin`, `card`) → the shop's `return_url`; `remove_card` (`card`, `pin`);
//!   `change_pin` (`pin`, `new_pin`, `new_pin_confirmation`); `reset_pin` after this flow's SMS
//!   code (`card`, `cvc`, `new_pin`, `new_pin_confirmation`).
//!
//! CSRF: every form carries the page token (bound to the intent, expiring); the device cookie
//! is `HttpOnly`, `SameSite=Strict`, scoped to `/pay/easy_pay`.

pub(crate) mod flow;
mod pin_steps;
mod register;
mod session;
mod steps;
pub mod three_ds;

pub use session::SESSION_KIND;

use crate::state::SharedState;
use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use paygate_payer_pages as pp;

/// Name of the device cookie.
pub const DEVICE_COOKIE: &str = "ep_device";

/// The wallet page's routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route(pp::PIN_PAD_SCRIPT_PATH, get(pin_pad_script))
        .route("/pay/easy_pay/{id}", get(flow::show).post(flow::submit))
        .with_state(state)
}

/// `GET /pay/easy_pay/pin_pad.js`: the PIN pad ([`pp::PIN_PAD_SCRIPT`]).
async fn pin_pad_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        pp::PIN_PAD_SCRIPT,
    )
        .into_response()
}

/// The wallet id a device cookie proves, if any.
fn device_wallet(st: &SharedState, headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let value = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == DEVICE_COOKIE)?
        .1;
    let (wallet, token) = value.split_once(':')?;
    st.pages
        .csrf
        .verify(token, pp::Purpose::EasyPayDevice, wallet, st.now())
        .ok()?;
    Some(wallet.to_string())
}

/// The `Set-Cookie` value remembering this device for `wallet` (90 days).
fn device_cookie(st: &SharedState, wallet: &str) -> String {
    const DAYS_90: i64 = 90 * 24 * 3600;
    let token = st
        .pages
        .csrf
        .issue(pp::Purpose::EasyPayDevice, wallet, st.now() + DAYS_90);
    format!(
        "{DEVICE_COOKIE}={wallet}:{token}; Path=/pay/easy_pay; Max-Age={DAYS_90}; HttpOnly; SameSite=Strict"
    )
}

/// Adds a header to a response.
fn with_header(mut r: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(value) {
        r.headers_mut().append(name, v);
    }
    r
}
