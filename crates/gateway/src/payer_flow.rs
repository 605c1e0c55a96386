//! What the step-by-step payer pages of an intent share (the 간편결제 wallet,
//! `easy_pay_pages`; 휴대폰 소액결제, `mobile_carrier_pages`): the page's query (`t`, locale),
//! the intent behind the page and its token check ([`FlowPage::open`]; from a GET's query,
//! [`FlowPage::open_query`], or a posted step's form, [`FlowPage::open_form`]), the payment summary,
//! the page's own URL, one commit of a step's writes, and the way back to the shop. The HTML
//! of each page is built by `paygate_payer_pages`; this module only ties it to the intent.

use crate::models::{PaymentIntent, from_value};
use crate::pages::respond;
use crate::state::{AppState, SharedState};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payer_pages::{
    self as pp, Amount, CsrfError, Locale, MessageKind, Msg, PageContext, RedirectStatus, Summary,
    WebUrl,
};
use paygate_payments::PaymentIntentStatus;
use paygate_store::{ObjectRow, Op, WriteUnit};
use std::collections::HashMap;

/// The locale: `?locale=` (or `?lang=`), else `Accept-Language`.
pub fn locale(query: Option<&str>, headers: &HeaderMap) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(query, accept)
}

/// `t` and the locale from a query string.
pub fn page_query(raw: Option<&str>) -> (String, Option<String>) {
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
pub async fn load(st: &AppState, id: &str) -> Option<(ObjectRow, PaymentIntent)> {
    let row = st.store.find_object(id).await.ok()??;
    if row.kind != "payment_intent" {
        return None;
    }
    let pi = from_value(row.data.clone()).ok()?;
    Some((row, pi))
}

/// What the page shows of the payment.
pub async fn summary(st: &AppState, row: &ObjectRow, pi: &PaymentIntent) -> Option<Summary> {
    let currency = Currency::parse(&pi.currency).ok()?;
    let merchant = st.merchant(&row.merchant_id).await.ok()??.name;
    Some(Summary {
        merchant,
        amount: Amount::new(pi.amount, currency),
        card: None,
    })
}

/// A plain error page with `status`.
pub fn message(ctx: &PageContext, status: u16, title: &str, body: &str) -> Response {
    let mut p = pp::message(ctx, MessageKind::Error, title, body, None);
    p.status = status;
    respond(p)
}

/// Sends the payer back to the shop's `return_url` (or the status page).
pub fn back_to_shop(st: &AppState, pi: &PaymentIntent, ctx: &PageContext) -> Response {
    let status = match pi.status {
        PaymentIntentStatus::Succeeded | PaymentIntentStatus::RequiresCapture => {
            RedirectStatus::Succeeded
        }
        _ => RedirectStatus::Failed,
    };
    let shop = pi
        .return_url
        .as_deref()
        .and_then(|u| pp::return_url(u, &pi.id, &pi.client_secret, status).ok());
    let url = shop.or_else(|| {
        let s = st.pages.url(&format!(
            "/pay/payment_intents/{}?client_secret={}",
            pi.id, pi.client_secret
        ));
        WebUrl::parse("status", &s).ok()
    });
    match url {
        Some(u) => respond(pp::redirect(ctx, &u)),
        None => message(ctx, 500, "Error", "Error"),
    }
}

/// Which page: its path under which `/{pi}` is served, its title and its token check.
pub struct FlowKind {
    /// `/pay/easy_pay`, `/pay/mobile_carrier`.
    pub path: &'static str,
    pub title: Msg,
    /// Checks the page token `t` for the intent at a time.
    pub verify: fn(&AppState, &str, &str, i64) -> Result<(), CsrfError>,
}

/// One request of a payer flow page: the intent waiting for the payer, what the page shows of
/// it and where its forms post.
pub struct FlowPage {
    pub st: SharedState,
    pub ctx: PageContext,
    pub row: ObjectRow,
    pub pi: PaymentIntent,
    /// The page token `t`.
    pub token: String,
    pub summary: Summary,
    /// The page itself, with the locale.
    pub action: WebUrl,
}

impl FlowPage {
    /// Loads the intent `id` and checks the token; an intent no longer waiting for the payer
    /// sends them back to the shop. Err is the page to answer.
    pub async fn open(
        st: &SharedState,
        kind: &FlowKind,
        id: &str,
        token: &str,
        (lang, headers): (Option<&str>, &HeaderMap),
    ) -> Result<FlowPage, Response> {
        let ctx = PageContext::new(locale(lang, headers));
        let Some((row, pi)) = load(st, id).await else {
            return Err(respond(pp::not_found(&ctx)));
        };
        match (kind.verify)(st, token, &pi.id, st.now()) {
            Ok(()) => {}
            Err(CsrfError::Expired) => {
                let l = ctx.locale;
                let (title, body) = (kind.title.text(l), Msg::IspExpired.text(l));
                return Err(message(&ctx, 403, title, body));
            }
            Err(_) => return Err(respond(pp::not_found(&ctx))),
        }
        if pi.status != PaymentIntentStatus::RequiresAction {
            return Err(back_to_shop(st, &pi, &ctx));
        }
        let path = format!("{}/{id}?locale={}", kind.path, ctx.locale.tag());
        let action = WebUrl::parse("action", &st.pages.url(&path)).ok();
        let (Some(summary), Some(action)) = (summary(st, &row, &pi).await, action) else {
            return Err(message(&ctx, 500, "Error", "Error"));
        };
        Ok(FlowPage {
            st: st.clone(),
            ctx,
            row,
            pi,
            token: token.to_string(),
            summary,
            action,
        })
    }

    /// [`FlowPage::open`] for a GET, the token `t` and the locale from the query string
    /// `raw`, made into the method's own page by `step` (`None`: the method's counterparty is
    /// not configured, a 500 page). Err is the page to answer.
    pub async fn open_query<S>(
        st: &SharedState,
        kind: &FlowKind,
        id: &str,
        (raw, headers): (Option<&str>, &HeaderMap),
        step: impl FnOnce(FlowPage) -> Option<S>,
    ) -> Result<S, Response> {
        let (token, lang) = page_query(raw);
        let page = FlowPage::open(st, kind, id, &token, (lang.as_deref(), headers)).await?;
        let ctx = page.ctx.clone();
        step(page).ok_or_else(|| message(&ctx, 500, "Error", "Error"))
    }

    /// [`FlowPage::open`] for a posted step, the token `t` from the form `body` and the locale
    /// from the query string `raw`, made into the method's own page by `step` (as for
    /// [`FlowPage::open_query`]); with the form's fields. Err is the page to answer.
    pub async fn open_form<S>(
        st: &SharedState,
        kind: &FlowKind,
        id: &str,
        (raw, headers, body): (Option<&str>, &HeaderMap, &[u8]),
        step: impl FnOnce(FlowPage) -> Option<S>,
    ) -> Result<(S, HashMap<String, String>), Response> {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let (_, lang) = page_query(raw);
        let token = form.get("t").map(String::as_str).unwrap_or_default();
        let page = FlowPage::open(st, kind, id, token, (lang.as_deref(), headers)).await?;
        let ctx = page.ctx.clone();
        let page = step(page).ok_or_else(|| message(&ctx, 500, "Error", "Error"))?;
        Ok((page, form))
    }

    /// The shop's `return_url` (the forms' last redirect goes there).
    pub fn shop(&self) -> Option<WebUrl> {
        let url = self.pi.return_url.as_deref()?;
        WebUrl::parse("return_url", url).ok()
    }

    /// Commits a step's writes; Err is the error page to answer.
    pub async fn commit(&self, ops: Vec<Op>) -> Result<(), Response> {
        self.commit_sealed(ops, &[]).await
    }

    /// Commits a step's writes that reference cards just sealed in a remote vault; when
    /// nothing was written the remote records are discarded again (kept when the outcome
    /// of the commit is unknown: a record in use must never be deleted).
    pub async fn commit_sealed(
        &self,
        ops: Vec<Op>,
        remote: &[crate::card_vault::RemoteRecord],
    ) -> Result<(), Response> {
        let commit = async {
            let done = self.st.store.commit(WriteUnit { ops }).await;
            done.map(drop).map_err(crate::engine::context::commit_error)
        };
        match self.st.card_vault.commit_or_discard(remote, commit).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let error = e.cause().unwrap_or(&e.message);
                tracing::error!(payment_intent = %self.pi.id, %error, "payer page commit failed");
                let l = self.ctx.locale;
                let (title, body) = (Msg::ErrorTitle.text(l), Msg::ErrorBody.text(l));
                Err(message(&self.ctx, 500, title, body))
            }
        }
    }
}
