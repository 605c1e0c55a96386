//! The 간편결제 wallet page under `/pay/easy_pay/{pi}` — plain HTML forms, no script:
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
mod view;

pub use session::SESSION_KIND;

use crate::models::{PaymentIntent, from_value};
use crate::pages::respond;
use crate::state::SharedState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use paygate_ledger::Currency;
use paygate_payer_pages::{self as pp, Amount, Locale, PageContext, Summary, WebUrl};
use paygate_store::ObjectRow;

/// Name of the device cookie.
pub const DEVICE_COOKIE: &str = "ep_device";

/// The wallet page's routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/easy_pay/{id}", get(flow::show).post(flow::submit))
        .with_state(state)
}

/// The locale: `?locale=` (or `?lang=`), else `Accept-Language`.
pub(crate) fn locale(query: Option<&str>, headers: &HeaderMap) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(query, accept)
}

/// `t` and the locale from a query string.
pub(crate) fn page_query(raw: Option<&str>) -> (String, Option<String>) {
    let (mut token, mut lang) = (String::new(), None);
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "t" => token = v.into_owned(),
            "locale" | "lang" => lang = Some(v.into_owned()),
            _ => {}
        }
    }
    (token, lang)
}

/// The payment intent `id` (row and document), when it is one.
pub(crate) async fn load(st: &SharedState, id: &str) -> Option<(ObjectRow, PaymentIntent)> {
    let row = st.store.find_object(id).await.ok()??;
    if row.kind != "payment_intent" {
        return None;
    }
    let pi = from_value(row.data.clone()).ok()?;
    Some((row, pi))
}

/// What the page shows of the payment.
pub(crate) async fn summary(
    st: &SharedState,
    row: &ObjectRow,
    pi: &PaymentIntent,
) -> Option<Summary> {
    let currency = Currency::parse(&pi.currency).ok()?;
    let merchant = st.merchant(&row.merchant_id).await.ok()??.name;
    Some(Summary {
        merchant,
        amount: Amount::new(pi.amount, currency),
        card: None,
    })
}

/// The form's action: the page itself, with the locale.
fn action(st: &SharedState, id: &str, l: Locale) -> Option<WebUrl> {
    WebUrl::parse(
        "action",
        &st.pages
            .url(&format!("/pay/easy_pay/{id}?locale={}", l.tag())),
    )
    .ok()
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

/// A plain page with `status`.
pub(crate) fn message(ctx: &PageContext, status: u16, title: &str, body: &str) -> Response {
    let mut p = pp::message(ctx, pp::MessageKind::Error, title, body, None);
    p.status = status;
    respond(p)
}
