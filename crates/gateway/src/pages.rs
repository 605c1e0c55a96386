//! The payer pages under `/pay/…` (built by `paygate-payer-pages`): their settings (CSRF keys,
//! the public base URL), the router, the conversion of a [`Page`] to a response, and the
//! first page, the payer's status page of a PaymentIntent.
//!
//! A payer page is reached without an API key: the payer proves the right to see an intent
//! with its `client_secret`, and a wrong or missing secret gets the same 404 as an unknown id.

use crate::config::Config;
use crate::models::{Charge, PaymentIntent};
use crate::state::SharedState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use paygate_ledger::Currency;
use paygate_payer_pages::{
    self as pp, Amount, CardTail, CsrfKeys, IntentState, IntentStatusView, Last4, Locale,
    MessageKind, Msg, Page, PageContext, Summary, WebUrl,
};
use paygate_payments::PaymentIntentStatus;
use paygate_store::{ObjectRow, Scope};
use serde_json::Value;

/// Prefix of every payer page.
pub const PREFIX: &str = "/pay";

/// What the payer pages need from configuration.
#[derive(Clone, Debug)]
pub struct PageSettings {
    /// Signs the tokens of forms that post back to the gateway.
    pub csrf: CsrfKeys,
    /// The gateway as payers' browsers reach it (no trailing slash in [`PageSettings::url`]).
    pub public_url: WebUrl,
}

impl PageSettings {
    /// From `cfg`: the configured CSRF key (required when `live_keys_exist`, else generated
    /// for this process with a warning) and the public URL (default `http://<listen>`, or
    /// `https://` when the listener has TLS).
    pub fn from_config(
        cfg: &Config,
        listen: std::net::SocketAddr,
        live_keys_exist: bool,
        tls: bool,
    ) -> Result<PageSettings, String> {
        let csrf = match cfg.pages_csrf_key.as_slice() {
            [] if live_keys_exist => {
                return Err("pages_csrf_key is required once live-mode API keys exist \
                            (base64, at least 32 bytes; see docs/PAYER_PAGES.md)"
                    .into());
            }
            [] => {
                tracing::warn!(
                    "pages_csrf_key is not configured: generated one for this process \
                     (test mode only; payer page forms die with the process)"
                );
                CsrfKeys::generate()
            }
            [current] => CsrfKeys::from_config(current, None).map_err(|e| e.to_string())?,
            [current, previous] => {
                CsrfKeys::from_config(current, Some(previous)).map_err(|e| e.to_string())?
            }
            _ => return Err("pages_csrf_key takes at most two keys: current,previous".into()),
        };
        let raw = cfg
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{}://{listen}", if tls { "https" } else { "http" }));
        let public_url = WebUrl::parse("public_url", &raw).map_err(|e| e.to_string())?;
        Ok(PageSettings { csrf, public_url })
    }

    /// The absolute URL of `path` (`/pay/…`) under the public base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }
}

/// Whether any merchant has a live-mode API key that is not revoked.
pub async fn live_keys_exist(store: &paygate_store::Store) -> Result<bool, String> {
    let merchants = store.list_merchants().await.map_err(|e| e.to_string())?;
    for m in merchants {
        let keys = store
            .list_api_keys(&m.id)
            .await
            .map_err(|e| e.to_string())?;
        if keys.iter().any(|k| k.livemode && k.revoked_at.is_none()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The routes under [`PREFIX`].
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/payment_intents/{id}", get(intent_status))
        .with_state(state)
}

/// A [`Page`] as an axum response.
pub fn respond(page: Page) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, page.html).into_response();
    let headers = resp.headers_mut();
    for (name, value) in page.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
    resp
}

/// The query of a payer page: `client_secret` and `locale` (others are ignored).
struct PageQuery {
    client_secret: Option<String>,
    locale: Option<String>,
}

fn page_query(raw: Option<&str>) -> PageQuery {
    let mut q = PageQuery {
        client_secret: None,
        locale: None,
    };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "client_secret" => q.client_secret = Some(v.into_owned()),
            "locale" => q.locale = Some(v.into_owned()),
            _ => {}
        }
    }
    q
}

/// `GET /pay/payment_intents/{id}?client_secret=…`: the payer's status page.
async fn intent_status(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = page_query(raw.as_deref());
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let ctx = PageContext::new(Locale::negotiate(q.locale.as_deref(), accept));
    match status_view(&st, &id, q.client_secret.as_deref().unwrap_or_default()).await {
        Ok(Some(view)) => respond(pp::intent_status(&ctx, &view)),
        Ok(None) => respond(pp::not_found(&ctx)),
        Err(e) => {
            tracing::error!(error = %e, "payer status page failed");
            let l = ctx.locale;
            let mut p = pp::message(
                &ctx,
                MessageKind::Error,
                Msg::ErrorTitle.text(l),
                Msg::ErrorBody.text(l),
                None,
            );
            p.status = 500;
            respond(p)
        }
    }
}

/// The view of intent `id` if `secret` is its client secret; `None` for any other id or
/// secret (told apart nowhere, so a guess learns nothing).
async fn status_view(
    st: &SharedState,
    id: &str,
    secret: &str,
) -> Result<Option<IntentStatusView>, String> {
    let Some(row) = st.store.find_object(id).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let expected = row.data["client_secret"].as_str().unwrap_or_default();
    if row.kind != "payment_intent" || !pp::secrets_match(secret, expected) {
        return Ok(None);
    }
    let pi: PaymentIntent = crate::models::from_value(row.data.clone()).map_err(|e| e.message)?;
    let currency = Currency::parse(&pi.currency).map_err(|e| e.to_string())?;
    let merchant = st
        .merchant(&row.merchant_id)
        .await
        .map_err(|e| e.to_string())?
        .map(|m| m.name)
        .unwrap_or_default();
    let state = intent_state(&pi);
    let return_url = match (state.finished(), return_url_of(&row.data)) {
        (Some(rs), Some(url)) => pp::return_url(url, &pi.id, &pi.client_secret, rs).ok(),
        _ => None,
    };
    let continue_url = match &pi.next_action {
        Some(paygate_payments::NextAction::RedirectToUrl {
            redirect_to_url, ..
        }) => WebUrl::parse("next_action", &redirect_to_url.url).ok(),
        None => None,
    };
    Ok(Some(IntentStatusView {
        summary: Summary {
            merchant,
            amount: Amount::new(pi.amount, currency),
            card: card_of(st, &row, &pi).await,
        },
        state,
        continue_url,
        return_url,
    }))
}

fn intent_state(pi: &PaymentIntent) -> IntentState {
    match pi.status {
        PaymentIntentStatus::RequiresPaymentMethod if pi.last_payment_error.is_some() => {
            IntentState::Failed
        }
        PaymentIntentStatus::RequiresPaymentMethod => IntentState::RequiresPaymentMethod,
        PaymentIntentStatus::RequiresConfirmation => IntentState::RequiresConfirmation,
        PaymentIntentStatus::RequiresAction => IntentState::RequiresAction,
        PaymentIntentStatus::Processing => IntentState::Processing,
        PaymentIntentStatus::RequiresCapture => IntentState::RequiresCapture,
        PaymentIntentStatus::Succeeded => IntentState::Succeeded,
        PaymentIntentStatus::Canceled => IntentState::Canceled,
    }
}

/// The shop's return URL: the intent's `return_url` when the model has one, else the one
/// its redirect `next_action` carries.
fn return_url_of(pi: &Value) -> Option<&str> {
    pi["return_url"]
        .as_str()
        .or_else(|| pi["next_action"]["redirect_to_url"]["return_url"].as_str())
        .filter(|s| !s.is_empty())
}

/// Brand and last four digits of the card that paid (the latest charge's details, else the
/// attached PaymentMethod's card); nothing more of the card is read.
async fn card_of(st: &SharedState, row: &ObjectRow, pi: &PaymentIntent) -> Option<CardTail> {
    let scope = Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    };
    let card = match (&pi.latest_charge, &pi.payment_method) {
        (Some(ch), _) => {
            let c = st.store.get_object(&scope, ch).await.ok()??;
            let charge: Charge = crate::models::from_value(c.data).ok()?;
            let d = charge.payment_method_details;
            d[d["type"].as_str().unwrap_or("card")].clone()
        }
        (None, Some(pm)) => {
            let d = st.store.get_object(&scope, pm).await.ok()??.data;
            d[d["type"].as_str().unwrap_or("card")].clone()
        }
        (None, None) => return None,
    };
    Some(CardTail {
        brand: card["brand"].as_str().unwrap_or_default().to_string(),
        last4: Last4::parse(card["last4"].as_str()?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "cGF5ZXItcGFnZXMtY3NyZi1rZXktZm9yLXVuaXQtdGVzdHM=";
    const ADDR: &str = "127.0.0.1:8080";

    fn settings(cfg: &Config, live: bool) -> Result<PageSettings, String> {
        PageSettings::from_config(cfg, ADDR.parse().unwrap(), live, false)
    }

    #[test]
    fn live_mode_requires_a_configured_csrf_key_and_test_mode_generates_one() {
        let mut cfg = Config::default();
        let e = settings(&cfg, true).unwrap_err();
        assert!(e.contains("pages_csrf_key is required"), "{e}");
        assert!(settings(&cfg, false).is_ok());
        cfg.pages_csrf_key = vec![KEY.into()];
        assert!(settings(&cfg, true).is_ok());
        cfg.pages_csrf_key = vec!["c2hvcnQ=".into()];
        assert!(
            settings(&cfg, true)
                .unwrap_err()
                .contains("at least 32 bytes")
        );
        cfg.pages_csrf_key = vec![KEY.into(), KEY.into(), KEY.into()];
        assert!(settings(&cfg, false).unwrap_err().contains("at most two"));
    }

    #[test]
    fn page_urls_hang_under_the_public_url_or_the_listen_address() {
        let mut cfg = Config::default();
        let s = settings(&cfg, false).unwrap();
        assert_eq!(s.url("/pay/x"), "http://127.0.0.1:8080/pay/x");
        cfg.public_url = Some("https://pay.example.com/".into());
        assert_eq!(
            settings(&cfg, false).unwrap().url("/pay/x"),
            "https://pay.example.com/pay/x"
        );
        cfg.public_url = Some("javascript:alert(1)".into());
        assert!(settings(&cfg, false).unwrap_err().contains("public_url"));
    }
}
