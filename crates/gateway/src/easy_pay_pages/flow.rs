//! The steps of the wallet page: show, then one handler per posted `step`.

use super::session::{RegistrationOutcome, Session};
use super::view::{Form, page, tr};
use super::*;
use super::{pin_steps, register, steps};
use crate::easy_pay::Wallet;
use axum::body::Bytes;
use paygate_payer_pages::{CsrfError, MessageKind, RedirectStatus};
use paygate_payments::PaymentIntentStatus;
use paygate_store::{Op, WriteUnit};
use std::collections::HashMap;

/// Everything a step needs.
pub(super) struct Step {
    pub(super) st: SharedState,
    pub(super) ctx: PageContext,
    pub(super) row: ObjectRow,
    pub(super) pi: PaymentIntent,
    pub(super) token: String,
    pub(super) summary: Summary,
    pub(super) action: WebUrl,
    pub(super) device: Option<String>,
}

impl Step {
    pub(super) fn render(
        &self,
        status: u16,
        notice: Option<(MessageKind, &str)>,
        form: Form<'_>,
    ) -> Response {
        let shop = self
            .pi
            .return_url
            .as_deref()
            .and_then(|u| WebUrl::parse("return_url", u).ok());
        respond(page(
            &self.ctx,
            status,
            &self.summary,
            (&self.action, shop.as_ref()),
            &self.token,
            notice,
            form,
        ))
    }

    pub(super) fn error(&self, text: &str, form: Form<'_>) -> Response {
        self.render(400, Some((MessageKind::Error, text)), form)
    }

    pub(super) fn t(&self, en: &'static str, ko: &'static str) -> &'static str {
        tr(self.ctx.locale, en, ko)
    }

    pub(super) async fn commit(&self, ops: Vec<Op>) -> Result<(), Response> {
        match self.st.store.commit(WriteUnit { ops }).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(payment_intent = %self.pi.id, error = %e, "easy_pay page commit failed");
                Err(message(
                    &self.ctx,
                    500,
                    self.t("Error", "오류"),
                    self.t("Please try again.", "다시 시도해 주세요."),
                ))
            }
        }
    }
}

/// Loads the intent and checks the token; Err is the page to answer.
async fn open(
    st: &SharedState,
    id: &str,
    token: &str,
    lang: Option<&str>,
    headers: &HeaderMap,
) -> Result<Step, Response> {
    let ctx = PageContext::new(locale(lang, headers));
    let Some((row, pi)) = load(st, id).await else {
        return Err(respond(pp::not_found(&ctx)));
    };
    match crate::methods::easy_pay::verify_page_token(st, token, &pi.id, st.now()) {
        Ok(()) => {}
        Err(CsrfError::Expired) => {
            return Err(message(
                &ctx,
                403,
                tr(ctx.locale, "Expired", "만료됨"),
                tr(
                    ctx.locale,
                    "This payment page has expired.",
                    "결제 페이지가 만료되었습니다.",
                ),
            ));
        }
        Err(_) => return Err(respond(pp::not_found(&ctx))),
    }
    if pi.status != PaymentIntentStatus::RequiresAction {
        return Err(back_to_shop(st, &pi, &ctx));
    }
    let (Some(summary), Some(action)) =
        (summary(st, &row, &pi).await, action(st, &pi.id, ctx.locale))
    else {
        return Err(message(&ctx, 500, "Error", "Error"));
    };
    let device = device_wallet(st, headers);
    Ok(Step {
        st: st.clone(),
        ctx,
        row,
        pi,
        token: token.to_string(),
        summary,
        action,
        device,
    })
}

/// Sends the payer back to the shop's `return_url` (or the status page).
pub(crate) fn back_to_shop(st: &SharedState, pi: &PaymentIntent, ctx: &PageContext) -> Response {
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

/// `GET /pay/easy_pay/{id}?t=…`.
pub(super) async fn show(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (token, lang) = page_query(raw.as_deref());
    let s = match open(&st, &id, &token, lang.as_deref(), &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(r) = after_registration(&s).await {
        return r;
    }
    if let Some(w) = known_wallet(&s).await {
        return s.render(200, None, Form::Pay { cards: &w.cards });
    }
    s.render(200, None, Form::Phone)
}

/// The page after a registration that went through 3-D Secure: its outcome, told once (a
/// registration still waiting for its challenge is abandoned: the payer came back without
/// it). `None` when there is nothing to tell.
async fn after_registration(s: &Step) -> Option<Response> {
    let mut session = Session::load(&s.st, &s.row).await.ok()?;
    let mut ops = super::three_ds::abandon(&s.st, &mut session);
    let outcome = session.outcome.take()?;
    ops.push(session.save(s.st.now()));
    if let Err(r) = s.commit(ops).await {
        return Some(r);
    }
    let text = super::register::outcome_text(s.ctx.locale, outcome);
    Some(match (outcome, known_wallet(s).await) {
        (RegistrationOutcome::Registered, Some(w)) => s.render(
            200,
            Some((MessageKind::Success, text)),
            Form::Pay { cards: &w.cards },
        ),
        (_, Some(w)) => s.render(
            200,
            Some((MessageKind::Error, text)),
            Form::Pay { cards: &w.cards },
        ),
        (_, None) => s.render(200, Some((MessageKind::Error, text)), Form::Register),
    })
}

/// The wallet this device or this flow proved, when it has cards.
pub(super) async fn known_wallet(s: &Step) -> Option<Wallet> {
    let session = Session::load(&s.st, &s.row).await.ok()?;
    let id = match (&session.wallet_id, session.verified) {
        (Some(id), true) => id.clone(),
        _ => s.device.clone()?,
    };
    let w = Wallet::load(&s.st, &id).await.ok()??;
    (w.livemode == s.row.livemode && !w.cards.is_empty()).then_some(w)
}

/// `POST /pay/easy_pay/{id}`: one step.
pub(super) async fn submit(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let (_, lang) = page_query(raw.as_deref());
    let token = form.get("t").cloned().unwrap_or_default();
    let s = match open(&st, &id, &token, lang.as_deref(), &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    match field("step") {
        "phone" => steps::phone(&s, field("phone")).await,
        "otp" => steps::otp(&s, field("otp")).await,
        "register" => register::register(&s, &form).await,
        "pay" => steps::pay(&s, field("pin"), field("card")).await,
        "remove_card" => steps::remove_card(&s, field("pin"), field("card")).await,
        "change_pin" => {
            let (new, again) = (field("new_pin"), field("new_pin_confirmation"));
            pin_steps::change(&s, field("pin"), new, again).await
        }
        "reset_pin" => {
            let (new, again) = (field("new_pin"), field("new_pin_confirmation"));
            pin_steps::reset(&s, field("card"), field("cvc"), new, again).await
        }
        _ => s.error(s.t("Unknown step.", "알 수 없는 단계입니다."), Form::Phone),
    }
}
