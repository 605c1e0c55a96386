//! The steps of the wallet page: show, then one handler per posted `step`.

use super::session::{RegistrationOutcome, Session};
use super::{device_wallet, pin_steps, register, steps};
use crate::easy_pay::{Wallet, WalletCard};
use crate::pages::respond;
use crate::payer_flow::{FlowKind, FlowPage};
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use paygate_payer_pages::{
    self as pp, CardTail, EasyPayForm, EasyPayPageView, Last4, MessageKind, Msg, WalletCardChoice,
};

/// Which form the page shows (the wallet's cards become the page's choices in [`Step::render`]).
pub(super) enum Form<'a> {
    Phone,
    Otp { phone_masked: &'a str },
    Register,
    Pay { cards: &'a [WalletCard] },
}

/// The wallet page: a payer flow page of the intent ([`FlowPage`]) and the wallet this
/// device proved before, if any.
pub(super) struct Step {
    pub(super) page: FlowPage,
    pub(super) device: Option<String>,
}

impl std::ops::Deref for Step {
    type Target = FlowPage;

    fn deref(&self) -> &FlowPage {
        &self.page
    }
}

/// What the wallet page is, for [`FlowPage::open`].
const KIND: FlowKind = FlowKind {
    path: "/pay/easy_pay",
    title: Msg::EpTitle,
    verify: crate::methods::easy_pay::verify_page_token,
};

impl Step {
    pub(super) fn render(
        &self,
        status: u16,
        notice: Option<(MessageKind, Msg)>,
        form: Form<'_>,
    ) -> Response {
        let choices = match &form {
            Form::Pay { cards } => choices(cards),
            _ => Vec::new(),
        };
        let form = match form {
            Form::Phone => EasyPayForm::Phone,
            Form::Otp { phone_masked } => EasyPayForm::Otp { phone_masked },
            Form::Register => EasyPayForm::Register,
            Form::Pay { .. } => EasyPayForm::Pay { cards: &choices },
        };
        let shop = self.shop();
        let view = EasyPayPageView {
            summary: &self.summary,
            action: &self.action,
            shop: shop.as_ref(),
            token: &self.token,
            notice,
            form,
        };
        respond(pp::easy_pay_page(&self.ctx, status, &view))
    }

    pub(super) fn error(&self, text: Msg, form: Form<'_>) -> Response {
        self.render(400, Some((MessageKind::Error, text)), form)
    }
}

/// The wallet's cards as the pay form offers them: the last used first.
fn choices(cards: &[WalletCard]) -> Vec<WalletCardChoice> {
    let mut sorted: Vec<&WalletCard> = cards.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.last_used));
    sorted
        .into_iter()
        .filter_map(|c| {
            let tail = CardTail {
                brand: c.brand.clone(),
                last4: Last4::parse(&c.last4)?,
            };
            Some(WalletCardChoice {
                id: c.id.clone(),
                tail,
            })
        })
        .collect()
}

/// The page ([`FlowPage::open`]) with the wallet this device proved before.
fn step(page: FlowPage, headers: &HeaderMap) -> Step {
    let device = device_wallet(&page.st, headers);
    Step { page, device }
}

/// `GET /pay/easy_pay/{id}?t=…`.
pub(super) async fn show(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let with_device = |page| Some(step(page, &headers));
    let request = (raw.as_deref(), &headers);
    let s = match FlowPage::open_query(&st, &KIND, &id, request, with_device).await {
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
    let text = super::register::outcome_text(outcome);
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
    let with_device = |page| Some(step(page, &headers));
    let request = (raw.as_deref(), &headers, &body[..]);
    let (s, form) = match FlowPage::open_form(&st, &KIND, &id, request, with_device).await {
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
        _ => s.error(Msg::EpUnknownStep, Form::Phone),
    }
}
