//! The 계좌이체 pages under `/pay/bank_transfer/{pi}` — plain HTML forms, no script
//! (`paygate_payer_pages::bank_choice_page` / `bank_handoff_page`):
//!
//! - `GET /pay/bank_transfer/{pi}?t=…[&locale=ko|en]` — `next_action.redirect_to_url.url`;
//!   `t` is the page token (`Purpose::BankTransferPage`): the bank choice (`bank`).
//! - `POST` with `t` and `bank`: the order is registered at that bank over the link (1600)
//!   and the payer is handed to the bank's own login page.
//! - `GET /pay/bank_transfer/{pi}/return?t=…` — where the bank sends the payer back. The
//!   visit itself proves nothing: the bank is asked over the link (1700), and only a debit
//!   the bank reports is charged (the engine's `Authorize`, which confirms it at the bank);
//!   a refusal fails the intent with the bank's code; no approval yet changes nothing.
//!
//! The flow's state is an object `bts_{pi}` of kind [`SESSION_KIND`] in the merchant's
//! scope: the bank and its order id.

use crate::methods::bank_transfer::{PAGE, pay};
use crate::methods::page_outcome;
use crate::models::PaymentIntent;
use crate::pages::respond;
use crate::payer_flow::{FlowKind, FlowPage, back_to_shop, load, message};
use crate::state::SharedState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use paygate_connector_bank::{BankConnector, OrderState};
use paygate_payer_pages::{
    self as pp, BankChoiceView, BankHandoffView, MessageKind, Msg, PageContext, Summary, WebUrl,
};
use paygate_store::{ObjectRow, Op, Scope, WriteUnit};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Object kind of a flow.
pub const SESSION_KIND: &str = "bank_transfer_session";

/// The pages' routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/bank_transfer/{id}", get(show).post(choose))
        .route("/pay/bank_transfer/{id}/return", get(back))
        .with_state(state)
}

/// One intent's transfer order.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Session {
    bank_code: String,
    order_id: String,
}

struct Step {
    st: SharedState,
    ctx: PageContext,
    row: ObjectRow,
    pi: PaymentIntent,
    token: String,
    summary: Summary,
    bank: Arc<BankConnector>,
}

impl Step {
    fn choice(&self, status: u16, notice: Option<Msg>) -> Response {
        let path = format!(
            "{}?locale={}",
            PAGE.path(&self.pi.id),
            self.ctx.locale.tag()
        );
        let Ok(action) = WebUrl::parse("action", &self.st.pages.url(&path)) else {
            return message(&self.ctx, 500, "Error", "Error");
        };
        let view = BankChoiceView {
            summary: &self.summary,
            action: &action,
            token: &self.token,
            notice: notice.map(|m| (MessageKind::Error, m)),
        };
        respond(pp::bank_choice_page(&self.ctx, status, &view))
    }

    fn scope(&self) -> Scope {
        Scope {
            merchant_id: self.row.merchant_id.clone(),
            livemode: self.row.livemode,
        }
    }

    fn session_id(&self) -> String {
        format!("bts_{}", self.pi.id)
    }

    async fn session(&self) -> Option<(i64, Session)> {
        let row = self
            .st
            .store
            .get_object(&self.scope(), &self.session_id())
            .await
            .ok()??;
        Some((row.version, serde_json::from_value(row.data).ok()?))
    }

    async fn save(&self, s: &Session) -> Result<(), Response> {
        let id = self.session_id();
        let data = serde_json::to_value(s).unwrap_or_default();
        let op = match self.session().await {
            Some((version, _)) => Op::UpdateObject {
                id,
                expected_version: version,
                data,
                tag: None,
                due: None,
            },
            None => Op::InsertObject(ObjectRow {
                id,
                merchant_id: self.row.merchant_id.clone(),
                livemode: self.row.livemode,
                kind: SESSION_KIND.into(),
                parent: Some(self.pi.id.clone()),
                tag: None,
                due: None,
                created: self.st.now(),
                version: 1,
                data,
            }),
        };
        let unit = WriteUnit { ops: vec![op] };
        self.st.store.commit(unit).await.map(|_| ()).map_err(|e| {
            tracing::error!(payment_intent = %self.pi.id, error = %e, "bank transfer page commit failed");
            self.choice(500, Some(Msg::BtBankError))
        })
    }

    fn error(&self, status: u16, msg: Msg) -> Response {
        let l = self.ctx.locale;
        message(&self.ctx, status, Msg::BtTitle.text(l), msg.text(l))
    }
}

/// The page of a transfer flow (the token check and the intent's summary are the shared
/// [`FlowPage`]'s).
const KIND: FlowKind = FlowKind {
    path: "/pay/bank_transfer",
    title: Msg::BtTitle,
    verify: verify_page_token,
};

fn verify_page_token(
    st: &crate::state::AppState,
    token: &str,
    payment_intent: &str,
    now: i64,
) -> Result<(), pp::CsrfError> {
    PAGE.verify(st, token, payment_intent, now)
}

/// The page of an intent waiting for its transfer ([`FlowPage::open`]) with the bank
/// connector; `None` without one.
fn step(f: FlowPage) -> Option<Step> {
    let bank = f.st.bank.clone()?;
    Some(Step {
        st: f.st,
        ctx: f.ctx,
        row: f.row,
        pi: f.pi,
        token: f.token,
        summary: f.summary,
        bank,
    })
}

/// `GET /pay/bank_transfer/{id}?t=…`: the bank choice.
async fn show(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = (raw.as_deref(), &headers);
    match FlowPage::open_query(&st, &KIND, &id, request, step).await {
        Ok(s) => s.choice(200, None),
        Err(r) => r,
    }
}

/// `POST /pay/bank_transfer/{id}`: registers the order at the chosen bank and hands the
/// payer to the bank's login page.
async fn choose(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = (raw.as_deref(), &headers, &body[..]);
    let (s, form) = match FlowPage::open_form(&st, &KIND, &id, request, step).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let code = form.get("bank").map(String::as_str).unwrap_or_default();
    let Some(bank_msg) = pp::transfer_bank(code) else {
        return s.choice(400, Some(Msg::BtChooseBankError));
    };
    let return_path = format!("{}/return?t={}", PAGE.path(&s.pi.id), s.token);
    let merchant = s.summary.merchant.clone();
    let ordered = s
        .bank
        .order(
            code,
            &s.pi.id,
            s.pi.amount,
            &merchant,
            &st.pages.url(&return_path),
        )
        .await;
    let ordered = match ordered {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(payment_intent = %s.pi.id, error = %e, "bank transfer order refused");
            return s.choice(503, Some(Msg::BtBankError));
        }
    };
    let Ok(bank_url) = WebUrl::parse("auth_url", &ordered.auth_url) else {
        return s.error(502, Msg::BtBankError);
    };
    let sess = Session {
        bank_code: code.to_owned(),
        order_id: ordered.order_id,
    };
    if let Err(r) = s.save(&sess).await {
        return r;
    }
    let view = BankHandoffView {
        summary: &s.summary,
        bank_url: &bank_url,
        bank: bank_msg,
    };
    respond(pp::bank_handoff_page(&s.ctx, &view))
}

/// `GET /pay/bank_transfer/{id}/return?t=…`: asks the bank what happened, then charges,
/// fails or leaves the intent waiting.
async fn back(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let request = (raw.as_deref(), &headers);
    let s = match FlowPage::open_query(&st, &KIND, &id, request, step).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((_, sess)) = s.session().await else {
        return s.error(409, Msg::BtNotApproved);
    };
    let info = match s.bank.inquire(&sess.bank_code, &sess.order_id).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(payment_intent = %s.pi.id, error = %e, "bank transfer inquiry failed");
            return s.error(503, Msg::BtBankError);
        }
    };
    if info.order_ref != s.pi.id || info.amount != s.pi.amount {
        tracing::error!(payment_intent = %s.pi.id, "the bank's order is for another payment");
        return s.error(409, Msg::BtDeclined);
    }
    match info.state {
        OrderState::Waiting | OrderState::Closed => s.error(409, Msg::BtNotApproved),
        OrderState::Refused => {
            let decline = paygate_connector_bank::transfer::decline(&info.reason);
            if let Err(e) = page_outcome::fail(&st, &s.row, decline).await {
                tracing::error!(payment_intent = %s.pi.id, error = %e.message, "could not fail the intent");
            }
            finish(&s).await
        }
        OrderState::Debited | OrderState::Confirmed => {
            let approved = pay::Approved {
                bank_code: &sess.bank_code,
                order_id: &sess.order_id,
                account_last4: &info.account_last4,
            };
            let result = pay::pay(&st, &s.row, &approved).await;
            if let Err(e) = &result
                && e.status.is_server_error()
            {
                return s.error(503, Msg::BtBankError);
            }
            finish(&s).await
        }
    }
}

/// Before an abandoned intent is canceled (`three_ds::expiry`): its order at the bank is
/// canceled, which gives an approved debit back to the payer — a debit never outlives its
/// payment. Ok when there is no order; Err leaves the intent for the next sweep.
pub async fn cancel_abandoned(st: &crate::state::AppState, row: &ObjectRow) -> Result<(), String> {
    let scope = Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    };
    let found = st
        .store
        .get_object(&scope, &format!("bts_{}", row.id))
        .await
        .map_err(|e| e.to_string())?;
    let Some(found) = found else { return Ok(()) };
    let sess: Session = serde_json::from_value(found.data).map_err(|e| e.to_string())?;
    let bank = st.bank.clone().ok_or("no bank link")?;
    bank.cancel_order(&sess.bank_code, &sess.order_id)
        .await
        .map_err(|e| e.to_string())
}

/// Paid or refused: the intent says which; the shop gets the payer back either way.
async fn finish(s: &Step) -> Response {
    match load(&s.st, &s.pi.id).await {
        Some((_, pi)) => back_to_shop(&s.st, &pi, &s.ctx),
        None => back_to_shop(&s.st, &s.pi, &s.ctx),
    }
}
