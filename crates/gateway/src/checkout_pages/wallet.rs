//! The checkout page's wallet buttons, server side (docs/CHECKOUT.md "Apple Pay / Samsung
//! Pay"): which buttons a session's page carries, the JSON calls their script makes, and the
//! script itself.
//!
//! - `POST /pay/checkout/{cs}/wallet` (`t`, `wallet` = `apple_pay|samsung_pay`, `token`): the
//!   wallet's encrypted payment token becomes a `tok_…` through `POST /v1/tokens`' own handler
//!   ([`crate::wallet_tokens::api::create_inner`]: every check of docs/WALLETS.md), and the
//!   session's PaymentIntent is confirmed with it through the API's confirm, as the card form
//!   is: approved → the session completes and the answer names `success_url`. No 3-D Secure:
//!   the wallet's cryptogram is the cardholder's authentication.
//! - `POST /pay/checkout/{cs}/apple_pay/session` (`t`, `validation_url`): Apple Pay JS's
//!   merchant validation. **Test mode only**: the answer is a merchant session object of
//!   Apple's shape that paygate makes itself (a test can't reach Apple, and a simulated
//!   `ApplePaySession` takes any). In live mode paygate would have to call `validation_url`
//!   with the merchant's Apple Pay merchant identity certificate, which it does not hold: the
//!   call is refused (`501`), and a live session shows no Apple Pay button.

use super::pay::{confirm_as_page, open};
use super::view::{display_name, error_text, methods, success_url};
use crate::checkout::lifecycle;
use crate::checkout::methods::Collects;
use crate::checkout::session::{Mode, SessionOp, SessionStatus, allowed};
use crate::error::ApiError;
use crate::ids::new_id;
use crate::response::json_response;
use crate::state::SharedState;
use crate::wallet_tokens::keys;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paygate_ledger::Currency;
use paygate_payer_pages::{self as pp, Amount, Locale, Purpose, WalletButton, WalletsView};
use paygate_store::{MerchantRow, Scope};
use paygate_wallet_tokens::Wallet;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Largest form the script posts (an Apple Pay `paymentData` is about 4 KB).
const BODY_BYTES_MAX: usize = 40 * 1024;
/// How long a test-mode merchant session is valid (Apple's last 5 minutes).
const MERCHANT_SESSION_S: i64 = 300;

/// The wallet buttons of `cs`'s page: a payment session whose methods include the card form,
/// for each wallet the merchant has an active processing key of in the session's mode
/// (Apple Pay in test mode only: see the module's note on merchant validation).
pub async fn buttons(
    st: &SharedState,
    cs: &crate::checkout::CheckoutSession,
    m: &MerchantRow,
) -> Option<WalletsView> {
    let currency = cs
        .currency
        .as_deref()
        .and_then(|c| Currency::parse(c).ok())?;
    let total = cs.amount_total?;
    let card = methods(st, cs)
        .iter()
        .any(|x| x.collects == Collects::CardForm);
    if cs.mode != Mode::Payment || !card {
        return None;
    }
    let scope = Scope {
        merchant_id: m.id.clone(),
        livemode: cs.livemode,
    };
    let found = keys::list(&st.store, &scope, None).await.ok()?;
    let has = |w: Wallet| found.iter().any(|k| k.wallet == w.as_str());
    let mut buttons = Vec::new();
    if has(Wallet::ApplePay) && !cs.livemode {
        buttons.push(WalletButton::ApplePay);
    }
    if has(Wallet::SamsungPay) {
        buttons.push(WalletButton::SamsungPay);
    }
    if buttons.is_empty() {
        return None;
    }
    let url = |p: &str| {
        pp::WebUrl::parse(
            "wallet",
            &st.pages.url(&format!("/pay/checkout/{}/{p}", cs.id)),
        )
        .ok()
    };
    Some(WalletsView {
        buttons,
        total: Amount::new(total, currency),
        country: "KR",
        label: display_name(m),
        session: cs.id.clone(),
        pay: url("wallet")?,
        validate: url("apple_pay/session")?,
    })
}

/// A JSON refusal to the script, its message in the payer's language.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"error": {"type": "invalid_request_error", "code": code, "message": message}}),
    )
}

/// The form of a call, if its CSRF token `t` is the session's page token; else the refusal.
fn checked_form(
    st: &SharedState,
    cs_id: &str,
    body: &[u8],
) -> Result<HashMap<String, String>, Refused> {
    if body.len() > BODY_BYTES_MAX {
        return Err(Refused::TooLarge);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let token = form.get("t").map(String::as_str).unwrap_or_default();
    match st
        .pages
        .csrf
        .verify(token, Purpose::PayerForm, cs_id, st.now())
    {
        Ok(()) => Ok(form),
        Err(_) => Err(Refused::Token),
    }
}

/// Why a call's form is refused before anything else is looked at.
enum Refused {
    TooLarge,
    Token,
}

impl Refused {
    fn respond(self) -> Response {
        match self {
            Refused::TooLarge => refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "parameter_invalid",
                "too large",
            ),
            Refused::Token => refuse(StatusCode::FORBIDDEN, "checkout_page_token_invalid", ""),
        }
    }
}

/// `POST /pay/checkout/{id}/wallet`.
pub(super) async fn pay(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some((row, cs, m)) = open(&st, &id).await else {
        return refuse(StatusCode::NOT_FOUND, "resource_missing", "");
    };
    let l = match cs.locale {
        crate::checkout::session::SessionLocale::En => Locale::En,
        _ => Locale::Ko,
    };
    let form = match checked_form(&st, &cs.id, &body) {
        Ok(f) => f,
        Err(r) => return r.respond(),
    };
    if !allowed(cs.status, SessionOp::Pay) || buttons(&st, &cs, &m).await.is_none() {
        let msg = pp::Msg::ErrorBody.text(l);
        return refuse(
            StatusCode::CONFLICT,
            "checkout_session_unexpected_state",
            msg,
        );
    }
    let param = match form.get("wallet").map(String::as_str) {
        Some("apple_pay") => "pk_token",
        Some("samsung_pay") => "samsung_pay_token",
        _ => return refuse(StatusCode::BAD_REQUEST, "parameter_invalid", "wallet"),
    };
    let token = form.get("token").cloned().unwrap_or_default();
    let mut params = serde_json::Map::new();
    params.insert(param.into(), Value::String(token));
    let answer =
        match crate::wallet_tokens::api::create_inner(super::pay::page_ctx(&st, &row, &m, params))
            .await
        {
            Ok(tok) => {
                let tok = tok["id"].as_str().unwrap_or_default().to_string();
                let mut params = serde_json::Map::new();
                params.insert(
                    "payment_method_data".into(),
                    json!({"type": "card", "card": {"token": tok}}),
                );
                confirm_as_page(&st, &row, &cs, &m, params).await
            }
            Err(e) => Err(e),
        };
    match answer {
        Ok(_) => completed(&st, &cs.id, l).await,
        Err(e) => declined(&e, l),
    }
}

/// After an approved confirm: the session (completed by its intent's success) and where the
/// payer goes on.
async fn completed(st: &SharedState, id: &str, l: Locale) -> Response {
    let now = match st.store.find_object(id).await {
        Ok(Some(row)) => lifecycle::sync(st, &row).await.ok(),
        _ => None,
    };
    match now.filter(|cs| cs.status == SessionStatus::Complete) {
        Some(cs) => json_response(
            StatusCode::OK,
            &json!({"status": "complete", "redirect": success_url(&cs).map(|u| u.as_str().to_string())}),
        ),
        None => refuse(
            StatusCode::PAYMENT_REQUIRED,
            "payment_failed",
            pp::Msg::ErrorBody.text(l),
        ),
    }
}

fn declined(e: &ApiError, l: Locale) -> Response {
    tracing::debug!(code = ?e.code, param = ?e.param, "checkout wallet payment refused");
    let status = if e.status == StatusCode::PAYMENT_REQUIRED {
        StatusCode::PAYMENT_REQUIRED
    } else {
        StatusCode::BAD_REQUEST
    };
    refuse(
        status,
        e.code.unwrap_or("parameter_invalid"),
        error_text(e).text(l),
    )
}

/// `POST /pay/checkout/{id}/apple_pay/session`: Apple Pay JS's merchant validation (test
/// mode only, see the module's documentation).
pub(super) async fn merchant_session(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some((_, cs, m)) = open(&st, &id).await else {
        return refuse(StatusCode::NOT_FOUND, "resource_missing", "");
    };
    let form = match checked_form(&st, &cs.id, &body) {
        Ok(f) => f,
        Err(r) => return r.respond(),
    };
    if cs.livemode {
        return refuse(
            StatusCode::NOT_IMPLEMENTED,
            "apple_pay_live_validation_unsupported",
            "Live Apple Pay merchant validation needs the merchant identity certificate, which paygate does not hold.",
        );
    }
    let apple_host = form
        .get("validation_url")
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| u.scheme() == "https")
        .and_then(|u| u.host_str().map(str::to_string))
        .is_some_and(|h| h == "apple.com" || h.ends_with(".apple.com"));
    if !apple_host {
        return refuse(
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "validation_url",
        );
    }
    let now_ms = st.now() * 1000;
    let domain = url::Url::parse(&st.pages.url("/"))
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let session = json!({
        "epochTimestamp": now_ms,
        "expiresAt": now_ms + MERCHANT_SESSION_S * 1000,
        "merchantSessionIdentifier": new_id("SSH"),
        "nonce": new_id("nonce"),
        "merchantIdentifier": m.id,
        "domainName": domain,
        "displayName": display_name(&m),
        "signature": "paygate-test-mode",
        "paygateTestMode": true,
    });
    json_response(StatusCode::OK, &session)
}

/// `GET /pay/checkout/wallets.js`: cacheable for an hour, never sniffed.
pub(super) async fn script() -> Response {
    let mut r = pp::WALLETS_SCRIPT.into_response();
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
    r
}
