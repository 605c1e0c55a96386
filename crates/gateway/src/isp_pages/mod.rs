//! The ISP (안전결제) payer page under `/pay/isp/…` — the browser client of the `isp` method:
//!
//! - `GET /pay/isp/{pi}?t=…[&locale=ko|en]` — the page (`next_action.redirect_to_url.url` of
//!   an `isp` intent in `requires_action`); `t` is the page token of the intent
//!   (`csrf::Purpose::IspPage`). A finished intent sends the payer to its status page.
//! - `GET /pay/isp/isp.js` — the page's script ([`paygate_payer_pages::ISP_SCRIPT`]).
//! - `GET /pay/isp/encryption_key`, `POST /pay/isp/enroll` — same-origin proxies to the ISP
//!   server's `/v1/encryption_key` and `/v1/enroll`, so the page needs no CORS;
//! - `POST /pay/isp/{pi}/confirm` — the signed payment, confirmed by the same code as the API's.
//!
//! The script's calls ([`calls`]) carry the page token and the intent id in headers
//! (`X-Paygate-Page-Token`, `X-Paygate-Payment-Intent`): a custom header cannot be sent
//! cross-site without a CORS preflight, which these routes never grant, so together with the
//! token (bound to the intent, expiring) they are the page's CSRF protection.

mod calls;

use crate::models::PaymentIntent;
use crate::pages::respond;
use crate::payer_flow::{load, locale, page_query};
use crate::state::SharedState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use paygate_ledger::Currency;
use paygate_payer_pages::{
    self as pp, Amount, CsrfError, IspPageView, MessageKind, Msg, PageContext, Summary, WebUrl,
};
use paygate_payments::PaymentIntentStatus;
use paygate_store::ObjectRow;

/// Header of the script's calls holding the page token `t`.
pub const TOKEN_HEADER: &str = "x-paygate-page-token";
/// Header of the script's calls naming the PaymentIntent the token is for.
pub const INTENT_HEADER: &str = "x-paygate-payment-intent";

/// The ISP page's routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route(pp::ISP_SCRIPT_PATH, get(script))
        .route("/pay/isp/encryption_key", get(calls::encryption_key))
        .route("/pay/isp/enroll", post(calls::enroll))
        .route("/pay/isp/{id}", get(page))
        .route("/pay/isp/{id}/confirm", post(calls::confirm))
        .with_state(state)
}

/// Checks the page token `t` of intent `id`.
fn check_token(st: &SharedState, token: &str, id: &str) -> Result<(), CsrfError> {
    crate::methods::isp::verify_page_token(st, token, id, st.now())
}

/// `GET /pay/isp/isp.js`: the script, as a file of the gateway (loaded under the page's nonce).
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        pp::ISP_SCRIPT,
    )
        .into_response()
}

/// `GET /pay/isp/{id}?t=…`: the enrol/pay page of an intent waiting for its ISP signature.
async fn page(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (token, lang) = page_query(raw.as_deref());
    let ctx = PageContext::new(locale(lang.as_deref(), &headers));
    let Some((row, pi)) = load(&st, &id).await else {
        return respond(pp::not_found(&ctx));
    };
    match check_token(&st, &token, &pi.id) {
        Ok(()) => {}
        Err(CsrfError::Expired) => return message(&ctx, 403, Msg::IspExpired),
        Err(_) => return respond(pp::not_found(&ctx)),
    }
    if pi.status != PaymentIntentStatus::RequiresAction {
        let status = st.pages.url(&format!(
            "/pay/payment_intents/{}?client_secret={}&locale={}",
            pi.id,
            pi.client_secret,
            ctx.locale.tag()
        ));
        return match WebUrl::parse("status", &status) {
            Ok(u) => respond(pp::redirect(&ctx, &u)),
            Err(_) => message(&ctx, 500, Msg::ErrorBody),
        };
    }
    match view(&st, &row, &pi, token).await {
        Ok(v) => respond(pp::isp_page(&ctx, &v)),
        Err(e) => {
            tracing::error!(payment_intent = %pi.id, error = %e, "ISP page failed");
            message(&ctx, 500, Msg::ErrorBody)
        }
    }
}

/// What the page shows and the script signs, from the intent itself.
async fn view(
    st: &SharedState,
    row: &ObjectRow,
    pi: &PaymentIntent,
    token: String,
) -> Result<IspPageView, String> {
    let currency = Currency::parse(&pi.currency).map_err(|e| e.to_string())?;
    let merchant = st
        .merchant(&row.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .map(|m| m.name)
        .unwrap_or_default();
    Ok(IspPageView {
        summary: Summary {
            merchant,
            amount: Amount::new(pi.amount, currency),
            card: None,
        },
        payment_intent: pi.id.clone(),
        merchant_account: row.merchant_id.clone(),
        amount: pi.amount,
        currency: pi.currency.to_ascii_lowercase(),
        token,
    })
}

/// An error page with `status` and `body`.
fn message(ctx: &PageContext, status: u16, body: Msg) -> Response {
    let l = ctx.locale;
    let mut p = pp::message(
        ctx,
        MessageKind::Error,
        Msg::ErrorTitle.text(l),
        body.text(l),
        None,
    );
    p.status = status;
    respond(p)
}
