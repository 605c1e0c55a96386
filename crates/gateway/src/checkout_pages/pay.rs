//! The page's handlers: show, submit (confirm the session's intent), and the return from a
//! redirect method.

use super::framed_never;
use super::transfer;
use super::view::{error_text, locale, methods, success_url, view};
use crate::auth::Caller;
use crate::checkout::CheckoutSession;
use crate::checkout::lifecycle::{self, KIND};
use crate::checkout::methods::{CheckoutMethod, Collects};
use crate::checkout::session::{Mode, PaymentStatus, SessionOp, SessionStatus, allowed};
use crate::engine::context::RequestContext;
use crate::error::ApiResult;
use crate::http::Ctx;
use crate::ids::new_id;
use crate::params::Params;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use paygate_payer_pages::{
    self as pp, MessageKind, Msg, PageContext, Purpose, WebUrl, checkout_page,
};
use paygate_store::{MerchantRow, ObjectRow};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The session `id` as stored now (completed first if its intent succeeded), and its
/// merchant; `None` for anything that is not a session.
pub(super) async fn open(
    st: &SharedState,
    id: &str,
) -> Option<(ObjectRow, CheckoutSession, MerchantRow)> {
    let row = st.store.find_object(id).await.ok()??;
    if row.kind != KIND {
        return None;
    }
    let cs = lifecycle::sync(st, &row).await.ok()?;
    let row = st.store.find_object(id).await.ok()??;
    let m = st.merchant(&row.merchant_id).await.ok()??;
    Some((row, cs, m))
}

fn lang_of(raw: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "locale")
        .map(|(_, v)| v.into_owned())
}

/// The page of a session that is no longer open: complete → on to `success_url`; expired →
/// a message with the way back to the shop.
fn closed(ctx: &PageContext, cs: &CheckoutSession) -> Response {
    let l = ctx.locale;
    if cs.status == SessionStatus::Complete
        && let Some(u) = success_url(cs)
    {
        return framed_never(pp::redirect(ctx, &u));
    }
    let back = cs
        .cancel_url
        .as_deref()
        .and_then(|u| WebUrl::parse("cancel_url", u).ok())
        .map(|href| pp::Link {
            label: Msg::ReturnToShop.text(l).to_string(),
            href,
        });
    let mut page = pp::message(
        ctx,
        MessageKind::Error,
        Msg::CheckoutExpiredTitle.text(l),
        Msg::CheckoutExpiredBody.text(l),
        back.as_ref(),
    );
    page.status = 410;
    framed_never(page)
}

/// Renders the form of an open session (`error` above it), with its wallet buttons.
async fn form(
    st: &SharedState,
    ctx: &PageContext,
    cs: &CheckoutSession,
    m: &MerchantRow,
    selected: Option<&'static str>,
    error: Option<Msg>,
) -> Response {
    match view(st, cs, m, ctx.locale, selected) {
        Some(mut v) => {
            v.wallets = super::wallet::buttons(st, cs, m).await;
            framed_never(checkout_page(ctx, &v, error))
        }
        None => framed_never(pp::not_found(ctx)),
    }
}

/// `GET /pay/checkout/{id}`.
pub(super) async fn show(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(raw.as_deref());
    let Some((_, cs, m)) = open(&st, &id).await else {
        let ctx = PageContext::new(locale(lang.as_deref(), None, &headers));
        return framed_never(pp::not_found(&ctx));
    };
    let ctx = PageContext::new(locale(lang.as_deref(), Some(&cs), &headers));
    if !allowed(cs.status, SessionOp::Pay) {
        return closed_page(&st, &ctx, &cs, &m).await;
    }
    form(&st, &ctx, &cs, &m, None, None).await
}

/// [`closed`], or for a session completed before its money arrived (가상계좌) the transfer
/// instructions (or the expired account's message).
async fn closed_page(
    st: &SharedState,
    ctx: &PageContext,
    cs: &CheckoutSession,
    m: &MerchantRow,
) -> Response {
    if cs.status == SessionStatus::Complete
        && cs.payment_status == PaymentStatus::Unpaid
        && let Some(page) = transfer::unpaid_page(st, ctx, cs, m).await
    {
        return page;
    }
    closed(ctx, cs)
}

/// `POST /pay/checkout/{id}`: the payer's choice and card.
pub(super) async fn submit(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_fields: HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let lang = lang_of(raw.as_deref());
    let Some((row, cs, m)) = open(&st, &id).await else {
        let ctx = PageContext::new(locale(lang.as_deref(), None, &headers));
        return framed_never(pp::not_found(&ctx));
    };
    let ctx = PageContext::new(locale(lang.as_deref(), Some(&cs), &headers));
    let token = form_fields.get("t").map(String::as_str).unwrap_or_default();
    if st
        .pages
        .csrf
        .verify(token, Purpose::PayerForm, &cs.id, st.now())
        .is_err()
    {
        let mut p = pp::message(
            &ctx,
            MessageKind::Error,
            Msg::ErrorTitle.text(ctx.locale),
            Msg::ErrorBody.text(ctx.locale),
            None,
        );
        p.status = 403;
        return framed_never(p);
    }
    if !allowed(cs.status, SessionOp::Pay) {
        return closed_page(&st, &ctx, &cs, &m).await;
    }
    let chosen = form_fields
        .get("payment_method_type")
        .and_then(|t| methods(&st, &cs).into_iter().find(|m| m.kind.as_str() == t));
    let Some(method) = chosen else {
        return form(&st, &ctx, &cs, &m, None, Some(Msg::CheckoutErrMethod)).await;
    };
    let selected = Some(method.kind.as_str());
    match pay(&st, &row, &cs, &m, method, &form_fields).await {
        Ok(answer) => after_confirm(&st, &ctx, &cs, &m, selected, &answer).await,
        Err(e) => {
            tracing::debug!(session = %cs.id, code = ?e.code, param = ?e.param, "checkout payment refused");
            // A confirm the intent's state refuses (a second submit of the same form while
            // the first is paying): show where the session stands now.
            if let Some((_, now_cs, _)) = open(&st, &id).await
                && now_cs.status != SessionStatus::Open
            {
                return closed_page(&st, &ctx, &now_cs, &m).await;
            }
            form(&st, &ctx, &cs, &m, selected, Some(error_text(&e))).await
        }
    }
}

/// Confirms the session's intent with the method and (for a card) the card, through the
/// API's confirm — the same parameter checks, method dispatch, engine and events — as the
/// merchant (the page holds the session's capability, not a key). The intent's transition
/// table makes a repeated submit harmless: a second confirm of a paying or paid intent is
/// refused.
async fn pay(
    st: &SharedState,
    row: &ObjectRow,
    cs: &CheckoutSession,
    m: &MerchantRow,
    method: &CheckoutMethod,
    form: &HashMap<String, String>,
) -> ApiResult<Value> {
    confirm_as_page(st, row, cs, m, method_params(method, form)).await
}

/// A request of the page as the session's merchant (the page holds the session's capability,
/// not a key) with `params`.
pub(super) fn page_ctx(
    st: &SharedState,
    row: &ObjectRow,
    m: &MerchantRow,
    params: Map<String, Value>,
) -> Ctx {
    Ctx {
        rc: RequestContext::new(st.clone(), new_id("req"), m.clone(), row.livemode, None),
        caller: Caller {
            key_id: "checkout_page".into(),
            merchant: m.clone(),
            livemode: row.livemode,
            secret: true,
        },
        params: Params::from_map(params),
    }
}

/// Confirms the session's intent with `root` (and the page's `return_url`) through the API's
/// confirm: the card form's and the wallet buttons' payment.
pub(super) async fn confirm_as_page(
    st: &SharedState,
    row: &ObjectRow,
    cs: &CheckoutSession,
    m: &MerchantRow,
    mut root: Map<String, Value>,
) -> ApiResult<Value> {
    root.insert(
        "return_url".into(),
        json!(st.pages.url(&format!("/pay/checkout/{}/return", cs.id))),
    );
    let ctx = page_ctx(st, row, m, root);
    match (cs.mode, &cs.payment_intent, &cs.setup_intent) {
        (Mode::Payment, Some(pi), _) => {
            crate::api::payment_intents::confirm_inner(ctx, pi.clone()).await
        }
        (Mode::Setup, _, Some(si)) => {
            crate::api::setup_intents::confirm_inner(ctx, si.clone()).await
        }
        _ => Err(crate::error::ApiError::internal(
            "the checkout session has no intent",
        )),
    }
}

/// The confirm's parameters of what the page collected for `method`.
fn method_params(method: &CheckoutMethod, form: &HashMap<String, String>) -> Map<String, Value> {
    let field = |k: &str| json!(form.get(k).map(|v| v.trim()).unwrap_or_default());
    let given = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut pmd = Map::new();
    pmd.insert("type".into(), json!(method.kind.as_str()));
    let mut root = Map::new();
    match method.collects {
        Collects::CardForm => {
            pmd.insert(
                "card".into(),
                json!({
                    "number": field("card_number"), "exp_month": field("exp_month"),
                    "exp_year": field("exp_year"), "cvc": field("cvc"),
                }),
            );
            // 0 = 일시불: sent too, so that it replaces the months of an earlier attempt.
            if let Some(n) = given("installments") {
                root.insert(
                    "payment_method_options".into(),
                    json!({"card": {"installments": {"plan": {
                        "count": n, "interval": "month", "type": "fixed_count"}}}}),
                );
            }
        }
        Collects::BankAndCashReceipt => {
            root.insert(
                "payment_method_options".into(),
                json!({"virtual_account": {"bank": field("bank")}}),
            );
            if let Some(t) = given("cash_receipt_type") {
                root.insert(
                    "cash_receipt".into(),
                    json!({"type": t, "identifier": field("cash_receipt_identifier")}),
                );
            }
        }
        Collects::Nothing => {}
    }
    root.insert("payment_method_data".into(), Value::Object(pmd));
    root
}

/// After the confirm: paid → the session completes and the payer goes to `success_url`;
/// the method's page → there; otherwise the form again with the intent's error.
async fn after_confirm(
    st: &SharedState,
    ctx: &PageContext,
    cs: &CheckoutSession,
    m: &MerchantRow,
    selected: Option<&'static str>,
    answer: &Value,
) -> Response {
    if let Some(url) = answer
        .pointer("/next_action/redirect_to_url/url")
        .and_then(Value::as_str)
        .and_then(|u| WebUrl::parse("next_action", u).ok())
    {
        return framed_never(pp::redirect(ctx, &url));
    }
    match resync(st, &cs.id).await {
        Some(now) if now.status == SessionStatus::Complete => closed_page(st, ctx, &now, m).await,
        _ => form(st, ctx, cs, m, selected, Some(Msg::ErrorBody)).await,
    }
}

async fn resync(st: &SharedState, id: &str) -> Option<CheckoutSession> {
    let row = st.store.find_object(id).await.ok()??;
    lifecycle::sync(st, &row).await.ok()
}

/// `GET /pay/checkout/{id}/return`: back from a redirect method (3-D Secure, the wallet
/// page, the ISP page).
pub(super) async fn back(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(raw.as_deref());
    let Some((_, cs, m)) = open(&st, &id).await else {
        let ctx = PageContext::new(locale(lang.as_deref(), None, &headers));
        return framed_never(pp::not_found(&ctx));
    };
    let ctx = PageContext::new(locale(lang.as_deref(), Some(&cs), &headers));
    // The payer arrives here by the redirects that answer another origin's form (the ACS's
    // result, the wallet page): a redirect on to the shop would break that form's
    // `form-action`, so a complete session goes on by a page of its own.
    if cs.status == SessionStatus::Complete
        && let Some(u) = success_url(&cs)
    {
        return framed_never(pp::continue_to(&ctx, &u));
    }
    if cs.status != SessionStatus::Open {
        return closed_page(&st, &ctx, &cs, &m).await;
    }
    let error = last_error(&st, &cs)
        .await
        .unwrap_or(Msg::CheckoutErrAuthentication);
    form(&st, &ctx, &cs, &m, None, Some(error)).await
}

/// The payer's sentence for the intent's last error, if it has one.
async fn last_error(st: &SharedState, cs: &CheckoutSession) -> Option<Msg> {
    let id = cs
        .payment_intent
        .as_deref()
        .or(cs.setup_intent.as_deref())?;
    let row = st.store.find_object(id).await.ok()??;
    let err = row
        .data
        .get("last_payment_error")
        .or_else(|| row.data.get("last_setup_error"))?;
    let code = err.get("code").and_then(Value::as_str)?;
    Some(match code {
        "payment_intent_authentication_failure" | "setup_intent_authentication_failure" => {
            Msg::CheckoutErrAuthentication
        }
        _ => Msg::CheckoutErrDeclined,
    })
}
